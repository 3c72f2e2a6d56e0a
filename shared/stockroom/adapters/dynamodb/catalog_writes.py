"""Bulk create and bulk update in DynamoDB, packed (`stockroom.core.catalog_writes`): one TransactWriteItems
for up to 33 creates (the puts of the item's stock and profile records and of its id pointer) or 100
updates, each on its own condition.

No witness record: each write stamps the item with its change (kind, request, line), so a retry that finds
its condition refused and its own stamp on the item knows that an earlier attempt landed. A refused
operation hands back the item it judged (ALL_OLD), so answering it needs no read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from stockroom.adapters.dynamodb.client import Cancelled, TableClient
from stockroom.adapters.dynamodb.codec import (
    change_attributes,
    change_from_attributes,
    item_from_attributes,
    item_to_attributes,
    n,
    profile_to_attributes,
)
from stockroom.adapters.dynamodb.conditions import update_write
from stockroom.adapters.dynamodb.layout import ITEM_ID_SK, item_id_pk, item_key_attrs, table_name
from stockroom.core.domain import AdjustmentKind, AuditContext, Change, InventoryItem
from stockroom.core.ports import ItemUpdate, NewItem, WritesConflicted, WritesRefused
from stockroom.core.rules import quantity_change

# A create is three puts: the item's stock record, its id pointer and its profile record.
_CREATE_OPS = 3


def _put_new(attributes: dict[str, Any]) -> dict[str, Any]:
    return {
        "Put": {
            "TableName": table_name(),
            "Item": attributes,
            "ConditionExpression": "attribute_not_exists(pk)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def _ours(found: Mapping[str, Any], kind: AdjustmentKind, audit: AuditContext, line: int) -> bool:
    """Whether the item carries this very request's and line's change: an earlier attempt landed."""
    change = change_from_attributes(found)
    return change is not None and (change.kind, change.request_id, change.line_index) == (
        kind,
        audit.request_id,
        line,
    )


class PackedCatalogWrites:
    """`create_many` and `update_many` of `InventoryRepository`, for the DynamoDB adapter."""

    _table: TableClient

    def create_many(self, items: Sequence[NewItem], audit: AuditContext) -> None:
        operations: list[dict[str, Any]] = []
        for new in items:
            item = new.item
            change = Change(
                AdjustmentKind.CREATE, audit.reason, audit.request_id, new.index, item.quantity or 0
            )
            operations += [
                _put_new({**item_to_attributes(item), "change": change_attributes(change)}),
                _put_new(
                    {
                        "pk": {"S": item_id_pk(item.store_id, item.id)},
                        "sk": {"S": ITEM_ID_SK},
                        "entity": {"S": "ItemIdPointer"},
                        "variantId": {"S": item.variant_id},
                        "locationId": {"S": item.location_id},
                    }
                ),
                _put_new(profile_to_attributes(item)),
            ]
        try:
            self._table.transact(operations, retry_conflicts=len(items) == 1)
        except Cancelled as cancelled:
            refused: dict[int, InventoryItem | None] = {}
            recorded: set[int] = set()
            for position, new in enumerate(items):
                if not any(cancelled.failed(_CREATE_OPS * position + k) for k in range(_CREATE_OPS)):
                    continue
                found = cancelled.reasons[_CREATE_OPS * position].get("Item")
                refused[position] = item_from_attributes(found) if found else None
                if found and _ours(found, AdjustmentKind.CREATE, audit, new.index):
                    recorded.add(position)
            if refused:
                raise WritesRefused(refused, frozenset(recorded)) from cancelled
            raise _conflicted(cancelled, len(items), _CREATE_OPS) from cancelled

    def update_many(self, updates: Sequence[ItemUpdate], audit: AuditContext) -> None:
        operations: list[dict[str, Any]] = []
        for update in updates:
            expression, values, names = update_write(update.after)
            delta = quantity_change(update.before, update.after)
            change = Change(AdjustmentKind.UPDATE, audit.reason, audit.request_id, update.index, delta)
            operations.append(
                {
                    "Update": {
                        "TableName": table_name(),
                        "Key": item_key_attrs(update.before.key),
                        # The revision pins exactly the state `after` was computed from.
                        "ConditionExpression": "#revision = :expected",
                        "UpdateExpression": "SET #change = :change, " + expression.removeprefix("SET "),
                        "ExpressionAttributeNames": {**names, "#change": "change"},
                        "ExpressionAttributeValues": {
                            **values,
                            ":expected": n(update.before.revision),
                            ":change": change_attributes(change),
                        },
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                }
            )
        try:
            self._table.transact(operations, retry_conflicts=len(updates) == 1)
        except Cancelled as cancelled:
            refused: dict[int, InventoryItem | None] = {}
            recorded: set[int] = set()
            for position, update in enumerate(updates):
                if not cancelled.failed(position):
                    continue
                found = cancelled.reasons[position].get("Item")
                refused[position] = item_from_attributes(found) if found else None
                if (
                    found
                    and int(found["revision"]["N"]) == update.after.revision
                    and _ours(found, AdjustmentKind.UPDATE, audit, update.index)
                ):
                    recorded.add(position)
            if refused:
                raise WritesRefused(refused, frozenset(recorded)) from cancelled
            raise _conflicted(cancelled, len(updates), 1) from cancelled


def _conflicted(cancelled: Cancelled, lines: int, operations_a_line: int) -> WritesConflicted:
    """The lines whose operations met other writers (all of them when DynamoDB does not say)."""
    positions = frozenset(
        line
        for line in range(lines)
        if any(cancelled.conflicted(line * operations_a_line + k) for k in range(operations_a_line))
    )
    return WritesConflicted(positions or frozenset(range(lines)))
