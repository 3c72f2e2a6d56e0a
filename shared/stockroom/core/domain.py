"""Domain model: the inventory item and the outcome of a line, independent of any API dialect or storage."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Final

# Ids become parts of storage keys: a closed alphabet keeps out "#" (the separator) and control characters.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"


class AvailabilityStatus(enum.StrEnum):
    IN_STOCK = "IN_STOCK"
    OUT_OF_STOCK = "OUT_OF_STOCK"
    PREORDER = "PREORDER"


class LineErrorCode(enum.StrEnum):
    INVENTORY_ITEM_NOT_FOUND = "INVENTORY_ITEM_NOT_FOUND"
    TRACK_QUANTITY_DISABLED = "TRACK_QUANTITY_DISABLED"
    INSUFFICIENT_INVENTORY = "INSUFFICIENT_INVENTORY"
    PREORDER_LIMIT_EXCEEDED = "PREORDER_LIMIT_EXCEEDED"
    # An increment would take the quantity past MAX_QUANTITY, the most an item may hold.
    QUANTITY_LIMIT_EXCEEDED = "QUANTITY_LIMIT_EXCEEDED"
    # A decrement allowed to go below zero would take the quantity under MIN_QUANTITY.
    QUANTITY_FLOOR_EXCEEDED = "QUANTITY_FLOOR_EXCEEDED"
    # An update (or upsert) would set a negative quantity lower than the item's own.
    NEGATIVE_QUANTITY = "NEGATIVE_QUANTITY"
    # Preorder settings the item cannot take (a limit on an item that does not count its quantity).
    INVALID_PREORDER = "INVALID_PREORDER"
    # An update named another variant, location or product than the item's (they are its key).
    IMMUTABLE_FIELD = "IMMUTABLE_FIELD"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    # Optimistic concurrency: the caller's revision is not the item's any more.
    REVISION_MISMATCH = "REVISION_MISMATCH"
    # An update may not stop tracking quantity while reservations hold units of the item.
    HELD_BY_RESERVATIONS = "HELD_BY_RESERVATIONS"
    # The item holds units for live reservations: it cannot be deleted until they are released.
    INVENTORY_ITEM_RESERVED = "INVENTORY_ITEM_RESERVED"
    # The storage stayed busy (throttled, conflicting, timing out) past our retries, or the request's
    # deadline came before the line was written: it is known NOT to have been applied.
    TEMPORARILY_UNAVAILABLE = "TEMPORARILY_UNAVAILABLE"
    # The line's write was sent and its answer lost: it may or may not have been applied. A retry with the
    # same Idempotency-Key applies it exactly once.
    OUTCOME_UNKNOWN = "OUTCOME_UNKNOWN"
    # DynamoDB refused the write as a repeat of a different one (see errors.IdempotencyConflict).
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"


class AdjustmentKind(enum.StrEnum):
    CREATE = "CREATE"
    UPDATE = "UPDATE"
    INCREMENT = "INCREMENT"
    DECREMENT = "DECREMENT"
    PREORDER = "PREORDER"
    # Reservations (SPEC §7): they change reservedQuantity; CONFIRM also takes the held units off hand.
    RESERVE = "RESERVE"
    RELEASE = "RELEASE"
    CONFIRM = "CONFIRM"
    EXPIRE = "EXPIRE"
    TRANSFER_OUT = "TRANSFER_OUT"
    TRANSFER_IN = "TRANSFER_IN"
    DELETE = "DELETE"


# Kinds whose ledger records carry the reserved count before and after (SPEC §8).
HOLD_KINDS = frozenset(
    {AdjustmentKind.RESERVE, AdjustmentKind.RELEASE, AdjustmentKind.CONFIRM, AdjustmentKind.EXPIRE}
)


@dataclass(frozen=True, slots=True)
class ItemKey:
    """What identifies an item without a read: one item per (store, variant, location)."""

    store_id: str
    variant_id: str
    location_id: str


@dataclass(frozen=True, slots=True)
class PreorderSettings:
    enabled: bool = False
    message: str | None = None
    limit: int | None = None
    counter: int = 0

    @property
    def remaining(self) -> int | None:
        """Units that may still be preordered; None when there is no limit."""
        return None if self.limit is None else self.limit - self.counter


@dataclass(frozen=True, slots=True)
class InventoryItem:
    id: str
    store_id: str
    variant_id: str
    location_id: str
    product_id: str
    track_quantity: bool
    quantity: int | None = None  # kept only when track_quantity
    in_stock: bool | None = None  # kept only when not track_quantity
    preorder: PreorderSettings = field(default_factory=PreorderSettings)
    revision: int = 1
    created_date: str = ""
    updated_date: str = ""
    product_name: str | None = None
    category_ids: tuple[str, ...] = ()
    low_stock_threshold: int | None = None
    # Units that reservations hold (SPEC §7). As stored, it may still count holds that expired and were
    # not reclaimed yet; the service shows live counts (`InventoryService.live`).
    reserved: int = 0
    # The tags of the holds that `reserved` counts (stockroom.core.tags: units and expiry of each).
    holds: tuple[int, ...] = ()

    @property
    def key(self) -> ItemKey:
        return ItemKey(self.store_id, self.variant_id, self.location_id)

    @property
    def available(self) -> int:
        """What every stock rule reads: on hand less what reservations hold."""
        return (self.quantity or 0) - self.reserved

    @property
    def availability_status(self) -> AvailabilityStatus:
        """Derived (SPEC §1), never stored, so it can never disagree with the counts."""
        if self.track_quantity:
            if self.available > 0:
                return AvailabilityStatus.IN_STOCK
            remaining = self.preorder.remaining
            if self.preorder.enabled and (remaining is None or remaining > 0):
                return AvailabilityStatus.PREORDER
            return AvailabilityStatus.OUT_OF_STOCK
        if self.in_stock:
            return AvailabilityStatus.IN_STOCK
        if self.preorder.enabled:
            return AvailabilityStatus.PREORDER
        return AvailabilityStatus.OUT_OF_STOCK


@dataclass(frozen=True, slots=True)
class DecrementLine:
    """One line of a decrement request, its item already resolved to a key."""

    index: int
    key: ItemKey
    quantity: int
    preorder_request: bool = False


@dataclass(frozen=True, slots=True)
class DecrementById:
    """One line of a decrement that names its item by id (resolved to a key by the service)."""

    index: int
    item_id: str
    quantity: int
    preorder_request: bool = False


@dataclass(frozen=True, slots=True)
class IncrementById:
    """One line of an increment that names its item by id."""

    index: int
    item_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class IncrementLine:
    """One line of an increment request, its item already resolved to a key."""

    index: int
    key: ItemKey
    quantity: int


class Keep(enum.Enum):
    """An update's "leave this field as it is", where None means "remove it"."""

    KEEP = "KEEP"


