"""Stock changes in DynamoDB: the lines of a request, packed into transactions or written alone.

A packed line is two operations of a transaction: the item's conditional update (its condition is exactly
the rule that chose it, see `conditions`) and the put of its witness. A line written alone is one
conditional UpdateItem: it holds nothing while in flight, so the buyers of one hot item never cancel each
other (DynamoDB cancels a transaction that names an item another transaction holds, and refuses a plain
write to it), and it costs one write unit where a transaction's two items cost four. Its exactly-once comes
from the item's stamp and the ledger (`settle`). Either way a refusal hands back the item DynamoDB judged
(ALL_OLD), so explaining it needs no read.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from stockroom.adapters.dynamodb import settle
from stockroom.adapters.dynamodb.client import IN_DOUBT, Cancelled, InDoubt, Refused, TableClient
from stockroom.adapters.dynamodb.codec import item_from_attributes, witness_put
from stockroom.adapters.dynamodb.conditions import (
    decrement_write,
    increment_write,
    stamped_update,
    untracked_check,
)
from stockroom.adapters.dynamodb.layout import item_key_attrs, table_name
from stockroom.adapters.dynamodb.orders import decided, marker_attributes, marker_put
from stockroom.core.domain import (
    AdjustmentKind,
    AuditContext,
    Change,
    IncrementLine,
    InventoryItem,
    ItemKey,
    LineResult,
)
from stockroom.core.errors import OutcomeUnknown
from stockroom.core.ports import OrderMarker, StockWrite, WritesConflicted, WritesRefused
from stockroom.core.rules import decrement_adjustment


def _is_witness(operation: dict[str, Any]) -> bool:
    return "Put" in operation and operation["Put"]["Item"].get("entity") == {"S": "ChangeWitness"}


def _old_item(cancelled: Cancelled, position: int) -> InventoryItem | None:
    old = cancelled.reasons[position].get("Item")
    return item_from_attributes(old) if old else None


class StockWrites:
    """The stock-change half of `DynamoDBInventoryRepository`."""

    _table: TableClient

    def _update(self, write: StockWrite, restrict_inventory: bool, audit: AuditContext) -> dict[str, Any]:
        """The line's stamped conditional update (an UpdateItem's parameters)."""
        line = write.line
        if isinstance(line, IncrementLine):
            update = increment_write(line, audit.created_date)
            change = Change(
                write.kind or AdjustmentKind.INCREMENT,
                audit.reason,
                audit.request_id,
                line.index,
                line.quantity,
            )
        else:
            assert write.path is not None, "an untracked order item is checked, not updated"
            condition, expression, values = decrement_write(
                line, write.path, restrict_inventory, audit.created_date
            )
            update = {
                "ConditionExpression": condition,
                "UpdateExpression": expression,
                "ExpressionAttributeValues": values,
            }
            kind, delta = decrement_adjustment(write.path, line.quantity)
            change = Change(write.kind or kind, audit.reason, audit.request_id, line.index, delta)
        return stamped_update(line.key, update, change)

    def _operations(
        self, write: StockWrite, restrict_inventory: bool, audit: AuditContext, epoch_now: int
    ) -> list[dict[str, Any]]:
        if write.path is None and not isinstance(write.line, IncrementLine):
            return [untracked_check(write.line.key)]
        update = self._update(write, restrict_inventory, audit)
        return [
            {"Update": update},
            witness_put(item_key_attrs(write.line.key), audit, write.line.index, epoch_now),
        ]

    def write_alone(
        self, write: StockWrite, *, restrict_inventory: bool, audit: AuditContext
    ) -> InventoryItem:
        update = {**self._update(write, restrict_inventory, audit), "ReturnValues": "ALL_NEW"}
        try:
            answer = self._table.write_item("update_item", update)
        except Refused as refused:
            raise WritesRefused(
                {0: item_from_attributes(refused.item) if refused.item else None}
            ) from refused
        except InDoubt as doubt:
            line = write.line
            found = settle.find_change(
                self._table, line.key, audit.request_id, line.index, [audit.created_date]
            )
            if found is None:
                # Not in the ledger as far as the item's revision now; a request still held somewhere could
                # land later, so this is not "nothing was applied".
                raise OutcomeUnknown(IN_DOUBT) from doubt
            return found
        return item_from_attributes(answer["Attributes"])

    def find_change(
        self, key: ItemKey, request_id: str, line_index: int, stamps: Sequence[str]
    ) -> InventoryItem | None:
        return settle.find_change(self._table, key, request_id, line_index, stamps)

    def begin_attempt(self, key: ItemKey, request_id: str, line_index: int, stamp: str) -> tuple[str, ...]:
        return settle.begin_attempt(self._table, key, request_id, line_index, stamp, int(time.time()))

    def write_together(
        self,
        writes: Sequence[StockWrite],
        *,
        restrict_inventory: bool,
        audit: AuditContext,
        token: str,
        marker: OrderMarker | None = None,
    ) -> None:
        operations: list[dict[str, Any]] = []
        starts: list[int] = []  # each write's first operation (its update or check; a witness follows it)
        epoch_now = int(time.time())
        for write in writes:
            starts.append(len(operations))
            operations += self._operations(write, restrict_inventory, audit, epoch_now)
        if marker is not None:
            operations.append(marker_put(marker_attributes(marker, audit, epoch_now), table_name()))
        try:
            # One write retries its own conflicts; a pack hands them back, and its conflicted writes go alone.
            self._table.transact(operations, token=token, retry_conflicts=len(writes) == 1)
        except Cancelled as cancelled:
            if marker is not None and cancelled.failed(len(operations) - 1):
                raise decided(cancelled.reasons[-1].get("Item")) from cancelled
            refused = {
                w: _old_item(cancelled, start) for w, start in enumerate(starts) if cancelled.failed(start)
            }
            recorded = frozenset(
                w
                for w, start in enumerate(starts)
                if start + 1 < len(operations)
                and _is_witness(operations[start + 1])
                and cancelled.failed(start + 1)
            )
            if refused or recorded:
                raise WritesRefused(refused, recorded) from cancelled
            conflicted = frozenset(
                w
                for w, start in enumerate(starts)
                if cancelled.conflicted(start) or cancelled.conflicted(start + 1)
            )
            raise WritesConflicted(conflicted or frozenset(range(len(writes)))) from cancelled

    def record_order_rejection(
        self, marker: OrderMarker, failures: tuple[LineResult, ...], audit: AuditContext
    ) -> None:
        put = marker_put(marker_attributes(marker, audit, int(time.time()), failures), table_name())["Put"]
        try:
            self._table.call("put_item", **put)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            # Decided before (or this very put, retried after its answer was lost: the same failures).
            found: dict[str, Any] | None = error.response.get("Item")  # type: ignore[assignment]
            raise decided(found) from error
