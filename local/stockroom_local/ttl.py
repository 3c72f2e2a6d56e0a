"""DynamoDB's Time to Live, locally: moto keeps expired records forever, so `stockroom serve` deletes them
itself, as DynamoDB's TTL would (a delete, and so a REMOVE on the table's stream, some time after the
record's TTL attribute has passed). That REMOVE is what ReservationExpiryFunction listens for.

Only the embedded engine needs it; against real DynamoDB, DynamoDB does it.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import boto3
from botocore.exceptions import ClientError

log = logging.getLogger(__name__)

TTL_ATTRIBUTE = "expiresAt"


def reap_expired(client: Any, table: str, now: float | None = None, attribute: str = TTL_ATTRIBUTE) -> int:
    """Delete every record of `table` whose TTL attribute (epoch seconds) is at or before `now`; each on
    condition that it still is, so a record whose expiry moved meanwhile stays. Returns how many went."""
    moment = int(time.time() if now is None else now)
    kwargs: dict[str, Any] = {
        "TableName": table,
        "FilterExpression": "#ttl <= :now",
        "ProjectionExpression": "pk, sk",
        "ExpressionAttributeNames": {"#ttl": attribute},
        "ExpressionAttributeValues": {":now": {"N": str(moment)}},
    }
    deleted = 0
    while True:
        page = client.scan(**kwargs)
        for key in page.get("Items", []):
            try:
                client.delete_item(
                    TableName=table,
                    Key=key,
                    ConditionExpression="#ttl <= :now",
                    ExpressionAttributeNames={"#ttl": attribute},
                    ExpressionAttributeValues={":now": {"N": str(moment)}},
                )
                deleted += 1
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise
        if "LastEvaluatedKey" not in page:
            return deleted
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def ttl_attributes(tables: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Each template table with TTL on, and its TTL attribute."""
    found = {}
    for name, props in tables.items():
        spec = props.get("TimeToLiveSpecification") or {}
        if spec.get("Enabled") in (True, "true") and spec.get("AttributeName"):
            found[name] = str(spec["AttributeName"])
    return found


class TtlReaper:
    """A daemon thread that reaps the given tables (name -> TTL attribute) every `interval` seconds (a
    scan each time: fine for local data)."""

    def __init__(self, tables: dict[str, str], interval: float = 5.0) -> None:
        self._tables, self._interval = tables, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ttl-reaper", daemon=True)

    def start(self) -> TtlReaper:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        client = boto3.client("dynamodb")
        while not self._stop.wait(self._interval):
            for table, attribute in self._tables.items():
                try:
                    reap_expired(client, table, attribute=attribute)
                except Exception:  # a local convenience: never take the server down
                    log.exception("TTL reaping of %s failed", table)
