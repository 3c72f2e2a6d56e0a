"""Changes by filter: update, delete, adjust and set-or-adjust every item a search matches.

The matching items are read first (within the finder's bounds), and a call touches at most
`MAX_BY_FILTER_ITEMS` of them: past that it is refused before anything changes. Then each item is changed by
its own conditional write, through the service's ordinary calls (update, delete, increment, decrement), so
the rules and conditions are the ones every other call has: an adjust never takes stock below what the
rules allow. Items are matched once, as the call read them; an item changed by someone else in between is
changed as it is then (an update re-reads it and applies the same changes at its new revision).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from stockroom.core.domain import (
    AuditContext,
    DecrementLine,
    IncrementLine,
    InventoryItem,
    ItemChanges,
    LineError,
    LineErrorCode,
    LineResult,
    UpdateLine,
)
from stockroom.core.filters import Search
from stockroom.core.rules import MAX_QUANTITY, insufficient, judge_increment, untracked_or_missing

if TYPE_CHECKING:
    from stockroom.core.service import InventoryService

# What one by-filter call may change (Wix's bulk calls take 1,000 items too).
MAX_BY_FILTER_ITEMS = 1_000
# Rounds of re-reading the items that changed under a write before their lines give up.
ROUNDS = 3


@dataclass(frozen=True, slots=True)
class Adjustment:
    """By how much: +n (increment) or -n (decrement), n from 1 to 99,999."""

    units: int

    @property
    def increment(self) -> bool:
        return self.units > 0


def matched(service: InventoryService, store_id: str, search: Search) -> list[InventoryItem]:
    """The items a by-filter call changes; more than the bound is a 400 and changes nothing."""
    return service.matching_items(store_id, search, at_most=MAX_BY_FILTER_ITEMS)


def _indexed(results: dict[int, LineResult]) -> list[LineResult]:
    return [results[i] for i in sorted(results)]


def update_by_filter(
    service: InventoryService, store_id: str, search: Search, changes: ItemChanges, audit: AuditContext
) -> list[LineResult]:
    """Each matched item updated at the revision read; one that changed in between is read again and
    updated at its new revision (a few rounds at most)."""
    items = dict(enumerate(matched(service, store_id, search)))
    results: dict[int, LineResult] = {}
    for _ in range(ROUNDS):
        lines = [UpdateLine(i, item.id, item.revision, changes) for i, item in items.items()]
        stale: dict[int, InventoryItem] = {}
        for result in service.update_items(store_id, lines, audit, return_entity=False):
            results[result.index] = result
            if result.error is not None and result.error.code is LineErrorCode.REVISION_MISMATCH:
                stale[result.index] = items[result.index]
        fresh = service.get_items(item.key for item in stale.values())
        items = {i: fresh[item.key] for i, item in stale.items() if item.key in fresh}
        if not items:
            break
    return _indexed(results)


def delete_by_filter(
    service: InventoryService, store_id: str, search: Search, audit: AuditContext
) -> list[LineResult]:
    return service.delete_items(store_id, [item.id for item in matched(service, store_id, search)], audit)


def adjust_by_filter(
    service: InventoryService,
    store_id: str,
    search: Search,
    adjustment: Adjustment,
    audit: AuditContext,
    *,
    clamp: bool,
    start_tracking: bool = False,
) -> list[LineResult]:
    """Each matched item incremented or decremented by its own write, by the stock rules (a decrement never
    takes available stock below zero). `clamp` (set-or-adjust): where the whole change would pass a bound,
    the item is set to the bound instead (zero available, or the most an item holds). `start_tracking`: an
    item that does not count its quantity starts counting from zero (an increment then sets it)."""
    items = dict(enumerate(matched(service, store_id, search)))
    results: dict[int, LineResult] = {}
    if start_tracking:
        untracked = {i: item for i, item in items.items() if not item.track_quantity}
        results |= _start_tracking(service, store_id, untracked, adjustment, audit)
        items = {i: item for i, item in items.items() if i not in untracked}
    for _ in range(ROUNDS):
        planned: dict[int, int] = {}
        for index, item in items.items():
            units = _units(item, adjustment, clamp)
            if isinstance(units, LineError):
                results[index] = LineResult(index, item.id, error=units)
            else:
                planned[index] = units
        moved = {}
        for result in _write(service, items, planned, adjustment, audit):
            results[result.index] = replace(result, item_id=items[result.index].id)
            if clamp and result.error is not None and result.error.code in _MOVED:
                moved[result.index] = items[result.index]  # the stock moved under the clamp: again
        fresh = {
            i.key: i for i in service.live(list(service.get_items(i.key for i in moved.values()).values()))
        }
        items = {i: fresh[item.key] for i, item in moved.items() if item.key in fresh}
        if not items:
            break
    return _indexed(results)


_MOVED = (LineErrorCode.INSUFFICIENT_INVENTORY, LineErrorCode.QUANTITY_LIMIT_EXCEEDED)


def _units(item: InventoryItem, adjustment: Adjustment, clamp: bool) -> int | LineError:
    """How many units this item's write changes, or why it changes none (judged on the snapshot read;
    the write's own condition judges again)."""
    n = abs(adjustment.units)
    if not item.track_quantity:
        return untracked_or_missing(item, "adjusted")
    if not clamp:
        return n
    if adjustment.increment:
        room = MAX_QUANTITY - (item.quantity or 0)
        refused = judge_increment(item, n) if room <= 0 else None
        return refused if refused is not None else min(n, room)
    if item.available <= 0:
        return insufficient(item, n)
    return min(n, item.available)


def _write(
    service: InventoryService,
    items: dict[int, InventoryItem],
    units: dict[int, int],
    adjustment: Adjustment,
    audit: AuditContext,
) -> list[LineResult]:
    if not units:
        return []
    if adjustment.increment:
        increments = [IncrementLine(i, items[i].key, n) for i, n in units.items()]
        return service.increment(increments, audit=audit, return_entity=False)
    decrements = [DecrementLine(i, items[i].key, n) for i, n in units.items()]
    return service.decrement(decrements, restrict_inventory=True, audit=audit, return_entity=False)


def _start_tracking(
    service: InventoryService,
    store_id: str,
    untracked: dict[int, InventoryItem],
    adjustment: Adjustment,
    audit: AuditContext,
) -> dict[int, LineResult]:
    """Items that do not count their quantity start counting: from zero, plus the increment (one update
    at the revision read); a decrement of nothing is refused and leaves the item as it is."""
    answers: dict[int, LineResult] = {}
    lines = []
    for index, item in untracked.items():
        if adjustment.increment:
            lines.append(UpdateLine(index, item.id, item.revision, ItemChanges(quantity=adjustment.units)))
        else:
            counted = replace(item, track_quantity=True, quantity=0, in_stock=None)
            answers[index] = LineResult(index, item.id, error=insufficient(counted, -adjustment.units))
    for result in service.update_items(store_id, lines, audit, return_entity=False):
        answers[result.index] = result
    return answers
