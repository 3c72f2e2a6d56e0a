"""The in-memory `ReservationRepository`: the same conditions as DynamoDB's, under the inventory's lock.

It shares its items and ledger with an `InMemoryInventoryRepository`, so a hold and a sale of the same item
meet as they do in one table: a hold is decided on its item, by its tag in the item's `holds`.
"""

from __future__ import annotations

from dataclasses import replace

from stockroom.adapters.memory import InMemoryInventoryRepository
from stockroom.core.domain import AdjustmentKind, AuditContext, InventoryItem
from stockroom.core.holds import Reservation, ReservationStatus
from stockroom.core.ports import ReservationChanged, WritesRefused


class InMemoryReservationRepository:
    def __init__(self, inventory: InMemoryInventoryRepository) -> None:
        self._inventory = inventory
        self.reservations: dict[tuple[str, str], Reservation] = {}

    def reserve(self, reservation: Reservation, audit: AuditContext, token: str) -> None:
        inventory = self._inventory
        with inventory._lock:
            refused: dict[int, InventoryItem | None] = {}
            ours = 0
            for position, line in enumerate(reservation.lines):
                item = inventory.items.get(reservation.key(line))
                if item is not None and line.tag in item.holds:
                    ours += 1
                    refused[position] = item  # held already, by this very reservation
                    continue
                holds = (
                    item is not None
                    and item.id == line.item_id
                    and item.track_quantity == line.tracked
                    and (not line.tracked or item.available >= line.quantity)
                )
                if not holds:
                    refused[position] = item
            if refused and ours < len(refused):
                raise WritesRefused(refused)
            if not refused:
                for position, line in enumerate(reservation.lines):
                    item = inventory.items[reservation.key(line)]
                    after = replace(
                        item,
                        reserved=item.reserved + line.quantity,
                        holds=(*item.holds, line.tag),
                        revision=item.revision + 1,
                        updated_date=audit.created_date,
                    )
                    inventory._change(item, after, audit, position, AdjustmentKind.RESERVE, line.quantity)
            self.reservations.setdefault((reservation.store_id, reservation.id), reservation)

    def get_reservation(self, store_id: str, reservation_id: str) -> Reservation | None:
        with self._inventory._lock:
            return self.reservations.get((store_id, reservation_id))

    def _gone(self, reservation: Reservation) -> bool:
        """Whether a tracked line's tag is no longer on its item (another call finished that hold)."""
        items = self._inventory.items
        return any(
            (item := items.get(reservation.key(line))) is None or line.tag not in item.holds
            for line in reservation.lines
        )

    def finish(self, reservation: Reservation, status: ReservationStatus, audit: AuditContext) -> None:
        inventory, now = self._inventory, audit.created_date
        with inventory._lock:
            if self._gone(reservation):
                raise ReservationChanged(self.reservations.get((reservation.store_id, reservation.id)))
            confirm = status is ReservationStatus.CONFIRMED
            for position, line in enumerate(reservation.lines):
                key = reservation.key(line)
                item = inventory.items[key]
                after = replace(
                    item,
                    quantity=(item.quantity or 0) - line.quantity
                    if confirm and line.tracked
                    else item.quantity,
                    reserved=item.reserved - line.quantity,
                    holds=tuple(t for t in item.holds if t != line.tag),
                    revision=item.revision + 1,
                    updated_date=now,
                )
                kind = AdjustmentKind.CONFIRM if confirm else AdjustmentKind.RELEASE
                inventory._change(item, after, audit, position, kind, -line.quantity)
            stored = self.reservations[(reservation.store_id, reservation.id)]
            if stored.status is ReservationStatus.ACTIVE:
                self.reservations[(stored.store_id, stored.id)] = replace(
                    stored, status=status, updated_date=now
                )

    def extend(self, reservation: Reservation, extended: Reservation, now: str) -> None:
        inventory = self._inventory
        with inventory._lock:
            if self._gone(reservation):
                raise ReservationChanged(self.reservations.get((reservation.store_id, reservation.id)))
            for old, new in zip(reservation.lines, extended.lines, strict=True):
                key = reservation.key(old)
                item = inventory.items[key]
                swapped = (*(t for t in item.holds if t != old.tag), new.tag)
                inventory.items[key] = replace(item, holds=swapped)  # no change of the item: no revision
            self.reservations[(reservation.store_id, reservation.id)] = extended

    def keep_expired(self, reservation: Reservation, now: str) -> None:
        with self._inventory._lock:
            stored = self.reservations.get((reservation.store_id, reservation.id))
            if stored is None or stored.status is ReservationStatus.ACTIVE:
                expired = replace(reservation, status=ReservationStatus.EXPIRED, updated_date=now)
                self.reservations[(reservation.store_id, reservation.id)] = expired
