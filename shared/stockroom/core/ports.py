"""The ports: the storage interfaces the core depends on. `stockroom.adapters.dynamodb` implements them for
DynamoDB, `stockroom.adapters.memory` in memory (the unit tier)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from stockroom.core.domain import (
    Adjustment,
    AdjustmentKind,
    AuditContext,
    DecrementLine,
    IncrementLine,
    InventoryItem,
    ItemKey,
    LineResult,
)
from stockroom.core.rules import WritePath

if TYPE_CHECKING:  # named in signatures only: functions that hold no stock never load them
    from stockroom.core.holds import Reservation, ReservationStatus


class ConditionNotMet(Exception):
    """A conditional write found the item not as its rule needs it; `item` is what it found (None: none)."""

    def __init__(self, item: InventoryItem | None) -> None:
        super().__init__("condition not met")
        self.item = item


class HoldsRemain(ConditionNotMet):
    """A delete found the item at the revision it read, but holding units for live reservations."""

    def __init__(self, item: InventoryItem, reserved: int) -> None:
        super().__init__(item)
        self.reserved = reserved


class NotApplied(Exception):
    """A transaction that applied nothing: refused (by a condition) or conflicted (by other writers)."""


class WritesRefused(NotApplied):
    """Some conditions of a transaction failed, so none of its writes was applied. `items` maps the position
    of each refused write to the item storage judged (None: no such item). `recorded` holds the positions
    whose line was applied already, by an earlier attempt whose answer was lost: they are done."""

    def __init__(
        self, items: dict[int, InventoryItem | None], recorded: frozenset[int] = frozenset()
    ) -> None:
        super().__init__("writes refused")
        self.items = items
        self.recorded = recorded


class WritesConflicted(NotApplied):
    """Other writers changed the items at these positions at the same instant (DynamoDB's
    TransactionConflict): nothing was applied, and nothing was refused either."""

    def __init__(self, positions: frozenset[int]) -> None:
        super().__init__("writes conflicted")
        self.positions = positions


class ReservationChanged(Exception):
    """A reservation's write found it no longer ACTIVE and unexpired; `current` is how it is stored now."""

    def __init__(self, current: Reservation | None) -> None:
        super().__init__("reservation changed")
        self.current = current


class OrderAlreadyApplied(Exception):
    """The order's marker exists: it was decided before, and nothing was applied now. `failures` is None
    where it was applied; where it was rejected, the failures it was answered with then."""

    def __init__(self, failures: tuple[LineResult, ...] | None = None) -> None:
        super().__init__("order already decided")
        self.failures = failures


@dataclass(frozen=True, slots=True)
class StockWrite:
    """One line's change of one item, as a conditional write whose condition is exactly its rule:
    - a DecrementLine with a path: SPEC §2 by that path;
    - an IncrementLine (path None): rules 1 and 2, then quantity += n;
    - a DecrementLine with path None: an all-or-nothing order's untracked item, accepted and left as it
      is as long as it stays untracked.
    `kind` names the change in the ledger where it is not the line's own (a transfer's two halves)."""

    line: DecrementLine | IncrementLine
    path: WritePath | None
    kind: AdjustmentKind | None = None


@dataclass(frozen=True, slots=True)
class NewItem:
    """One line of a bulk create: the item to store."""

    index: int
    item: InventoryItem


@dataclass(frozen=True, slots=True)
class ItemUpdate:
    """One line of a bulk update: the item as read, and as it is to be (its revision one more)."""

    index: int
    before: InventoryItem
    after: InventoryItem


@dataclass(frozen=True, slots=True)
class OrderMarker:
    """Recorded in the same transaction as an order's stock change, so a redelivery finds it."""

    store_id: str
    order_id: str


