"""Reclaiming expired holds from an item, by their tags alone: every stock write may need it (a hold stops
counting at its expiry, SPEC §7), so the functions that never hold stock load this and not the
reservations' modules.

An item names each hold it counts by a tag that carries the hold's units and expiry
(`stockroom.core.tags`), so a reclaim reads nothing but the item it judged: one single-item write removes
the expired tags, each on condition that it is still there (a confirm, release or extend that came first
wins), and frees their units, stamped as an EXPIRE change for the ledger.
"""

from __future__ import annotations

from typing import Any

from stockroom.adapters.dynamodb.client import InDoubt, Refused, TableClient
from stockroom.adapters.dynamodb.codec import change_attributes, n
from stockroom.adapters.dynamodb.layout import AttributeMap, item_key_attrs, table_name
from stockroom.core.domain import AdjustmentKind, AuditContext, Change, InventoryItem, ItemKey
from stockroom.core.tags import tag_expired, tag_units


def tag_set(*tags: int) -> AttributeMap:
    return {"NS": [str(t) for t in tags]}


def item_change(
    key: ItemKey,
    change: Change,
    now: str,
    condition: str,
    sets: str,
    values: AttributeMap,
    *,
    add: str = "",
    delete: str = "",
    names: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One item's conditional update (an UpdateItem's parameters) that also stamps the change (for the
    ledger) and bumps its revision; `add`/`delete` are the clauses that put tags in or take them out."""
    expression = f"SET #change = :change, revision = revision + :one, updatedDate = :now, {sets}"
    if add:
        expression += f" ADD {add}"
    if delete:
        expression += f" DELETE {delete}"
    return {
        "TableName": table_name(),
        "Key": item_key_attrs(key),
        "ConditionExpression": condition,
        "UpdateExpression": expression,
        "ExpressionAttributeNames": {"#change": "change", **(names or {})},
        "ExpressionAttributeValues": {
            ":change": change_attributes(change),
            ":one": n(1),
            ":now": {"S": now},
            **values,
        },
        # On failure DynamoDB hands back the item it judged: the service explains a refusal from it.
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def all_there(tags: list[int], prefix: str = ":t") -> tuple[str, AttributeMap]:
    """A condition that every tag is on the item, and its values."""
    condition = " AND ".join(f"contains(holds, {prefix}{i})" for i in range(len(tags)))
    return condition, {f"{prefix}{i}": n(tag) for i, tag in enumerate(tags)}


def reclaim_expired(table: TableClient, item: InventoryItem, audit: AuditContext) -> int:
    now = audit.created_date
    expired = [tag for tag in item.holds if tag_expired(tag, now)]
    if not expired:
        return 0
    freed = sum(map(tag_units, expired))
    change = Change(AdjustmentKind.EXPIRE, "RESERVATION_EXPIRED", audit.request_id, 0, -freed)
    condition, values = all_there(expired)
    # An untracked item's holds take no stock (they are counted so that it cannot start tracking under
    # them): freeing them frees `reserved` alone.
    tracked = item.track_quantity
    update = item_change(
        item.key,
        change,
        now,
        f"attribute_exists(pk) AND trackQuantity = :tracked AND {condition}",
        "reserved = reserved - :freed" + (", available = available + :freed" if tracked else ""),
        {**values, ":freed": n(freed), ":expired": tag_set(*expired), ":tracked": {"BOOL": tracked}},
        delete="holds :expired",
    )
    try:
        table.write_item("update_item", update)
    except (Refused, InDoubt):
        return 0  # another call reclaimed (or finished, or extended) one of them first; or not known
    return freed
