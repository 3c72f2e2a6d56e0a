"""Reclaiming a reservation's expired holds from an item, without the reservation itself: every stock
write may need it (a hold stops counting at its expiry, SPEC §7), so the functions that never hold stock
load this and not the reservations' modules.

A reclaim is one transaction: each expired hold still there and still expired (a conditional delete), and
the item's reserved -= their sum, stamped as an EXPIRE change for the ledger.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stockroom.adapters.dynamodb.client import Cancelled, TableClient
from stockroom.adapters.dynamodb.codec import change_attributes, n
from stockroom.adapters.dynamodb.layout import HOLD_PREFIX, AttributeMap, item_key_attrs, item_pk, table_name
from stockroom.core.domain import AdjustmentKind, AuditContext, Change, ItemKey

# A reclaim is one transaction: the item's update and up to this many holds.
_RECLAIM_HOLDS = 99


def item_change(
    key: ItemKey, change: Change, now: str, condition: str, sets: str, values: AttributeMap
) -> dict[str, Any]:
    """One item's conditional update that also stamps the change (for the ledger) and bumps its revision."""
    return {
        "Update": {
            "TableName": table_name(),
            "Key": item_key_attrs(key),
            "ConditionExpression": condition,
            "UpdateExpression": "SET #change = :change, revision = revision + :one, updatedDate = :now, "
            + sets,
            "ExpressionAttributeNames": {"#change": "change"},
            "ExpressionAttributeValues": {
                ":change": change_attributes(change),
                ":one": n(1),
                ":now": {"S": now},
                **values,
            },
            # On failure DynamoDB hands back the item it judged: the service explains a refusal from it.
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def _holds_of(table: TableClient, key: ItemKey) -> list[AttributeMap]:
    kwargs: dict[str, Any] = {
        "TableName": table_name(),
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :hold)",
        "ExpressionAttributeValues": {":pk": {"S": item_pk(key)}, ":hold": {"S": HOLD_PREFIX}},
        "ConsistentRead": True,
    }
    found: list[AttributeMap] = []
    while True:
        answer = table.call("query", **kwargs)
        found += answer.get("Items", [])
        if "LastEvaluatedKey" not in answer:
            return found
        kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def reclaim_expired(table: TableClient, key: ItemKey, audit: AuditContext) -> int:
    now = audit.created_date
    expired = [h for h in _holds_of(table, key) if h["holdUntil"]["S"] <= now][:_RECLAIM_HOLDS]
    if not expired:
        return 0
    freed = sum(int(h["quantity"]["N"]) for h in expired)
    change = Change(AdjustmentKind.EXPIRE, "RESERVATION_EXPIRED", audit.request_id, 0, -freed)
    # An item's holds all count as it does (its tracking cannot switch while any is stored); an untracked
    # item's hold frees no stock. Holds stored before they said so are a tracked item's.
    tracked = expired[0].get("tracked", {"BOOL": True})["BOOL"]
    operations = [
        item_change(
            key,
            change,
            now,
            "attribute_exists(pk) AND reserved >= :freed AND trackQuantity = :tracked",
            "reserved = reserved - :freed" + (", available = available + :freed" if tracked else ""),
            {":freed": n(freed), ":tracked": {"BOOL": tracked}},
        ),
        *(
            {
                "Delete": {
                    "TableName": table_name(),
                    "Key": {"pk": h["pk"], "sk": h["sk"]},
                    "ConditionExpression": "attribute_exists(sk) AND holdUntil <= :now",
                    "ExpressionAttributeValues": {":now": {"S": now}},
                }
            }
            for h in expired
        ),
    ]
    try:
        table.transact(operations)
    except Cancelled:
        return 0  # another call reclaimed (or extended) them first
    return freed


def expired_reserved(table: TableClient, keys: Iterable[ItemKey], now: str) -> dict[ItemKey, int]:
    return {
        key: sum(int(h["quantity"]["N"]) for h in _holds_of(table, key) if h["holdUntil"]["S"] <= now)
        for key in keys
    }
