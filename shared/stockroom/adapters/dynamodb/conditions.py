"""The write operations and their conditions: each condition is exactly the rule of SPEC §2 that chose its
path (read this beside `stockroom.core.rules`; tests/adapters/test_conditions.py proves they agree)."""

from __future__ import annotations

from typing import Any

from stockroom.adapters.dynamodb.codec import change_attributes, item_to_attributes, n, witness_put
from stockroom.adapters.dynamodb.layout import AttributeMap, item_key_attrs, table_name
from stockroom.core.domain import AuditContext, Change, DecrementLine, IncrementLine, InventoryItem, ItemKey
from stockroom.core.rules import MAX_QUANTITY, MIN_QUANTITY, WritePath

# Attributes an update may change; the rest of an item (keys, ids, product, dates of creation) never does.
_UPDATABLE = (
    "trackQuantity",
    "quantity",
    "available",
    "inStock",
    "preorderEnabled",
    "preorderMessage",
    "preorderLimit",
    "preorderRemaining",
    "revision",
    "updatedDate",
)


def update_write(after: InventoryItem) -> tuple[str, AttributeMap, dict[str, str]]:
    """(update, values, names) that make the stored item `after`: SET what it has, REMOVE what it has not
    (so a switch of tracking method leaves no stale count, and a removed limit no stale remainder)."""
    attrs = item_to_attributes(after)
    names = {f"#{name}": name for name in _UPDATABLE}
    sets = [f"#{name} = :{name}" for name in _UPDATABLE if name in attrs]
    removes = [f"#{name}" for name in _UPDATABLE if name not in attrs]
    update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
    return update, {f":{name}": attrs[name] for name in _UPDATABLE if name in attrs}, names


# Rule 3's "available for preorder": sold out, preorder open, and (no limit, or some of it left).
_PREORDER_AVAILABLE = (
    "(available <= :zero AND preorderEnabled = :true"
    " AND (attribute_not_exists(preorderRemaining) OR preorderRemaining > :zero))"
)


def decrement_write(
    line: DecrementLine, path: WritePath, restrict_inventory: bool, now: str
) -> tuple[str, str, AttributeMap]:
    """(condition, update, values) of one path."""
    values: AttributeMap = {
        ":n": n(line.quantity),
        ":true": {"BOOL": True},
        ":one": n(1),
        ":now": {"S": now},
    }
    touch = "revision = revision + :one, updatedDate = :now"
    if path is WritePath.STOCK:
        # Rule 2 (tracked), then rule 4; a preorder request only reaches rule 4 when rule 3 does not apply.
        conditions = ["attribute_exists(pk)", "trackQuantity = :true"]
        if restrict_inventory:
            # SPEC §7: what reservations hold is not for sale.
            conditions.append("available >= :n")
        else:
            # SPEC §11's floor, quantity - n >= MIN_QUANTITY (conditions cannot subtract).
            conditions.append("quantity >= :floor")
            values[":floor"] = n(line.quantity + MIN_QUANTITY)
        if line.preorder_request:
            conditions.append(f"NOT {_PREORDER_AVAILABLE}")
            values[":zero"] = n(0)
        return (
            " AND ".join(conditions),
            f"SET quantity = quantity - :n, available = available - :n, {touch}",
            values,
        )
    if not line.preorder_request:
        raise ValueError("only a line with preorderRequest may take a preorder path (rule 3)")
    values[":zero"] = n(0)
    sold_out_and_open = "trackQuantity = :true AND available <= :zero AND preorderEnabled = :true"
    if path is WritePath.PREORDER_WITHIN_LIMIT:
        # Rule 3 with a limit: counter + n <= limit, i.e. remaining >= n (which also makes it available).
        return (
            f"{sold_out_and_open} AND preorderRemaining >= :n",
            "SET preorderCounter = preorderCounter + :n,"
            f" preorderRemaining = preorderRemaining - :n, {touch}",
            values,
        )
    return (
        f"{sold_out_and_open} AND attribute_not_exists(preorderRemaining)",
        f"SET preorderCounter = preorderCounter + :n, {touch}",
        values,
    )


def stamped_update(key: ItemKey, update: dict[str, Any], change: Change) -> dict[str, Any]:
    """An item's conditional update that also stamps the change on the item (what the ledger reads off the
    stream, and what a retry reads to learn whether this very change was applied)."""
    expression = update["UpdateExpression"]
    assert expression.startswith("SET "), expression  # every change sets something
    return {
        "TableName": table_name(),
        "Key": item_key_attrs(key),
        # On failure DynamoDB hands back the item it judged: no read to explain a refusal.
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        **update,
        "UpdateExpression": "SET #change = :change, " + expression.removeprefix("SET "),
        "ExpressionAttributeNames": {**update.get("ExpressionAttributeNames", {}), "#change": "change"},
        "ExpressionAttributeValues": {
            **update["ExpressionAttributeValues"],
            ":change": change_attributes(change),
        },
    }


def witnessed_update(
    key: ItemKey, update: dict[str, Any], change: Change, audit: AuditContext, epoch_now: int
) -> list[dict[str, Any]]:
    """The stamped update and the put of the change's witness: the two operations of one packed line."""
    return [
        {"Update": stamped_update(key, update, change)},
        witness_put(item_key_attrs(key), audit, change.line_index, epoch_now),
    ]


def increment_write(line: IncrementLine, now: str) -> dict[str, Any]:
    """Rules 1 and 2 (the item exists and counts), and the bound: the result stays within
    MAX_QUANTITY, judged from the stored quantity itself, so concurrent increments cannot pass it."""
    return {
        "ConditionExpression": "attribute_exists(pk) AND trackQuantity = :true AND quantity <= :room",
        "UpdateExpression": "SET quantity = quantity + :n, available = available + :n,"
        " revision = revision + :one, updatedDate = :now",
        "ExpressionAttributeValues": {
            ":n": n(line.quantity),
            ":room": n(MAX_QUANTITY - line.quantity),
            ":true": {"BOOL": True},
            ":one": n(1),
            ":now": {"S": now},
        },
    }


def untracked_check(key: ItemKey) -> dict[str, Any]:
    """SPEC §4: an untracked item is accepted and left unchanged, as long as it stays untracked."""
    return {
        "ConditionCheck": {
            "TableName": table_name(),
            "Key": item_key_attrs(key),
            "ConditionExpression": "attribute_exists(pk) AND trackQuantity = :false",
            "ExpressionAttributeValues": {":false": {"BOOL": False}},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def delete_write(key: ItemKey, revision: int) -> dict[str, Any]:
    """An item's delete: only at the revision the caller read (so the tombstone keeps exactly the item that
    was deleted), and only while it holds nothing for live reservations (their units would be lost)."""
    return {
        "Delete": {
            "TableName": table_name(),
            "Key": item_key_attrs(key),
            "ConditionExpression": "#revision = :revision"
            " AND (attribute_not_exists(reserved) OR reserved <= :zero)",
            "ExpressionAttributeNames": {"#revision": "revision"},
            "ExpressionAttributeValues": {":revision": n(revision), ":zero": n(0)},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def put_new(item: AttributeMap) -> dict[str, Any]:
    """A put that never overwrites: a taken key is refused by condition."""
    return {
        "Put": {"TableName": table_name(), "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}
    }
