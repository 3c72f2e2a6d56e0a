"""The in-memory `ReservationRepository`: the same conditions as DynamoDB's, under the inventory's lock.

It shares its items, holds and ledger with an `InMemoryInventoryRepository`, so a hold and a sale of
the same item meet as they do in one table.
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
            for position, line in enumerate(reservation.lines):
                item = inventory.items.get(reservation.key(line))
                holds = (
                    item is not None
                    and item.id == line.item_id
                    and item.track_quantity == line.tracked
                    and (not line.tracked or item.available >= line.quantity)
                )
                if not holds:
                    refused[position] = item
            if refused:
                raise WritesRefused(refused)
            for position, line in enumerate(reservation.lines):
                key = reservation.key(line)
                item = inventory.items[key]
                inventory.holds.setdefault(key, {})[reservation.id] = (line.quantity, reservation.expires_at)
                after = replace(
                    item,
                    reserved=item.reserved + line.quantity,
                    revision=item.revision + 1,
                    updated_date=audit.created_date,
                )
                inventory._change(item, after, audit, position, AdjustmentKind.RESERVE, line.quantity)
            self.reservations[(reservation.store_id, reservation.id)] = reservation

    def get_reservation(self, store_id: str, reservation_id: str) -> Reservation | None:
        with self._inventory._lock:
            return self.reservations.get((store_id, reservation_id))

    def _current(self, reservation: Reservation, now: str) -> Reservation:
        """The stored reservation, if the calls' shared condition holds (ACTIVE, not expired)."""
        current = self.reservations[(reservation.store_id, reservation.id)]
        if current.status_at(now) is not ReservationStatus.ACTIVE:
            raise ReservationChanged(current)
        return current

    def finish(self, reservation: Reservation, status: ReservationStatus, audit: AuditContext) -> None:
        inventory, now = self._inventory, audit.created_date
        with inventory._lock:
            current = self._current(reservation, now)
            confirm = status is ReservationStatus.CONFIRMED
            for position, line in enumerate(current.lines):
                key = current.key(line)
                item = inventory.items[key]
                del inventory.holds[key][current.id]
                after = replace(
                    item,
                    quantity=(item.quantity or 0) - line.quantity
                    if confirm and line.tracked
                    else item.quantity,
                    reserved=item.reserved - line.quantity,
                    revision=item.revision + 1,
                    updated_date=now,
                )
                kind = AdjustmentKind.CONFIRM if confirm else AdjustmentKind.RELEASE
                inventory._change(item, after, audit, position, kind, -line.quantity)
            finished = replace(current, status=status, updated_date=now)
            self.reservations[(current.store_id, current.id)] = finished

    def extend(self, reservation: Reservation, expires_at: str, now: str) -> None:
        with self._inventory._lock:
            current = self._current(reservation, now)
            for line in current.holds:
                holds = self._inventory.holds[current.key(line)]
                holds[current.id] = (holds[current.id][0], expires_at)
            self.reservations[(current.store_id, current.id)] = replace(
                current, expires_at=expires_at, updated_date=now
            )

    def mark_expired(self, reservation: Reservation, now: str) -> bool:
        with self._inventory._lock:
            current = self.reservations.get((reservation.store_id, reservation.id))
            if current is None or current.status_at(now) is not ReservationStatus.EXPIRED:
                return False
            if current.status is not ReservationStatus.ACTIVE:
                return False
            self.reservations[(current.store_id, current.id)] = replace(
                current, status=ReservationStatus.EXPIRED, updated_date=now
            )
            return True