KEEP: Final = Keep.KEEP


@dataclass(frozen=True, slots=True)
class ItemChanges:
    """What an update sets; None for quantity/in_stock/enabled means unchanged (they cannot be removed)."""

    quantity: int | None = None  # switches the item to tracking quantity
    in_stock: bool | None = None  # switches the item to not tracking quantity
    preorder_enabled: bool | None = None
    preorder_message: str | Keep | None = KEEP
    preorder_limit: int | Keep | None = KEEP
    # What the caller says the item's variant, location and product are (an item read back whole):
    # checked, never changed.
    variant_id: str | None = None
    location_id: str | None = None
    product_id: str | None = None


@dataclass(frozen=True, slots=True)
class UpdateLine:
    """One item of a bulk update: the caller's expected revision and the changes."""

    index: int
    item_id: str
    revision: int
    changes: ItemChanges


@dataclass(frozen=True, slots=True)
class Change:
    """What an item carries about the change that made it what it is: its kind, why, whose request and
    line, and by how much. The ledger reads it off the item's new image on the table's stream."""

    kind: AdjustmentKind
    reason: str
    request_id: str
    line_index: int
    delta: int | None


@dataclass(frozen=True, slots=True)
class Adjustment:
    """One ledger record: an applied change of an item, with the item's revision after it and the exact
    counts before and after (SPEC §8)."""

    item_id: str
    revision: int
    kind: AdjustmentKind
    delta: int | None  # None where no count changed meaningfully (a switch of tracking method)
    reason: str
    request_id: str
    created_date: str
    quantity_before: int | None = None  # on hand; None where the item did not count (or did not exist)
    quantity_after: int | None = None
    # The preorder counter on a PREORDER record; the reserved count on RESERVE, RELEASE, CONFIRM, EXPIRE.
    counter_before: int | None = None
    counter_after: int | None = None
    # Which line of its request made the change: with `request_id`, what a retry looks for to learn
    # whether an earlier attempt of the same line was applied.
    line_index: int = 0


@dataclass(frozen=True, slots=True)
class LineError:
    code: LineErrorCode
    description: str
    data: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LineResult:
    """The answer for one line: applied (with how) or failed (with why). Never both."""

    index: int
    item_id: str | None
    kind: AdjustmentKind | None = None
    error: LineError | None = None
    item: InventoryItem | None = None

    @property
    def success(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class OrderOutcome:
    """The answer for an all-or-nothing order: every line applied, or none and every failing line named."""

    applied: bool
    failures: tuple[LineResult, ...] = ()
    # The order's marker was there: decided once before (applied, or rejected with these failures), and
    # nothing was done now.
    already_applied: bool = False


@dataclass(frozen=True, slots=True)
class AuditContext:
    """Who asked for a change and why: recorded with every applied line."""

    request_id: str
    reason: str
    created_date: str
    # The request carries an Idempotency-Key: the client may send it again after an answer it did not get,
    # so a line written without a witness notes its attempt first (see InventoryRepository.begin_attempt).
    keyed: bool = False


@dataclass(frozen=True, slots=True)
class ItemDraft:
    """What a caller gives to create an item; the service fills in id, location, revision and dates."""

    variant_id: str
    location_id: str | None = None
    product_id: str | None = None
    quantity: int | None = None
    in_stock: bool | None = None
    preorder: PreorderSettings = field(default_factory=PreorderSettings)
    product_name: str | None = None
    category_ids: tuple[str, ...] = ()
    low_stock_threshold: int | None = None
    item_id: str | None = None  # chosen by the caller only for seeding and imports


@dataclass(frozen=True, slots=True)
class VariantStock:
    variant_id: str
    quantity: int | None  # None: the variant does not track quantity


@dataclass(frozen=True, slots=True)
class ProductStock:
    """A product's stock at one location: its own item's, or the sum of its tracked variants' (SPEC §4)."""

    product_id: str
    quantity: int
    variants: tuple[VariantStock, ...]
