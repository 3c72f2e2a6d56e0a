"""Whether a line written alone was applied, without a witness: the item's own stamp, then its ledger.

A line written alone is one conditional UpdateItem, no transaction, so nothing beside the item records it.
Two things do instead:
- the item itself: every change stamps `change` (request and line) on the item, so if the item's last
  change is this line's, it was applied;
- the ledger: it holds one record per change, keyed by item and revision and written from the stream in
  per-item order, so once it holds the item's current revision R it holds every change up to R, and
  whether request X's line L changed the item can be read there.

A change is stamped with its request's start (`createdDate`), and applied within the request's deadline
after it; so its record lies among those stamped within STAMP_WINDOW of it, found by a binary search over
revisions and a short scan, never a read of the item's whole history.

A retry under the same Idempotency-Key notes its attempt (`begin_attempt`) before it writes, and learns
the stamps of the attempts before it: those are where their changes would be.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from stockroom.adapters.dynamodb.client import TableClient
from stockroom.adapters.dynamodb.codec import change_from_attributes, item_from_attributes, n
from stockroom.adapters.dynamodb.layout import AttributeMap, item_key_attrs, item_pk, table_name
from stockroom.core.deadline import API_GATEWAY_SECONDS, capped, time_left
from stockroom.core.domain import InventoryItem, ItemKey
from stockroom.core.errors import OutcomeUnknown
from stockroom.core.ledger import position

# How long to wait for the ledger to reach the item's revision (the stream's delay), the deadline permitting.
LEDGER_WAIT_SECONDS = 10.0
# A change is applied at most a request's lifetime after its stamp (the request's start), give or take the
# writers' clocks: records stamped further from it than this were applied before it, or after it.
STAMP_WINDOW = timedelta(seconds=API_GATEWAY_SECONDS + 2.0)
# An attempt's note outlives the Idempotency-Key (24 h) that a retry would name it by.
ATTEMPT_SECONDS = 3 * 24 * 3600
ATTEMPT_PREFIX = "TRY#"
LEDGER_BEHIND = (
    "DynamoDB did not answer in time, and the ledger has not caught up to tell whether the change was"
    " applied (retry with the same Idempotency-Key: it is then applied exactly once)."
)


def _shifted(stamp: str, delta: timedelta) -> str:
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")) + delta
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _record_key(key: ItemKey, item_id: str, revision: int) -> AttributeMap:
    return {"pk": {"S": item_pk(key)}, "sk": {"S": position(item_id, revision)}}


def _stamp_of(table: TableClient, key: ItemKey, item_id: str, revision: int) -> str | None:
    found = table.call(
        "get_item",
        TableName=table_name(),
        Key=_record_key(key, item_id, revision),
        ConsistentRead=True,
        ProjectionExpression="createdDate",
    ).get("Item")
    return None if found is None else str(found["createdDate"]["S"])


def _ledger_reaches(table: TableClient, key: ItemKey, item_id: str, revision: int) -> bool:
    """Whether the ledger holds the item's revision `revision`, waiting for the stream a while."""
    waited, pause = 0.0, 0.05
    while True:
        if _stamp_of(table, key, item_id, revision) is not None:
            return True
        left = time_left()
        if waited >= LEDGER_WAIT_SECONDS or (left is not None and left < pause + 0.5):
            return False
        time.sleep(capped(pause))
        waited += pause
        pause = min(pause * 2, 1.0)


def _first_revision_before(table: TableClient, key: ItemKey, item_id: str, top: int, bound: str) -> int:
    """A revision whose record is stamped before `bound` (so applied before any change stamped after
    bound + STAMP_WINDOW), as high as a binary search finds; 1 if none is."""
    low, high, found = 1, top, 1
    while low <= high:
        middle = (low + high) // 2
        stamp = _stamp_of(table, key, item_id, middle)
        if stamp is not None and stamp < bound:
            found, low = middle, middle + 1
        else:
            high = middle - 1
    return found


def _in_ledger(
    table: TableClient, key: ItemKey, item_id: str, top: int, request_id: str, line_index: int, stamp: str
) -> bool:
    lowest = _first_revision_before(table, key, item_id, top, _shifted(stamp, -STAMP_WINDOW))
    latest = _shifted(stamp, STAMP_WINDOW)
    kwargs: dict[str, Any] = {
        "TableName": table_name(),
        "KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high",
        "ExpressionAttributeValues": {
            ":pk": {"S": item_pk(key)},
            ":low": {"S": position(item_id, lowest)},
            ":high": {"S": position(item_id, top)},
        },
        "ProjectionExpression": "requestId, lineIndex, createdDate",
        "ConsistentRead": True,
    }
    while True:
        answer = table.call("query", **kwargs)
        for record in answer.get("Items", []):
            if record["requestId"]["S"] == request_id and int(record["lineIndex"]["N"]) == line_index:
                return True
            if record["createdDate"]["S"] > latest:
                return False  # applied after any moment this attempt's change could have been
        if "LastEvaluatedKey" not in answer:
            return False
        kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def find_change(
    table: TableClient, key: ItemKey, request_id: str, line_index: int, stamps: Sequence[str]
) -> InventoryItem | None:
    """The item, if request `request_id`'s line `line_index` changed it in an attempt stamped with one of
    `stamps`; None if it did not (as far as the item's current revision). Raises OutcomeUnknown when the
    ledger does not catch up in time to tell."""
    stored = table.get(item_key_attrs(key))
    if stored is None:
        raise OutcomeUnknown("The item is gone; whether the change was applied before cannot be told.")
    item = item_from_attributes(stored)
    change = change_from_attributes(stored)
    if change is not None and change.request_id == request_id and change.line_index == line_index:
        return item
    if not _ledger_reaches(table, key, item.id, item.revision):
        raise OutcomeUnknown(LEDGER_BEHIND)
    for stamp in stamps:
        if _in_ledger(table, key, item.id, item.revision, request_id, line_index, stamp):
            return item
    return None


def begin_attempt(
    table: TableClient, key: ItemKey, request_id: str, line_index: int, stamp: str, epoch_now: int
) -> tuple[str, ...]:
    """Note that this attempt (stamped `stamp`) may write the line alone; returns the stamps of the attempts
    noted before it (a retry's earlier tries), oldest first."""
    answer = table.call(
        "update_item",
        TableName=table_name(),
        Key={"pk": {"S": item_pk(key)}, "sk": {"S": f"{ATTEMPT_PREFIX}{request_id}#{line_index:04d}"}},
        UpdateExpression="SET entity = :entity, stamps = list_append(if_not_exists(stamps, :none), :mine),"
        " expiresAt = :expires",
        ExpressionAttributeValues={
            ":entity": {"S": "LineAttempt"},
            ":none": {"L": []},
            ":mine": {"L": [{"S": stamp}]},
            ":expires": n(epoch_now + ATTEMPT_SECONDS),
        },
        ReturnValues="UPDATED_OLD",
    )
    earlier = answer.get("Attributes", {}).get("stamps", {}).get("L", [])
    return tuple(s["S"] for s in earlier if s["S"] != stamp)