class InventoryRepository(Protocol):
    def create_item(self, item: InventoryItem, audit: AuditContext, *, line_index: int = 0) -> InventoryItem:
        """Store a new item and return it as stored; raises ItemAlreadyExists if its key or id is taken. An
        item this very request (and line) created before, its answer lost, is returned, never refused."""
        ...

    def create_many(self, items: Sequence[NewItem], audit: AuditContext) -> None:
        """Store every new item (and its id pointer), each on condition that its key and id are free, in
        one request, or none. Raises WritesRefused (positions in `items`; the item found at the key, None
        where only the id was taken; `recorded` where the item found is this request's and line's own, an
        earlier attempt that landed), or WritesConflicted."""
        ...

    def update_many(self, updates: Sequence[ItemUpdate], audit: AuditContext) -> None:
        """Make each `before` into its `after`, each on condition that the item is still at `before`'s
        revision, in one request, or none. Raises WritesRefused (the item found, None where it is gone;
        `recorded` where it carries this request's and line's own change) or WritesConflicted."""
        ...

    def get_item(self, store_id: str, item_id: str) -> InventoryItem | None: ...

    def get_items(self, keys: Iterable[ItemKey], *, whole: bool = True) -> dict[ItemKey, InventoryItem]:
        """Strongly consistent reads of many items at once; missing keys are left out. `whole=False`: the
        stock only (counts and ids; the product's name, categories and creation date left empty), which is
        all a caller that answers no item needs."""
        ...

    def write_together(
        self,
        writes: Sequence[StockWrite],
        *,
        restrict_inventory: bool,
        audit: AuditContext,
        token: str,
        marker: OrderMarker | None = None,
    ) -> None:
        """Apply every write, each with its record of the change, in one transaction, or none. Raises
        WritesRefused, WritesConflicted (only for more than one write), or OrderAlreadyApplied (the marker
        exists). `token` names this attempt: a repeat of the same token never applies twice."""
        ...

    def write_alone(
        self, write: StockWrite, *, restrict_inventory: bool, audit: AuditContext
    ) -> InventoryItem:
        """Apply one write as one conditional single-item write (no transaction: it holds nothing while in
        flight, so concurrent writers of one item never cancel each other) and return the item after it.
        Raises WritesRefused ({0: the item judged}), StorageUnavailable (known not applied: busy past the
        retries, or not sent) or OutcomeUnknown (sent, its answer lost, and not found applied in time)."""
        ...

    def find_change(
        self, key: ItemKey, request_id: str, line_index: int, stamps: Sequence[str]
    ) -> InventoryItem | None:
        """The item, if the line `line_index` of request `request_id` changed it in an attempt stamped with
        one of `stamps` (the attempts' `created_date`); None if not. Raises OutcomeUnknown when it cannot
        tell in time."""
        ...

    def begin_attempt(self, key: ItemKey, request_id: str, line_index: int, stamp: str) -> tuple[str, ...]:
        """Note that an attempt stamped `stamp` may write this line alone, before it does; returns the stamps
        of the attempts noted before (those of earlier tries of the same request)."""
        ...

    def record_order_rejection(
        self, marker: OrderMarker, failures: tuple[LineResult, ...], audit: AuditContext
    ) -> None:
        """Record that the rules rejected the order, with its failures, unless it was decided already:
        then raise OrderAlreadyApplied with that outcome (a copy of the order decided first)."""
        ...

    def update(
        self, before: InventoryItem, after: InventoryItem, *, line_index: int, audit: AuditContext
    ) -> None:
        """Store `after` if the item is still at `before`'s revision (with its audit record); raises
        ConditionNotMet otherwise."""
        ...

    def delete(self, before: InventoryItem, *, line_index: int, audit: AuditContext) -> None:
        """Delete the item if it is still at `before`'s revision and holds nothing for reservations, and
        leave a tombstone in place of its id (the DELETE record of the ledger is written from it; the id is
        never given out again). Raises HoldsRemain, or ConditionNotMet with the item found."""
        ...

    def resolve_ids(self, store_id: str, item_ids: Iterable[str]) -> dict[str, ItemKey]:
        """Keys of the store's items by id, in batched strongly consistent reads; unknown ids left out."""
        ...

    def index_entries(
        self,
        store_id: str,
        *,
        product_ids: Sequence[str] | None,
        after: tuple[str, str, str] | None,
        limit: int,
    ) -> tuple[list[InventoryItem], bool]:
        """Up to `limit` entries of the store's item index, in (product, variant, location) order, after
        that position; only these products' if given. An entry holds only the fields no stock change
        writes (`stockroom.core.filters.Field.static`): its counts are placeholders, never to be read.
        The flag says whether entries remain after these."""
        ...

    def variant_keys(self, store_id: str, variant_ids: Iterable[str]) -> list[ItemKey]:
        """The keys of the store's items of these variants, at every location (an index, not the store's
        whole list)."""
        ...

    def list_adjustments(
        self, key: ItemKey, item_id: str, *, after: str | None, limit: int
    ) -> list[tuple[str, Adjustment]]:
        """Up to `limit` ledger records of the item with this id (not of an earlier item of the same
        variant and location, deleted since), newest first, each with its position."""
        ...

    def list_feed(self, store_id: str, *, after: str, limit: int) -> list[tuple[str, Adjustment]]:
        """Up to `limit` of the store's ledger records (deleted items' too), oldest first, after a feed
        position; each with its position."""
        ...

    def default_location(self, store_id: str) -> str | None: ...

    def reclaim_expired(self, item: InventoryItem, audit: AuditContext) -> int:
        """Free the holds of `item` (as read or judged) that expired by `audit.created_date`, each on
        condition that its tag is still on the item, in one change of the item (an EXPIRE record). Returns
        the units freed: 0 when there were none, or another writer took one of them first."""
        ...


class ReservationRepository(Protocol):
    def reserve(self, reservation: Reservation, audit: AuditContext, token: str) -> None:
        """Hold every line, all or nothing: a tracked line on its item's `available >= n`, an untracked one on
        its item still not tracking; each then reserved += n (an untracked line takes no stock, but is
        counted, so the item cannot start tracking under it) and the line's tag on the item. Then store the
        reservation. A hold whose tag is on its item already is this reservation's own (an earlier send) and
        is not taken twice. Raises WritesRefused (positions are those of `reservation.lines`) or
        WritesConflicted."""
        ...

    def get_reservation(self, store_id: str, reservation_id: str) -> Reservation | None: ...

    def finish(self, reservation: Reservation, status: ReservationStatus, audit: AuditContext) -> None:
        """CONFIRMED (every hold taken off hand) or RELEASED (every hold freed), all or nothing, on condition
        that every hold's tag is still on its item; then the record. Raises ReservationChanged (with the
        record as it then says) or WritesConflicted."""
        ...

    def extend(self, reservation: Reservation, extended: Reservation, now: str) -> None:
        """Swap each hold's tag for `extended`'s (the same lines, a later expiry) on condition that the old
        tag is still on the item; then the record. Raises ReservationChanged."""
        ...

    def keep_expired(self, reservation: Reservation, now: str) -> None:
        """Store the reservation EXPIRED, unless its record says it finished otherwise."""
        ...


class ApiKeyStore(Protocol):
    """Minted API keys, by the SHA-256 of the key (a store never holds a key itself)."""

    def add(self, key_hash: str, prefix: str, store_ids: Sequence[str], created_date: str) -> None: ...

    def stores_of(self, key_hash: str) -> list[str] | None:
        """The stores a live key covers; None if unknown or revoked."""
        ...

    def revoke(self, prefix: str) -> bool:
        """Revoke the key with this printable prefix; False if there is none."""
        ...
