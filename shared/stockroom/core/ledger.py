"""The exact ledger (SPEC §8): one record per applied change, computed from the item before and after it.

Both repositories build their records here: the in-memory one as it writes, the DynamoDB one from the
table's stream (whose images are exactly the item before and after each change, in per-item order).
"""

from __future__ import annotations

from dataclasses import replace

from stockroom.core.domain import HOLD_KINDS, Adjustment, AdjustmentKind, Change, InventoryItem


def adjustment(before: InventoryItem | None, after: InventoryItem, change: Change) -> Adjustment:
    counted = after.track_quantity
    counter_before: int | None = None
    counter_after: int | None = None
    # The count a record holds beside on hand: the preorder counter, or what reservations hold.
    if change.kind is AdjustmentKind.PREORDER:
        counter_before = before.preorder.counter if before is not None else None
        counter_after = after.preorder.counter
    elif change.kind in HOLD_KINDS:
        counter_before = before.reserved if before is not None else None
        counter_after = after.reserved
    return Adjustment(
        item_id=after.id,
        revision=after.revision,
        kind=change.kind,
        delta=change.delta,
        reason=change.reason,
        request_id=change.request_id,
        created_date=after.updated_date,
        quantity_before=before.quantity if before is not None and before.track_quantity else None,
        quantity_after=after.quantity if counted else None,
        counter_before=counter_before,
        counter_after=counter_after,
        line_index=change.line_index,
    )


def position(item_id: str, revision: int) -> str:
    """A record's place in its item's ledger: by item id (a variant and location may be deleted and created
    again, as another item with a chain of its own), then revision, so string order is revision order."""
    return f"ADJ#{item_id}#{revision:012d}"


def deletion(before: InventoryItem, audit_reason: str, request_id: str, line_index: int) -> Change:
    """The change a delete records: its units leave the books (delta -quantity), so a deleted item's
    records still sum to zero."""
    delta = -(before.quantity or 0) if before.track_quantity else None
    return Change(AdjustmentKind.DELETE, audit_reason, request_id, line_index, delta)


def deleted(before: InventoryItem, deleted_date: str) -> InventoryItem:
    """The item as its DELETE record sees it afterwards: one revision on, nothing on hand."""
    return replace(
        before,
        quantity=0 if before.track_quantity else None,
        revision=before.revision + 1,
        updated_date=deleted_date,
    )
