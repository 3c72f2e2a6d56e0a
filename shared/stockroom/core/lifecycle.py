"""Deleting items, and the answer of a single-item call (PATCH, DELETE) from its one line's result.

A delete is pinned to the revision it read, so the tombstone it leaves (and the ledger's DELETE record
written from it) holds exactly the item that was deleted; a change in between makes it read again. An item
that holds units for live reservations is not deleted: its holds would be lost with it (see
docs/decisions.md).
"""

from __future__ import annotations

from collections.abc import Sequence

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
    ItemNotFound,
    ItemReserved,
    RevisionMismatch,
    StockroomError,
    StorageUnavailable,
)
from stockroom.core.packs import KEPT_CHANGING, unavailable
from stockroom.core.ports import ConditionNotMet, HoldsRemain
from stockroom.core.stock import NOT_FOUND, StockChanges, busy, failed
from stockroom.core.writes import Retry, write_by_rules

_RAISED: dict[LineErrorCode, type[StockroomError]] = {
    LineErrorCode.INVENTORY_ITEM_NOT_FOUND: ItemNotFound,
    LineErrorCode.REVISION_MISMATCH: RevisionMismatch,
    LineErrorCode.INVENTORY_ITEM_RESERVED: ItemReserved,
    LineErrorCode.TEMPORARILY_UNAVAILABLE: StorageUnavailable,
}


def raise_for(result: LineResult) -> None:
    """A single-item call answers its one line's error as the error of the whole call."""
    error = result.error
    if error is None:
        return
    raised = _RAISED.get(error.code)
    if raised is None:
        raise ChangeRefused(error.code, error.description, error.data)
    raise raised(error.description, error.data)


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
                    if self._repository.reclaim_expired(key, audit) > 0:
                        return Retry(self._repository.get_items([key]).get(key))
                    return LineResult(index, item_id, error=holds_remain(refused.item, refused.reserved))
                return Retry(refused.item)  # changed since it was read: delete it as it is now

            def exhausted(_: InventoryItem | None) -> LineResult:
                return unavailable(index, KEPT_CHANGING)

            try:
                before = self._repository.get_items([keys[index]]).get(keys[index])
                return write_by_rules(before, write, ConditionNotMet, judge, exhausted)
            except StorageUnavailable as unavailable_now:
                return busy(index, unavailable_now)

        results = self._run_grouped(sorted(keys), lambda index: keys[index], delete)
        return sorted([*results, *missing], key=lambda r: r.index)

    def delete_item(self, store_id: str, item_id: str, audit: AuditContext) -> None:
        [result] = self.delete_items(store_id, [item_id], audit)
        raise_for(result)
