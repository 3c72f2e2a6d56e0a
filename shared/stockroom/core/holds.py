"""Reservations (SPEC §7), as the domain sees them: units of items held for a short time, all or nothing.

Each tracked line is a hold on its item: the item counts it in `reserved` (and `available = quantity -
reserved`, because a condition cannot subtract) and names it by a tag in its `holds` set, which carries the
hold's units and expiry (`stockroom.core.tags`). So every stock rule reads availability from the item
alone, in one conditional write, and the item is where each hold's fate is decided: confirm, release,
extend and the reclaim of an expired hold each need the hold's tag on the item, and remove it. The
reservation record tells the reservation's story (its lines, status, expiry) and is written after the
items.

Expiry is exact without a sweeper: a hold counts while `now < expiresAt`. Storage may still count a hold
that has expired; a write that needs those units reclaims the item's expired holds first (each on
condition that its tag is still there), and reads leave them out.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from stockroom.core.domain import ItemKey

# A reservation of several lines holds them in one transaction, an operation each (of DynamoDB's 100).
MAX_RESERVATION_LINES = 40
MIN_TTL_SECONDS = 1
MAX_TTL_SECONDS = 86_400
DEFAULT_TTL_SECONDS = 900


class ReservationStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    CONFIRMED = "CONFIRMED"
    RELEASED = "RELEASED"
    EXPIRED = "EXPIRED"


@dataclass(frozen=True, slots=True)
class ReservationLine:
    variant_id: str
    location_id: str
    item_id: str
    quantity: int
    tracked: bool  # an untracked item's line takes no stock (it is counted in `reserved` all the same)
    tag: int = 0  # the hold's tag on its item (stockroom.core.tags)


@dataclass(frozen=True, slots=True)
class Reservation:
    id: str
    store_id: str
    status: ReservationStatus  # as stored: an ACTIVE one is EXPIRED from expires_at on (`status_at`)
    lines: tuple[ReservationLine, ...]
    expires_at: str  # ISO 8601 UTC with milliseconds, so string order is time order
    created_date: str
    updated_date: str

    def status_at(self, now: str) -> ReservationStatus:
        if self.status is ReservationStatus.ACTIVE and now >= self.expires_at:
            return ReservationStatus.EXPIRED
        return self.status

    def key(self, line: ReservationLine) -> ItemKey:
        return ItemKey(self.store_id, line.variant_id, line.location_id)

    @property
    def holds(self) -> tuple[ReservationLine, ...]:
        """The lines that hold units: every line. An untracked item's line holds no stock, but it is counted
        in the item's `reserved` all the same, so the item cannot start counting (and a confirm sell units
        it never counted) while the reservation lives."""
        return self.lines


@dataclass(frozen=True, slots=True)
class HoldRequest:
    """One line of a create request, its item resolved to a key."""

    index: int
    key: ItemKey
    quantity: int


def iso_after(now: str, seconds: int) -> str:
    """`now` plus `seconds`, in the same ISO form (so it compares with `now` as a string)."""
    start = datetime.fromisoformat(now.replace("Z", "+00:00"))
    later = (start + timedelta(seconds=seconds)).astimezone(UTC)
    return later.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def epoch_seconds(iso: str) -> int:
    """An ISO time as whole epoch seconds, rounded up (a TTL must not fire before the time itself)."""
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    whole = int(moment.timestamp())
    return whole if whole == moment.timestamp() else whole + 1
