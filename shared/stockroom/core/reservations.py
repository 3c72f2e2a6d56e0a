"""Reservations (SPEC §7): create, read, confirm, release and extend, on the two ports.

Every change is conditional on its rule: a hold needs `available >= n` on its item; confirm, release and
extend need the hold's tag still on its item (nothing else took it) and the reservation ACTIVE and
unexpired. A refusal hands back what storage judged, and this service decides from that: reclaim the
item's expired holds and try again, or answer.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace

from stockroom.core.domain import AuditContext, InventoryItem, ItemKey, LineErrorCode
from stockroom.core.errors import (
    InvalidRequest,
    ReservationConflict,
    ReservationNotFound,
    ReservationRefused,
    StorageUnavailable,
)
from stockroom.core.holds import (
    DEFAULT_TTL_SECONDS,
    MAX_RESERVATION_LINES,
    MAX_TTL_SECONDS,
    MIN_TTL_SECONDS,
    HoldRequest,
    Reservation,
    ReservationLine,
    ReservationStatus,
    iso_after,
)
from stockroom.core.packs import freed_for
from stockroom.core.ports import (
    InventoryRepository,
    ReservationChanged,
    ReservationRepository,
    WritesConflicted,
    WritesRefused,
)
from stockroom.core.rules import MAX_UNITS_PER_LINE
from stockroom.core.tags import hold_tag
from stockroom.core.writes import MAX_WRITE_ATTEMPTS, backoff

_CONFLICT = {
    ReservationStatus.EXPIRED: ("RESERVATION_EXPIRED", "The reservation has expired; its units are free."),
    ReservationStatus.RELEASED: ("RESERVATION_RELEASED", "The reservation was released."),
    ReservationStatus.CONFIRMED: ("RESERVATION_CONFIRMED", "The reservation was confirmed."),
}
KEPT_CHANGING = "The reservation's items kept changing under it; nothing was held."


def conflict(reservation: Reservation, status: ReservationStatus) -> ReservationConflict:
    code, description = _CONFLICT[status]
    return ReservationConflict(code, description, {"reservationId": reservation.id, "status": status.value})


class ReservationService:
    def __init__(
        self,
        inventory: InventoryRepository,
        reservations: ReservationRepository,
        *,
        new_id: Callable[[str, str], str] | None = None,
    ) -> None:
        self._inventory = inventory
        self._reservations = reservations
        self._new_id = new_id or _reservation_id

    # --- create -------------------------------------------------------------------------------------------

    def create(
        self,
        store_id: str,
        requested: Sequence[HoldRequest],
        *,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        audit: AuditContext,
    ) -> Reservation:
        """Hold every line, or nothing (ReservationRefused names each failing line)."""
        _validate(requested, ttl_seconds)
        merged: dict[ItemKey, int] = {}
        indexes: dict[ItemKey, list[int]] = {}
        for line in requested:
            merged[line.key] = merged.get(line.key, 0) + line.quantity
            indexes.setdefault(line.key, []).append(line.index)
        if any(units > MAX_UNITS_PER_LINE for units in merged.values()):
            raise InvalidRequest("lines", f"An item may be held {MAX_UNITS_PER_LINE:,} units at most.")
        # A read first, for the items' ids and tracking; the write's conditions re-check all of it.
        items = self._inventory.get_items(merged)
        # Judged on the read first, so that one answer names every failing line (the write may still
        # refuse on what changed since; it is judged again then).
        failing = {
            key: items.get(key)
            for key, units in merged.items()
            if key not in items or not self._holds(items[key], units, audit)
        }
        # Named by the request: a retry under the same Idempotency-Key (the same request id) names the
        # same reservation, so a create whose answer was lost is found, never made twice.
        reservation_id = self._new_id(store_id, audit.request_id)
        if failing:
            return self._made_before(store_id, reservation_id, _refused(failing, merged, indexes))
        if audit.keyed and (made := self._reservations.get_reservation(store_id, reservation_id)):
            return made  # this very request, answered before (its answer lost)
        now = audit.created_date
        reservation = _made_at(
            reservation_id, store_id, [(items[k], u) for k, u in merged.items()], now, ttl_seconds
        )
        if audit.keyed:
            reservation = self._earlier_attempt(reservation, items, ttl_seconds, audit)
        for attempt in range(MAX_WRITE_ATTEMPTS):
            try:
                self._reservations.reserve(reservation, audit, token=f"{audit.request_id}:reserve:{attempt}")
                return reservation
            except WritesConflicted:
                backoff(attempt)
                continue
            except WritesRefused as refused:
                try:
                    reservation = self._rejudge(reservation, refused, merged, indexes, audit)
                except ReservationRefused as refusal:
                    return self._made_before(store_id, reservation.id, refusal)
        raise StorageUnavailable(KEPT_CHANGING)

    def _earlier_attempt(
        self, reservation: Reservation, items: dict[ItemKey, InventoryItem], ttl: int, audit: AuditContext
    ) -> Reservation:
        """An earlier attempt of this keyed request may have held the items and not stored the reservation
        (its answer lost before that): its holds' tags are on the items, and this attempt adopts them
        rather than holding the units twice. Else this attempt, noted for a later one."""
        first = reservation.lines[0]
        key = reservation.key(first)
        for stamp in self._inventory.begin_attempt(key, audit.request_id, 0, audit.created_date):
            earlier = _made_at(
                reservation.id,
                reservation.store_id,
                [(items[reservation.key(line)], line.quantity) for line in reservation.lines],
                stamp,
                ttl,
            )
            if all(line.tag in items[reservation.key(line)].holds for line in earlier.lines):
                return earlier
        return reservation

    def _made_before(self, store_id: str, reservation_id: str, refusal: ReservationRefused) -> Reservation:
        """The refusal, unless this very reservation was made by an earlier attempt whose answer was lost
        (its own holds may be what is now in the way): then that reservation is the answer."""
        made = self._reservations.get_reservation(store_id, reservation_id)
        if made is None:
            raise refusal
        return made

    def _rejudge(
        self,
        reservation: Reservation,
        refused: WritesRefused,
        merged: dict[ItemKey, int],
        indexes: dict[ItemKey, list[int]],
        audit: AuditContext,
    ) -> Reservation:
        """The reservation to write next, or ReservationRefused with every line that cannot be held."""
        lines = list(reservation.lines)
        failing: dict[ItemKey, InventoryItem | None] = {}
        for position, item in refused.items.items():
            line = lines[position]
            key = reservation.key(line)
            if item is None or item.id != line.item_id:
                failing[key] = None  # gone (or deleted and made again: another item now)
            elif item.track_quantity != line.tracked:
                lines[position] = replace(line, tracked=item.track_quantity)
            elif not self._holds(item, line.quantity, audit):
                failing[key] = item
            # Otherwise the item changed under the write, or expired holds were just freed: again.
        if failing:
            raise _refused(failing, merged, indexes)
        return replace(reservation, lines=tuple(lines))

    def _holds(self, item: InventoryItem, units: int, audit: AuditContext) -> bool:
        """Whether the item may hold `units` more: it does not track (holds nothing), or enough is
        available, counting holds that have expired, which are reclaimed for it here."""
        return (
            not item.track_quantity
            or item.available >= units
            or freed_for(self._inventory, item, units, audit)
        )

    # --- read ---------------------------------------------------------------------------------------------

    def get(self, store_id: str, reservation_id: str) -> Reservation:
        found = self._reservations.get_reservation(store_id, reservation_id)
        if found is None:
            raise ReservationNotFound(
                f"Reservation {reservation_id} was not found.", {"reservationId": reservation_id}
            )
        return found

    # --- confirm, release, extend -------------------------------------------------------------------------

    def confirm(self, store_id: str, reservation_id: str, audit: AuditContext) -> Reservation:
        """Take every held unit off hand, exactly once: a second confirm answers as the first did."""
        return self._finish(store_id, reservation_id, ReservationStatus.CONFIRMED, audit)

    def release(self, store_id: str, reservation_id: str, audit: AuditContext) -> Reservation:
        """Free every held unit; releasing a released or expired reservation changes nothing."""
        return self._finish(store_id, reservation_id, ReservationStatus.RELEASED, audit)

    def _finish(
        self, store_id: str, reservation_id: str, status: ReservationStatus, audit: AuditContext
    ) -> Reservation:
        def settled(reservation: Reservation, current: ReservationStatus) -> Reservation | None:
            # A repeat answers as the first call did; release is a no-op on an expired reservation.
            if current is status or (
                status is ReservationStatus.RELEASED and current is ReservationStatus.EXPIRED
            ):
                return replace(reservation, status=current)
            return None

        def write(reservation: Reservation) -> Reservation:
            self._reservations.finish(reservation, status, audit)
            return replace(reservation, status=status, updated_date=audit.created_date)

        return self._while_active(store_id, reservation_id, audit.created_date, write, settled)

    def extend(
        self, store_id: str, reservation_id: str, ttl_seconds: int, audit: AuditContext
    ) -> Reservation:
        """`expiresAt = now + ttlSeconds`, only while the reservation is ACTIVE."""
        _validate_ttl(ttl_seconds)
        now = audit.created_date
        expires_at = iso_after(now, ttl_seconds)

        def write(reservation: Reservation) -> Reservation:
            extended = replace(
                reservation,
                expires_at=expires_at,
                updated_date=now,
                lines=tuple(
                    replace(line, tag=_tag(reservation.id, p, line.quantity, expires_at))
                    for p, line in enumerate(reservation.lines)
                ),
            )
            self._reservations.extend(reservation, extended, now)
            return extended

        return self._while_active(store_id, reservation_id, now, write, lambda _, __: None)

    def _while_active(
        self,
        store_id: str,
        reservation_id: str,
        now: str,
        write: Callable[[Reservation], Reservation],
        settled: Callable[[Reservation, ReservationStatus], Reservation | None],
    ) -> Reservation:
        """`write` while the reservation is ACTIVE (its storage condition says the same); otherwise the
        answer `settled` gives for its status, or 409 for that status. A refused write reads it again."""
        reservation = self.get(store_id, reservation_id)
        for attempt in range(MAX_WRITE_ATTEMPTS):
            current = reservation.status_at(now)
            answer = settled(reservation, current)
            if answer is not None:
                return answer
            if current is not ReservationStatus.ACTIVE:
                raise conflict(reservation, current)
            try:
                return write(reservation)
            except ReservationChanged as changed:
                reservation = changed.current or reservation
            except WritesConflicted:
                backoff(attempt)  # e.g. concurrent confirms: the next read shows who won
                reservation = self.get(store_id, reservation_id)
        raise StorageUnavailable("The reservation kept changing under this call; nothing was changed.")

    def expire(self, reservation: Reservation, audit: AuditContext) -> Reservation | None:
        """The collector's work once DynamoDB deleted an expired reservation's record (`reservation` is it,
        as it was): free its holds that nothing took meanwhile, then keep it as EXPIRED. Returns it EXPIRED,
        or None if it had not expired (it was finished, or extended)."""
        if reservation.status_at(audit.created_date) is not ReservationStatus.EXPIRED:
            return None
        if reservation.status is not ReservationStatus.ACTIVE:
            return None
        items = self._inventory.get_items(reservation.key(line) for line in reservation.holds)
        for item in items.values():
            self._inventory.reclaim_expired(item, audit)
        self._reservations.keep_expired(reservation, audit.created_date)
        return replace(reservation, status=ReservationStatus.EXPIRED)


_IDS = uuid.UUID("6a0f3c1e-2b7d-4e59-9c84-3d1f0a7b5e26")


def _reservation_id(store_id: str, request_id: str) -> str:
    return str(uuid.uuid5(_IDS, f"{store_id}#{request_id}"))


def _tag(reservation_id: str, position: int, units: int, expires_at: str) -> int:
    """A hold's tag: its units and expiry, and three digits of the reservation and line, so that the same
    reservation sent again makes the same tag (and is recognised) while two holds of one size expiring at
    the same millisecond are told apart."""
    uniq = int(hashlib.sha256(f"{reservation_id}#{position}".encode()).hexdigest()[:8], 16)
    return hold_tag(units, expires_at, uniq)


def _made_at(
    reservation_id: str, store_id: str, lines: list[tuple[InventoryItem, int]], now: str, ttl_seconds: int
) -> Reservation:
    """The reservation of these items and units, as made at `now`."""
    expires_at = iso_after(now, ttl_seconds)
    return Reservation(
        id=reservation_id,
        store_id=store_id,
        status=ReservationStatus.ACTIVE,
        lines=tuple(
            ReservationLine(
                item.variant_id,
                item.location_id,
                item.id,
                units,
                item.track_quantity,
                _tag(reservation_id, position, units, expires_at),
            )
            for position, (item, units) in enumerate(lines)
        ),
        expires_at=expires_at,
        created_date=now,
        updated_date=now,
    )


def _validate_ttl(ttl_seconds: int) -> None:
    if not MIN_TTL_SECONDS <= ttl_seconds <= MAX_TTL_SECONDS:
        raise InvalidRequest("ttlSeconds", f"ttlSeconds must be {MIN_TTL_SECONDS} to {MAX_TTL_SECONDS:,}.")


def _validate(requested: Sequence[HoldRequest], ttl_seconds: int) -> None:
    """The dialect's models check the same; the core does not rely on them."""
    _validate_ttl(ttl_seconds)
    if not 1 <= len(requested) <= MAX_RESERVATION_LINES:
        raise InvalidRequest("lines", f"A reservation has 1 to {MAX_RESERVATION_LINES} lines.")
    for line in requested:
        if not 1 <= line.quantity <= MAX_UNITS_PER_LINE:
            raise InvalidRequest(("lines", line.index), f"quantity must be 1 to {MAX_UNITS_PER_LINE:,}.")


def _refused(
    failing: dict[ItemKey, InventoryItem | None],
    merged: dict[ItemKey, int],
    indexes: dict[ItemKey, list[int]],
) -> ReservationRefused:
    """Every failing line (each request line of a failing item), with what its item asked and had."""
    failures: list[tuple[int, dict[str, object]]] = []
    for key, item in failing.items():
        for index in indexes[key]:
            failure: dict[str, object] = {
                "index": index,
                "variantId": key.variant_id,
                "locationId": key.location_id,
            }
            if item is None:
                failure["code"] = LineErrorCode.INVENTORY_ITEM_NOT_FOUND.value
            else:
                # `requested` is what the whole reservation asks of the item (its lines are merged).
                failure |= {
                    "code": LineErrorCode.INSUFFICIENT_INVENTORY.value,
                    "requested": merged[key],
                    "available": max(item.available, 0),
                }
            failures.append((index, failure))
    failures.sort(key=lambda indexed: indexed[0])
    return ReservationRefused(
        f"{len(failures)} of the reservation's lines cannot be held, so nothing was held.",
        {"failures": [failure for _, failure in failures]},
    )
