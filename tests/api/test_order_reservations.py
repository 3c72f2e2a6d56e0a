"""An OrderPlaced event that names a reservation (and no lines) confirms it, exactly once (SPEC §7)."""

from __future__ import annotations

import uuid

import pytest

from stockroom.core.domain import ItemKey
from stockroom.core.holds import HoldRequest, ReservationStatus
from stockroom.wiring import inventory_service, reservation_service
from tests.api.test_order_events import COMBINATION, SIMPLE, deliver, order, stock
from tests.conftest import InvokeFunction, PublishedEvents
from tests.support import DEMO_DEFAULT_LOCATION_ID, DEMO_STORE_ID

pytestmark = pytest.mark.usefixtures("seeded", "stream_pump")


def hold(*lines: tuple[str, int], ttl: int = 60) -> str:
    requested = [
        HoldRequest(i, ItemKey(DEMO_STORE_ID, variant, DEMO_DEFAULT_LOCATION_ID), units)
        for i, (variant, units) in enumerate(lines)
    ]
    audit = inventory_service().audit_context(f"test-hold-{uuid.uuid4()}", "RESERVATION")
    return reservation_service().create(DEMO_STORE_ID, requested, ttl_seconds=ttl, audit=audit).id


def test_an_order_with_a_reservation_confirms_it_once(
    invoke_function: InvokeFunction, published_events: PublishedEvents
) -> None:
    reservation_id = hold((SIMPLE, 2), (COMBINATION, 3))
    placed = order("o-r1", reservationId=reservation_id)
    del placed["detail"]["lines"]
    for _ in range(3):  # redeliveries take nothing more
        assert deliver(invoke_function, placed) == []
    assert stock(SIMPLE, COMBINATION) == [18, 7]
    stored = reservation_service().get(DEMO_STORE_ID, reservation_id)
    assert stored.status is ReservationStatus.CONFIRMED
    published = published_events()
    assert {t for t, _ in published} == {"InventoryDecremented"}
    assert [(x["variantId"], x["quantity"]) for x in published[0][1]["lines"]] == [
        (SIMPLE, 2),
        (COMBINATION, 3),
    ]


def test_an_order_for_a_released_reservation_is_rejected_and_takes_nothing(
    invoke_function: InvokeFunction, published_events: PublishedEvents
) -> None:
    reservation_id = hold((SIMPLE, 2))
    audit = inventory_service().audit_context("test-release", "RESERVATION")
    reservation_service().release(DEMO_STORE_ID, reservation_id, audit)
    placed = order("o-r2", reservationId=reservation_id)
    del placed["detail"]["lines"]
    assert deliver(invoke_function, placed) == []
    assert stock(SIMPLE) == [20]
    [(detail_type, detail)] = published_events()
    assert (detail_type, detail["code"]) == ("InventoryDecrementRejected", "RESERVATION_RELEASED")


def test_an_order_with_both_lines_and_a_reservation_is_malformed(invoke_function: InvokeFunction) -> None:
    reservation_id = hold((SIMPLE, 2))
    placed = order("o-r3", {"variantId": SIMPLE, "quantity": 1}, reservationId=reservation_id)
    assert deliver(invoke_function, placed) == ["m0"]
    assert stock(SIMPLE) == [20]
