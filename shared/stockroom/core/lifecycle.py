"""Deleting items, and the answer of a single-item call (PATCH, DELETE) from its one line's result.

A delete is pinned to the revision it read, so the tombstone it leaves (and the ledger's DELETE record
written from it) holds exactly the item that was deleted; a change in between makes it read again. An item
that holds units for live reservations is not deleted: its holds would be lost with it (see
docs/decisions.md).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

from stockroom.core.deadline import can_start, time_left
from stockroom.core.domain import (
    AdjustmentKind,
    AuditContext,
    InventoryItem,
    LineError,
    LineErrorCode,
    LineResult,
)
from stockroom.core.errors import (
    ChangeRefused,
    IdempotencyConflict,
    ItemAlreadyExists,
    ItemNotFound,
    ItemReserved,
    OutcomeUnknown,
    RevisionMismatch,
    StockroomError,
    StorageUnavailable,
)
from stockroom.core.packs import KEPT_CHANGING, unavailable
from stockroom.core.ports import ConditionNotMet, HoldsRemain
from stockroom.core.stock import NOT_FOUND, StockChanges, busy, failed
from stockroom.core.writes import Retry, backoff

# Every line outcome a single-item call can meet, as the error of the whole call (its HTTP status is the
# class's: stockroom.http.errors). The rules' refusals keep their own code; a test walks every code.
_RAISED: dict[LineErrorCode, type[StockroomError] | None] = {
    LineErrorCode.INVENTORY_ITEM_NOT_FOUND: ItemNotFound,
    LineErrorCode.ALREADY_EXISTS: ItemAlreadyExists,
    LineErrorCode.REVISION_MISMATCH: RevisionMismatch,
    LineErrorCode.INVENTORY_ITEM_RESERVED: ItemReserved,
    LineErrorCode.TEMPORARILY_UNAVAILABLE: StorageUnavailable,
    LineErrorCode.OUTCOME_UNKNOWN: OutcomeUnknown,
    LineErrorCode.IDEMPOTENCY_CONFLICT: IdempotencyConflict,
    LineErrorCode.TRACK_QUANTITY_DISABLED: None,
    LineErrorCode.INSUFFICIENT_INVENTORY: None,
    LineErrorCode.PREORDER_LIMIT_EXCEEDED: None,
    LineErrorCode.QUANTITY_LIMIT_EXCEEDED: None,
    LineErrorCode.HELD_BY_RESERVATIONS: None,
    LineErrorCode.QUANTITY_FLOOR_EXCEEDED: None,
    LineErrorCode.NEGATIVE_QUANTITY: None,
    LineErrorCode.INVALID_PREORDER: None,
    LineErrorCode.IMMUTABLE_FIELD: None,
}


def error_for(error: LineError) -> StockroomError:
    """A line's error as the error of a whole single-item call."""
    raised = _RAISED[error.code]
    if raised is None:
        return ChangeRefused(error.code.value, error.description, error.data)
    return raised(error.description, error.data)


def raise_for(result: LineResult) -> None:
    """A single-item call answers its one line's error as the error of the whole call."""
    if result.error is not None:
        raise error_for(result.error)


# Without a deadline (a test, a script), a delete still stops trying after this many writes.
UNBOUNDED_ATTEMPTS = 50


def _within_deadline(
    read: Callable[[], InventoryItem | None],
    write: Callable[[InventoryItem | None, int], LineResult],
    judge: Callable[[ConditionNotMet, InventoryItem | None], LineResult | Retry[InventoryItem | None]],
    gave_up: Callable[[StorageUnavailable | None], LineResult],
) -> LineResult:
    """A delete waits out ordinary contention: an item that keeps changing under it (reservations come
    and go), or storage refusing it as busy, is read and tried again, with jittered backoff, for as long as
    its deadline leaves time; only then is it answered TEMPORARILY_UNAVAILABLE (nothing was deleted)."""
    busy_now: StorageUnavailable | None = None
    before: InventoryItem | None = None
    fresh = False
    for attempt in itertools.count():
        if (attempt >= UNBOUNDED_ATTEMPTS and time_left() is None) or not can_start():
            return gave_up(busy_now)
        try:
            if not fresh:
                before = read()
            fresh = False
            return write(before, attempt)
        except ConditionNotMet as refused:
            decided = judge(refused, before)
            if not isinstance(decided, Retry):
                return decided
            before, fresh = decided.plan, True  # as the refusal found it: no read needed
        except OutcomeUnknown as unknown:
            return gave_up(unknown)  # it may have landed: reading again would answer NOT_FOUND, untruly
        except StorageUnavailable as error:
            busy_now = error
        backoff(min(attempt, 5))
    raise AssertionError("unreachable")  # pragma: no cover


def holds_remain(item: InventoryItem, reserved: int) -> LineError:
    return LineError(
        LineErrorCode.INVENTORY_ITEM_RESERVED,
        f"The item holds {reserved} units for live reservations: release them before deleting it.",
        {"inventoryItemId": item.id, "reservedQuantity": reserved},
    )


class ItemRemoval(StockChanges):
    def delete_items(self, store_id: str, item_ids: Sequence[str], audit: AuditContext) -> list[LineResult]:
        """Delete each item; one result per id, in request order. Different items are deleted concurrently;
        an id named twice is deleted once (the second finds nothing)."""
        keys, missing = self.keys_by_id(store_id, list(enumerate(item_ids)))

        def delete(index: int) -> LineResult:
            item_id = item_ids[index]

            def write(before: InventoryItem | None, _: int) -> LineResult:
                if before is None or before.id != item_id:
                    return failed(index, LineErrorCode.INVENTORY_ITEM_NOT_FOUND, NOT_FOUND)
                self._repository.delete(before, line_index=index, audit=audit)
                return LineResult(index, item_id, kind=AdjustmentKind.DELETE)

            def judge(
                refused: ConditionNotMet, _: InventoryItem | None
            ) -> LineResult | Retry[InventoryItem | None]:
                if isinstance(refused, HoldsRemain) and refused.item is not None:
                    key = refused.item.key
                    # Holds that expired still count in storage until reclaimed: reclaim, then look again.
                    if self._repository.reclaim_expired(refused.item, audit) > 0:
                        return Retry(self._repository.get_items([key]).get(key))
                    return LineResult(index, item_id, error=holds_remain(refused.item, refused.reserved))
                return Retry(refused.item)  # changed since it was read: delete it as it is now

            return _within_deadline(
                lambda: self._repository.get_items([keys[index]]).get(keys[index]),
                write,
                judge,
                lambda error: busy(index, error) if error else unavailable(index, KEPT_CHANGING),
            )

        results = self._run_grouped(sorted(keys), lambda index: keys[index], delete)
        return sorted([*results, *missing], key=lambda r: r.index)

    def delete_item(self, store_id: str, item_id: str, audit: AuditContext) -> None:
        [result] = self.delete_items(store_id, [item_id], audit)
        raise_for(result)
