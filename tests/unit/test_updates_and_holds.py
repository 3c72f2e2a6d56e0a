"""An absolute update below what reservations hold is refused unless the caller says so; bulk updates and
creates are packed, each line still its own condition."""

from __future__ import annotations

import time
from dataclasses import replace

from stockroom.adapters.memory import InMemoryInventoryRepository
from stockroom.core.deadline import within
from stockroom.core.domain import (
    AuditContext,
    InventoryItem,
    ItemChanges,
    ItemDraft,
    LineErrorCode,
    UpdateLine,
)
from stockroom.core.ports import ConditionNotMet
from tests.unit.test_reservations import STORE, World


def _set(world: World, item_id: str, quantity: int, *, allow: bool = False) -> tuple[object, object]:
    revision = world.service.get_item(STORE, item_id).revision
    line = UpdateLine(0, item_id, revision, ItemChanges(quantity=quantity))
    [result] = world.service.update_items(
        STORE, [line], world.audit(), return_entity=False, allow_below_reserved=allow
    )
    return result.error.code if result.error else None, result.error.data if result.error else None


def test_a_count_below_the_held_units_is_refused_with_the_held_count() -> None:
    world = World()
    shirt = world.item("shirt", 10)
    held = world.reserve(("shirt", 5))
    assert _set(world, shirt, 4) == (
        LineErrorCode.HELD_BY_RESERVATIONS,
        {"inventoryItemId": shirt, "reservedQuantity": 5, "requestedQuantity": 4},
    )
    assert world.counts(shirt) == (10, 5, 5)
    assert _set(world, shirt, 5) == (None, None)  # exactly the held units: 0 available, never negative
    world.reservations.confirm(STORE, held.id, world.audit())
    assert world.counts(shirt) == (0, 0, 0)


def test_the_caller_may_say_the_shelf_has_fewer_than_is_held() -> None:
    world = World()
    shirt = world.item("shirt", 10)
    held = world.reserve(("shirt", 5))
    assert _set(world, shirt, 3, allow=True) == (None, None)
    assert world.counts(shirt) == (3, 5, -2)
    world.reservations.confirm(STORE, held.id, world.audit())
    assert world.counts(shirt)[0] == -2  # what the caller allowed


def test_expired_holds_do_not_hold_back_a_count() -> None:
    world = World()
    shirt = world.item("shirt", 10)
    world.reserve(("shirt", 5), ttl=1)
    world.clock.advance(2)
    assert _set(world, shirt, 2) == (None, None)


def test_a_bulk_update_of_many_items_is_packed_and_judged_line_by_line() -> None:
    world = World()
    ids = [world.item(f"v{i}", i) for i in range(150)]
    lines = [UpdateLine(i, item_id, 1, ItemChanges(quantity=1000 + i)) for i, item_id in enumerate(ids)]
    lines[7] = UpdateLine(7, ids[7], 9, ItemChanges(quantity=1))  # a stale revision
    writes = world.repository.writes
    results = world.service.update_items(STORE, lines, world.audit(), return_entity=True)
    assert [r.index for r in results] == list(range(150))
    assert results[7].error is not None and results[7].error.code is LineErrorCode.REVISION_MISMATCH
    assert all(r.success and r.item and r.item.quantity == 1000 + r.index for r in results if r.index != 7)
    assert world.repository.writes - writes == 149
    assert world.service.get_item(STORE, ids[7]).quantity == 7


def test_a_bulk_create_keeps_the_first_of_two_drafts_for_one_item() -> None:
    world = World()
    drafts = [ItemDraft(f"new-{i}", quantity=i) for i in range(120)] + [ItemDraft("new-3", quantity=99)]
    results = world.service.create_items(STORE, drafts, world.audit(), return_entity=True)
    assert all(r.success for r in results[:120])
    assert results[120].error is not None and results[120].error.code is LineErrorCode.ALREADY_EXISTS
    assert results[3].item is not None and results[3].item.quantity == 3


class _Busy(InMemoryInventoryRepository):
    """Every delete finds the item changed under it `changes` times (another writer bumped its revision
    between the read and the write), then goes through."""

    def __init__(self, changes: int) -> None:
        super().__init__()
        self.changes = changes

    def delete(self, before: InventoryItem, *, line_index: int, audit: AuditContext) -> None:
        if self.changes > 0:
            self.changes -= 1
            with self._lock:
                current = self.items[before.key]
                self.items[before.key] = replace(current, revision=current.revision + 1)
            raise ConditionNotMet(self.items[before.key])
        super().delete(before, line_index=line_index, audit=audit)


def test_a_delete_waits_out_an_item_that_keeps_changing_within_its_deadline() -> None:
    repository = _Busy(changes=12)  # more than the fixed 4 attempts a delete once had
    world = World(repository=repository)
    shirt = world.item("shirt", 3)
    with within(5.0):
        [result] = world.service.delete_items(STORE, [shirt], world.audit())
    assert result.success, result.error
    assert repository.changes == 0


def test_a_delete_that_runs_out_of_time_changes_nothing_and_says_so() -> None:
    repository = _Busy(changes=10_000)
    world = World(repository=repository)
    shirt = world.item("shirt", 3)
    started = time.monotonic()
    with within(1.5):  # 0.5 s of work once the answer's reserve is kept
        [result] = world.service.delete_items(STORE, [shirt], world.audit())
    assert time.monotonic() - started < 1.5
    assert result.error is not None and result.error.code is LineErrorCode.TEMPORARILY_UNAVAILABLE
    assert world.service.get_item(STORE, shirt).quantity == 3


def test_starting_to_track_is_refused_while_reservations_name_the_item() -> None:
    """Reserve 5 of an item that keeps no count, then try to count it: refused while the reservation
    lives, so a confirm never sells units that were never counted."""
    world = World()
    card = world.item("gift-card", in_stock=True)
    held = world.reserve(("gift-card", 5))
    revision = world.service.get_item(STORE, card).revision
    line = UpdateLine(0, card, revision, ItemChanges(quantity=1))
    [refused] = world.service.update_items(STORE, [line], world.audit(), return_entity=False)
    assert refused.error is not None and refused.error.code is LineErrorCode.HELD_BY_RESERVATIONS
    assert refused.error.data["reservedQuantity"] == 5
    world.reservations.confirm(STORE, held.id, world.audit())
    item = world.service.get_item(STORE, card)
    assert (item.track_quantity, item.reserved) == (False, 0)
    # Once nothing is held, counting starts.
    line = UpdateLine(0, card, item.revision, ItemChanges(quantity=1))
    [counted] = world.service.update_items(STORE, [line], world.audit(), return_entity=True)
    assert counted.success and counted.item is not None and counted.item.quantity == 1


def test_an_untracked_hold_ends_with_its_reservation() -> None:
    world = World()
    card = world.item("gift-card", in_stock=True)
    released = world.reserve(("gift-card", 2))
    world.reservations.release(STORE, released.id, world.audit())
    world.reserve(("gift-card", 3), ttl=1)
    world.clock.advance(2)
    assert world.service.get_item(STORE, card).reserved == 0  # as a reader sees it: expired
    key = world.service.get_item(STORE, card).key
    world.repository.reclaim_expired(world.repository.items[key], world.audit())  # as stored, tags and all
    assert world.repository.items[world.service.get_item(STORE, card).key].reserved == 0
