"""Reservations (SPEC §7) on the in-memory repositories, with a clock the test moves: exact expiry,
all or nothing, confirm exactly once, and the three counts under any sequence of calls (Hypothesis)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stockroom.adapters.memory import InMemoryInventoryRepository
from stockroom.adapters.memory_holds import InMemoryReservationRepository
from stockroom.core.domain import (
    AdjustmentKind,
    AuditContext,
    DecrementLine,
    IncrementLine,
    ItemChanges,
    ItemDraft,
    LineErrorCode,
    UpdateLine,
)
from stockroom.core.errors import ReservationConflict, ReservationNotFound, ReservationRefused
from stockroom.core.holds import HoldRequest, ReservationStatus
from stockroom.core.reservations import ReservationService
from stockroom.core.service import InventoryService

STORE = "store-1"
LOCATION = "loc-1"


class Clock:
    """The time every call sees; a test moves it."""

    def __init__(self) -> None:
        self.moment = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> str:
        return self.moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


@dataclass
class World:
    clock: Clock = field(default_factory=Clock)
    repository: InMemoryInventoryRepository = field(default_factory=InMemoryInventoryRepository)
    requests: int = 0

    def __post_init__(self) -> None:
        self.repository.put_store(STORE, LOCATION)
        self.service = InventoryService(self.repository, max_parallel_writes=4, clock=self.clock)
        self.holds = InMemoryReservationRepository(self.repository)
        self.reservations = ReservationService(self.repository, self.holds)

    def audit(self, reason: str = "TEST") -> AuditContext:
        self.requests += 1
        return self.service.audit_context(f"req-{self.requests}", reason)

    def item(self, variant: str, quantity: int | None = None, *, in_stock: bool | None = None) -> str:
        draft = ItemDraft(variant_id=variant, quantity=quantity, in_stock=in_stock, location_id=LOCATION)
        return self.service.create_item(STORE, draft, self.audit()).id

    def key(self, variant: str):
        return self.service.item_key(STORE, variant, LOCATION)

    def reserve(self, *lines: tuple[str, int], ttl: int = 60):
        requested = [HoldRequest(i, self.key(v), n) for i, (v, n) in enumerate(lines)]
        return self.reservations.create(STORE, requested, ttl_seconds=ttl, audit=self.audit("RESERVATION"))

    def sell(self, variant: str, units: int) -> LineErrorCode | None:
        line = DecrementLine(0, self.key(variant), units)
        [result] = self.service.decrement(
            [line], restrict_inventory=True, audit=self.audit(), return_entity=False
        )
        return None if result.error is None else result.error.code

    def counts(self, item_id: str) -> tuple[int | None, int, int]:
        item = self.service.get_item(STORE, item_id)
        return item.quantity, item.reserved, item.available


@pytest.fixture
def world() -> World:
    return World()


def test_a_hold_takes_units_from_available_and_not_from_on_hand(world: World) -> None:
    shirt = world.item("shirt", 5)
    reservation = world.reserve(("shirt", 3))
    assert reservation.status is ReservationStatus.ACTIVE
    assert world.counts(shirt) == (5, 3, 2)
    assert world.sell("shirt", 3) is LineErrorCode.INSUFFICIENT_INVENTORY
    assert world.sell("shirt", 2) is None
    assert world.counts(shirt) == (3, 3, 0)


def test_all_or_nothing_names_every_failing_line_and_holds_nothing(world: World) -> None:
    shirt = world.item("shirt", 5)
    world.item("hat", 1)
    with pytest.raises(ReservationRefused) as refused:
        world.reserve(("shirt", 2), ("hat", 2), ("ghost", 1), ("shirt", 1))
    assert refused.value.data["failures"] == [
        {"index": 1, "variantId": "hat", "locationId": LOCATION, "code": "INSUFFICIENT_INVENTORY",
         "requested": 2, "available": 1},
        {"index": 2, "variantId": "ghost", "locationId": LOCATION, "code": "INVENTORY_ITEM_NOT_FOUND"},
    ]  # fmt: skip
    assert world.counts(shirt) == (5, 0, 5)


def test_lines_for_one_item_are_merged_and_judged_together(world: World) -> None:
    world.item("shirt", 3)
    with pytest.raises(ReservationRefused) as refused:
        world.reserve(("shirt", 2), ("shirt", 2))
    assert [f["index"] for f in refused.value.data["failures"]] == [0, 1]
    reservation = world.reserve(("shirt", 1), ("shirt", 2))
    assert [(line.variant_id, line.quantity) for line in reservation.lines] == [("shirt", 3)]


def test_an_untracked_item_is_accepted_and_takes_no_stock(world: World) -> None:
    gift = world.item("gift-card", in_stock=True)
    reservation = world.reserve(("gift-card", 4))
    assert [line.tracked for line in reservation.lines] == [False]
    item = world.service.get_item(STORE, gift)
    assert (item.in_stock, item.availability_status.value) == (True, "IN_STOCK")
    # Counted all the same (the API does not show it for an item that keeps no count): while it lives,
    # the item cannot start counting, and a confirm sell units it never counted.
    assert item.reserved == 4


def test_expiry_is_exact_without_a_collector(world: World) -> None:
    shirt = world.item("shirt", 2)
    reservation = world.reserve(("shirt", 2), ttl=2)
    world.clock.advance(1.999)
    assert world.sell("shirt", 1) is LineErrorCode.INSUFFICIENT_INVENTORY
    world.clock.advance(0.001)  # expiresAt itself: the hold no longer counts
    assert world.counts(shirt) == (2, 0, 2)  # a read leaves it out before anything reclaimed it
    assert world.sell("shirt", 2) is None  # the sale reclaims it and takes the units, in the same call
    with pytest.raises(ReservationConflict) as expired:
        world.reservations.confirm(STORE, reservation.id, world.audit())
    assert expired.value.code == "RESERVATION_EXPIRED"
    assert world.counts(shirt) == (0, 0, 0)


def test_a_reservation_reclaims_expired_holds_it_needs(world: World) -> None:
    world.item("shirt", 2)
    world.reserve(("shirt", 2), ttl=1)
    with pytest.raises(ReservationRefused):
        world.reserve(("shirt", 1))
    world.clock.advance(1)
    assert world.reserve(("shirt", 2)).status is ReservationStatus.ACTIVE


def test_confirm_takes_the_units_once(world: World) -> None:
    shirt = world.item("shirt", 5)
    reservation = world.reserve(("shirt", 3))
    first = world.reservations.confirm(STORE, reservation.id, world.audit())
    again = world.reservations.confirm(STORE, reservation.id, world.audit())
    assert first.status is again.status is ReservationStatus.CONFIRMED
    assert world.counts(shirt) == (2, 0, 2)
    with pytest.raises(ReservationConflict) as confirmed:
        world.reservations.release(STORE, reservation.id, world.audit())
    assert confirmed.value.code == "RESERVATION_CONFIRMED"
    world.clock.advance(3600)  # a confirmed reservation never expires
    assert (
        world.reservations.get(STORE, reservation.id).status_at(world.clock()) is ReservationStatus.CONFIRMED
    )


def test_release_frees_the_units_and_is_a_no_op_after(world: World) -> None:
    shirt = world.item("shirt", 5)
    reservation = world.reserve(("shirt", 3))
    world.reservations.release(STORE, reservation.id, world.audit())
    world.reservations.release(STORE, reservation.id, world.audit())
    assert world.counts(shirt) == (5, 0, 5)
    for call in (world.reservations.confirm, world.reservations.extend):
        with pytest.raises(ReservationConflict) as released:
            if call == world.reservations.extend:
                call(STORE, reservation.id, 60, world.audit())  # type: ignore[call-arg]
            else:
                call(STORE, reservation.id, world.audit())  # type: ignore[call-arg]
        assert released.value.code == "RESERVATION_RELEASED"


def test_extend_moves_the_expiry_while_active_only(world: World) -> None:
    shirt = world.item("shirt", 1)
    reservation = world.reserve(("shirt", 1), ttl=2)
    world.clock.advance(1.5)
    extended = world.reservations.extend(STORE, reservation.id, 10, world.audit())
    assert extended.expires_at > reservation.expires_at
    world.clock.advance(5)
    assert world.counts(shirt) == (1, 1, 0)
    world.clock.advance(5)
    with pytest.raises(ReservationConflict) as expired:
        world.reservations.extend(STORE, reservation.id, 10, world.audit())
    assert expired.value.code == "RESERVATION_EXPIRED"
    # Releasing an expired reservation answers and changes nothing.
    assert (
        world.reservations.release(STORE, reservation.id, world.audit()).status is ReservationStatus.EXPIRED
    )


def test_another_stores_reservation_is_not_found(world: World) -> None:
    world.item("shirt", 1)
    reservation = world.reserve(("shirt", 1))
    with pytest.raises(ReservationNotFound):
        world.reservations.get("store-2", reservation.id)


def test_an_item_with_holds_keeps_counting(world: World) -> None:
    shirt = world.item("shirt", 4)
    world.reserve(("shirt", 1))
    change = UpdateLine(0, shirt, 2, ItemChanges(in_stock=True))  # revision 2: made, then held
    [result] = world.service.update_items(STORE, [change], world.audit(), return_entity=False)
    assert result.error is not None and result.error.code is LineErrorCode.HELD_BY_RESERVATIONS


def test_the_ledger_records_holds_with_the_reserved_count(world: World) -> None:
    shirt = world.item("shirt", 5)
    held = world.reserve(("shirt", 3))
    world.reservations.confirm(STORE, held.id, world.audit())
    short = world.reserve(("shirt", 2), ttl=1)
    world.clock.advance(1)
    assert world.sell("shirt", 1) is None
    records = world.service.adjustments(STORE, shirt, limit=100, cursor=None, cursor_field="c").entries
    chain = [
        (a.kind, a.quantity_before, a.quantity_after, a.counter_before, a.counter_after) for a in records
    ]
    assert chain[::-1] == [
        (AdjustmentKind.CREATE, None, 5, None, None),
        (AdjustmentKind.RESERVE, 5, 5, 0, 3),
        (AdjustmentKind.CONFIRM, 5, 2, 3, 0),
        (AdjustmentKind.RESERVE, 2, 2, 0, 2),
        (AdjustmentKind.EXPIRE, 2, 2, 2, 0),
        (AdjustmentKind.DECREMENT, 2, 1, None, None),
    ]  # fmt: skip
    assert short.id not in {a.request_id for a in records}


# --- any sequence of calls ------------------------------------------------------------------------------

calls = st.lists(
    st.one_of(
        st.tuples(st.just("reserve"), st.integers(1, 4), st.integers(1, 3)),
        st.tuples(st.just("confirm"), st.integers(0, 9)),
        st.tuples(st.just("release"), st.integers(0, 9)),
        st.tuples(st.just("sell"), st.integers(1, 4)),
        st.tuples(st.just("restock"), st.integers(1, 4)),
        st.tuples(st.just("wait"), st.integers(0, 2)),
    ),
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(calls=calls)
def test_the_three_counts_hold_under_any_sequence(calls: list[tuple[object, ...]]) -> None:
    """Nothing is held twice, available never goes below zero, and stock is conserved: on hand is the
    start plus restocks less sales less confirmed holds."""
    world = World()
    shirt = world.item("shirt", 6)
    made: list[str] = []
    sold = restocked = confirmed = 0
    for call in calls:
        name = call[0]
        if name == "reserve":
            with contextlib.suppress(ReservationRefused):
                made.append(world.reserve(("shirt", int(str(call[1]))), ttl=int(str(call[2]))).id)
        elif name in ("confirm", "release") and made:
            reservation_id = made[int(str(call[1])) % len(made)]
            before = world.reservations.get(STORE, reservation_id)
            try:
                if name == "confirm":
                    after = world.reservations.confirm(STORE, reservation_id, world.audit())
                    if before.status_at(world.clock()) is ReservationStatus.ACTIVE:
                        confirmed += sum(line.quantity for line in after.lines)
                else:
                    world.reservations.release(STORE, reservation_id, world.audit())
            except ReservationConflict:
                pass
        elif name == "sell":
            if world.sell("shirt", int(str(call[1]))) is None:
                sold += int(str(call[1]))
        elif name == "restock":
            units = int(str(call[1]))
            line = IncrementLine(0, world.key("shirt"), units)
            world.service.increment([line], audit=world.audit(), return_entity=False)
            restocked += units
        elif name == "wait":
            world.clock.advance(int(str(call[1])))
        quantity, reserved, available = world.counts(shirt)
        live = [
            world.reservations.get(STORE, r)
            for r in made
            if world.reservations.get(STORE, r).status_at(world.clock()) is ReservationStatus.ACTIVE
        ]
        assert reserved == sum(line.quantity for r in live for line in r.lines)
        assert available >= 0
        assert quantity == 6 + restocked - sold - confirmed


def test_a_retried_create_finds_the_reservation_its_lost_answer_made(world: World) -> None:
    """A keyed retry carries the same request id: the reservation it made is the answer, even though its
    own holds now leave too little for the same lines to be held again."""
    shirt = world.item("shirt", 2)
    key = world.key("shirt")
    audit = world.audit("RESERVATION")
    first = world.reservations.create(STORE, [HoldRequest(0, key, 2)], audit=audit)
    again = world.reservations.create(STORE, [HoldRequest(0, key, 2)], audit=audit)
    assert again == first
    assert world.counts(shirt) == (2, 2, 0)  # held once
    with pytest.raises(ReservationRefused):  # another request is refused as before
        world.reserve(("shirt", 1))
