"""The decrement rules of SPEC §2, written once.

`judge_decrement` says, for a snapshot of an item, what a line may do to it. The storage layer never trusts
this judgement on its own: every write path carries a condition that is exactly the rule that chose it (see
`stockroom.adapters.dynamodb.conditions`), so a snapshot that went stale between the read and the write can
only make the write fail, never make it wrong. The judgement is used to pick the next write path after a
failed condition, and to explain a failure with the data of the very snapshot that failed it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from stockroom.core.domain import (
    KEEP,
    AdjustmentKind,
    AvailabilityStatus,
    InventoryItem,
    ItemChanges,
    LineError,
    LineErrorCode,
)

MAX_UNITS_PER_LINE = 1_000_000_000
# An item's quantity stays within Wix's bounds (SPEC §11), whichever dialect changes it: an increment never
# takes it past MAX_QUANTITY, a decrement allowed to go below zero never under MIN_QUANTITY.
MAX_QUANTITY = 99_999
MIN_QUANTITY = -99_999
UNTRACKED_LIMIT = "A preorder limit needs an item that tracks its quantity."


class WritePath(enum.Enum):
    """The conditional writes a decrement line can take; each has its own condition in storage."""

    STOCK = "STOCK"  # rule 4: quantity -= n
    PREORDER_WITHIN_LIMIT = "PREORDER_WITHIN_LIMIT"  # rule 3 with a limit: counter += n, remaining -= n
    PREORDER_UNLIMITED = "PREORDER_UNLIMITED"  # rule 3 without a limit: counter += n


@dataclass(frozen=True, slots=True)
class Apply:
    path: WritePath


@dataclass(frozen=True, slots=True)
class Reject:
    error: LineError


Decision = Apply | Reject


def judge_decrement(
    item: InventoryItem | None, units: int, *, preorder_request: bool, restrict_inventory: bool
) -> Decision:
    """SPEC §2, rules 1 to 4, in order."""
    if item is None or not item.track_quantity:
        return Reject(untracked_or_missing(item, "decremented"))
    if preorder_request and item.availability_status is AvailabilityStatus.PREORDER:
        limit = item.preorder.limit
        if limit is None:
            return Apply(WritePath.PREORDER_UNLIMITED)
        if item.preorder.counter + units > limit:
            return Reject(
                LineError(
                    LineErrorCode.PREORDER_LIMIT_EXCEEDED,
                    f"Requested {units} preorder units, but only {limit - item.preorder.counter} remain.",
                    {
                        "inventoryItemId": item.id,
                        "requested": units,
                        "preorderLimit": limit,
                        "preorderCounter": item.preorder.counter,
                        "available": limit - item.preorder.counter,
                    },
                )
            )
        return Apply(WritePath.PREORDER_WITHIN_LIMIT)
    # SPEC §7: units that reservations hold are not for sale, so the rule reads availableQuantity.
    available = item.available
    if restrict_inventory and available < units:
        return Reject(insufficient(item, units))
    quantity = item.quantity or 0
    if quantity - units < MIN_QUANTITY:  # only reachable without restrictInventory
        return Reject(
            LineError(
                LineErrorCode.QUANTITY_FLOOR_EXCEEDED,
                f"Taking {units} units would take the quantity under {MIN_QUANTITY:,}.",
                {"inventoryItemId": item.id, "requested": units, "quantity": quantity},
            )
        )
    return Apply(WritePath.STOCK)


def insufficient(item: InventoryItem, units: int) -> LineError:
    available = item.available
    where = f"available ({item.reserved} more are reserved)" if item.reserved > 0 else "in stock"
    return LineError(
        LineErrorCode.INSUFFICIENT_INVENTORY,
        f"Requested {units} units, but only {max(available, 0)} are {where}.",
        {"inventoryItemId": item.id, "requested": units, "available": available},
    )


def untracked_or_missing(item: InventoryItem | None, verb: str) -> LineError:
    """Rules 1 and 2, shared by every change of a count (decrement and increment)."""
    if item is None:
        return LineError(LineErrorCode.INVENTORY_ITEM_NOT_FOUND, "No such inventory item in this store.")
    return LineError(
        LineErrorCode.TRACK_QUANTITY_DISABLED,
        f"The item does not track quantity, so it cannot be {verb}.",
        {"inventoryItemId": item.id},
    )


def judge_increment(item: InventoryItem | None, units: int) -> LineError | None:
    """Why an increment may not apply to this snapshot (rules 1 and 2, and the quantity's bound), or None."""
    if item is None or not item.track_quantity:
        return untracked_or_missing(item, "incremented")
    quantity = item.quantity or 0
    if quantity + units > MAX_QUANTITY:
        # The bound every quantity field is validated against: past it, the item could not be restated.
        return LineError(
            LineErrorCode.QUANTITY_LIMIT_EXCEEDED,
            f"Adding {units} units would take the quantity past {MAX_QUANTITY:,}.",
            {
                "inventoryItemId": item.id,
                "requested": units,
                "quantity": quantity,
                "available": MAX_QUANTITY - quantity,
            },
        )
    return None


def revision_mismatch(item: InventoryItem, expected: int) -> LineError:
    return LineError(
        LineErrorCode.REVISION_MISMATCH,
        f"The item is at revision {item.revision}, not {expected}: read it again and retry.",
        {
            "inventoryItemId": item.id,
            "expectedRevision": str(expected),
            "currentRevision": str(item.revision),
        },
    )


def held_back(
    item: InventoryItem, changes: ItemChanges, live_reserved: int, *, allow_below_reserved: bool
) -> LineError | None:
    """Why an update may not apply while reservations hold units of the item (`live_reserved`, holds that
    expired left out), or None. Stopping or starting to track quantity is refused while anything is held:
    a hold is units of a count, and confirming takes them from it. An absolute quantity below the held
    units is refused unless the caller says so: confirming those holds would take it below zero."""
    switches = (changes.in_stock is not None and item.track_quantity) or (
        changes.quantity is not None and not item.track_quantity
    )
    # As stored: a switch must leave no held units behind, expired or not (they are reclaimed first).
    if item.reserved > 0 and switches:
        return LineError(
            LineErrorCode.HELD_BY_RESERVATIONS,
            f"Reservations hold {item.reserved} units of this item, so it cannot change how it counts stock"
            " until they end.",
            {"inventoryItemId": item.id, "reservedQuantity": item.reserved},
        )
    quantity = changes.quantity
    if quantity is not None and quantity < live_reserved and not allow_below_reserved:
        return LineError(
            LineErrorCode.HELD_BY_RESERVATIONS,
            f"Reservations hold {live_reserved} units of this item: a quantity of {quantity} would leave"
            f" {quantity - live_reserved} available, and confirming them would take it below zero. Release"
            " them first, or send allowBelowReserved: true.",
            {"inventoryItemId": item.id, "reservedQuantity": live_reserved, "requestedQuantity": quantity},
        )
    return None


def judge_update(item: InventoryItem, changes: ItemChanges) -> LineError | None:
    """Why an update may not apply to this snapshot, or None. A negative quantity may be set only where it
    does not go lower than the item's own (a count below zero is what sales left, not a count anyone
    takes); a preorder limit needs an item that counts its quantity."""
    for name, said, actual in (
        ("variantId", changes.variant_id, item.variant_id),
        ("locationId", changes.location_id, item.location_id),
        ("productId", changes.product_id, item.product_id),
    ):
        if said is not None and said != actual:
            return LineError(
                LineErrorCode.IMMUTABLE_FIELD,
                f"{name} is part of the item's key and cannot change.",
                {"inventoryItemId": item.id, "field": name, "requested": said, "current": actual},
            )
    if changes.quantity is not None and changes.quantity < 0:
        current = item.quantity if item.track_quantity else None
        if current is None or changes.quantity < current:
            return LineError(
                LineErrorCode.NEGATIVE_QUANTITY,
                "A quantity below zero may not be set lower than the item's own.",
                {"inventoryItemId": item.id, "requested": changes.quantity, "quantity": current},
            )
    counts = changes.quantity is not None or (changes.in_stock is None and item.track_quantity)
    limit = item.preorder.limit if changes.preorder_limit is KEEP else changes.preorder_limit
    if limit is not None and not counts:
        return LineError(
            LineErrorCode.INVALID_PREORDER,
            UNTRACKED_LIMIT,
            {"inventoryItemId": item.id, "preorderLimit": limit},
        )
    return None


def apply_update(item: InventoryItem, changes: ItemChanges, now: str) -> InventoryItem:
    """The item after an update: one tracking method, the preorder settings changed as asked."""
    preorder = item.preorder
    if changes.preorder_enabled is not None:
        preorder = replace(preorder, enabled=changes.preorder_enabled)
    if changes.preorder_message is not KEEP:
        preorder = replace(preorder, message=changes.preorder_message)
    if changes.preorder_limit is not KEEP:
        preorder = replace(preorder, limit=changes.preorder_limit)
    item = replace(item, preorder=preorder, revision=item.revision + 1, updated_date=now)
    if changes.quantity is not None:
        return replace(item, track_quantity=True, quantity=changes.quantity, in_stock=None)
    if changes.in_stock is not None:
        return replace(item, track_quantity=False, quantity=None, in_stock=changes.in_stock)
    return item


def apply_decrement(item: InventoryItem, path: WritePath, units: int) -> InventoryItem:
    """The item after a write path took `units` (what the storage's update expression does)."""
    if path is WritePath.STOCK:
        return replace(item, quantity=(item.quantity or 0) - units, revision=item.revision + 1)
    return replace(
        item,
        preorder=replace(item.preorder, counter=item.preorder.counter + units),
        revision=item.revision + 1,
    )


def decrement_adjustment(path: WritePath, units: int) -> tuple[AdjustmentKind, int]:
    """What a decrement path records: its kind, and the change of the field it counts (quantity goes
    down; a preorder counter goes up)."""
    if path is WritePath.STOCK:
        return AdjustmentKind.DECREMENT, -units
    return AdjustmentKind.PREORDER, units


def quantity_change(before: InventoryItem, after: InventoryItem) -> int | None:
    """An update's delta: the change of quantity where the item counts before and after (none across a
    switch of tracking method)."""
    if after.quantity is None or before.quantity is None:
        return None
    return after.quantity - before.quantity


class Crossing(enum.Enum):
    """A line an item's availability crossed between two snapshots (published by the stream's consumer)."""

    OUT_OF_STOCK = "OUT_OF_STOCK"
    BACK_IN_STOCK = "BACK_IN_STOCK"
    LOW_STOCK = "LOW_STOCK"


def low_stock_threshold(item: InventoryItem, default_threshold: int) -> int:
    """The item's own threshold, else the deployment's default."""
    return default_threshold if item.low_stock_threshold is None else item.low_stock_threshold


def is_low_stock(item: InventoryItem, default_threshold: int) -> bool:
    """In stock, but at or under its low-stock threshold."""
    return item.track_quantity and 0 < item.available <= low_stock_threshold(item, default_threshold)


def availability_crossings(
    old: InventoryItem, new: InventoryItem, *, default_threshold: int
) -> list[Crossing]:
    """The lines crossed from `old` to `new`: each crossing once, however many changes stay on one side."""
    before, after = old.availability_status, new.availability_status
    crossings = []
    if after is AvailabilityStatus.OUT_OF_STOCK and before is not AvailabilityStatus.OUT_OF_STOCK:
        crossings.append(Crossing.OUT_OF_STOCK)
    if after is AvailabilityStatus.IN_STOCK and before is not AvailabilityStatus.IN_STOCK:
        crossings.append(Crossing.BACK_IN_STOCK)
    # Falling under the threshold while in stock; a restock that lands low is BACK_IN_STOCK (with its count).
    if (
        before is AvailabilityStatus.IN_STOCK
        and is_low_stock(new, default_threshold)
        and not is_low_stock(old, default_threshold)
    ):
        crossings.append(Crossing.LOW_STOCK)
    return crossings
