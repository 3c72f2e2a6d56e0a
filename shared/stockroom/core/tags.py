"""Hold tags: how an item knows, by itself, which holds it counts, how many units each, and until when.

A reservation's hold is counted on its item (`reserved`, and `available` beside it) and named there by a
tag in the item's `holds` set. The tag is one number that carries the hold's units, the instant it expires
(milliseconds since 2020) and three digits that tell apart holds of the same size expiring at the same
millisecond:

    tag = units * 10**15 + expiry_ms * 1000 + uniq

So the item alone says what its live holds are, without reading any other record:
- a read leaves out the units of tags that have expired (expiry is exact: a hold counts while now < its
  expiry, whether or not anything has reclaimed it yet);
- a write that needs those units removes the expired tags, each on condition that it is still there;
- confirm, release and extend each remove (or swap) their own tag on the same condition, so exactly one
  of them, or the reclaim, finishes a hold: the item is where a hold's fate is decided, in one
  single-item write.
A tag is 9 bytes of the item for a one-unit hold, so the item stays within DynamoDB's 1 KB write unit with
some dozens of live holds.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from stockroom.core.domain import InventoryItem

_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)
_UNITS = 10**15
_EXPIRY = 1000


def _ms(iso: str) -> int:
    return (datetime.fromisoformat(iso.replace("Z", "+00:00")) - _EPOCH) // _MILLISECOND


def hold_tag(units: int, expires_at: str, uniq: int) -> int:
    """The tag of a hold of `units` that expires at `expires_at` (ISO, ms); `uniq` is 0 to 999."""
    return units * _UNITS + _ms(expires_at) * _EXPIRY + uniq % _EXPIRY


def tag_units(tag: int) -> int:
    return tag // _UNITS


def tag_expired(tag: int, now: str) -> bool:
    """Whether the hold no longer counts at `now` (from its expiry on)."""
    return _ms(now) >= (tag % _UNITS) // _EXPIRY


def expired_units(tags: tuple[int, ...], now: str) -> int:
    return sum(tag_units(t) for t in tags if tag_expired(t, now))


def without_expired(item: InventoryItem, now: str) -> InventoryItem:
    """The item as a reader sees it at `now`: the holds that have expired no longer count."""
    expired = [tag for tag in item.holds if tag_expired(tag, now)]
    if not expired:
        return item
    live = tuple(tag for tag in item.holds if tag not in expired)
    return replace(item, reserved=item.reserved - sum(map(tag_units, expired)), holds=live)
