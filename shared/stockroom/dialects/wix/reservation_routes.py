"""Reservations (SPEC §7) in the Wix dialect: hold stock for a checkout, then confirm, release or extend."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.metrics import MetricUnit

from stockroom.core.holds import HoldRequest
from stockroom.dialects.wix.context import audit_context, current_store, idempotent, metrics
from stockroom.dialects.wix.errors import documented_reservation
from stockroom.dialects.wix.reservation_models import (
    ConfirmReservationRequest,
    CreateReservationRequest,
    ExtendReservationRequest,
    ReleaseReservationRequest,
    ReservationResponse,
)
from stockroom.http.fields import Id
from stockroom.wiring import inventory_service, reservation_service

router = Router()
TAGS = ["Wix inventory reservations"]
RESERVATION = "/stores/v3/inventory-reservations/<reservationId>"


@router.post(
    "/stores/v3/inventory-reservations",
    summary="Reserve stock (all lines or none)",
    tags=TAGS,
    status_code=201,
    middlewares=[idempotent],
    responses=documented_reservation(201, "Created: every line is held"),
)
def create_reservation(request: CreateReservationRequest) -> ReservationResponse:
    store_id = current_store(router.current_event)
    locate = inventory_service().item_key
    lines = [
        HoldRequest(index, locate(store_id, line.variantId, line.locationId), line.quantity)
        for index, line in enumerate(request.reservation.lines)
    ]
    audit = audit_context(router, "RESERVATION")
    reservation = reservation_service().create(
        store_id, lines, ttl_seconds=request.reservation.ttlSeconds, audit=audit
    )
    metrics.add_metric(name="ReservationsCreated", unit=MetricUnit.Count, value=1)
    return ReservationResponse.of(reservation, audit.created_date)


@router.get(RESERVATION, summary="Get a reservation", tags=TAGS, responses=documented_reservation())
def get_reservation(reservationId: Annotated[Id, Path()]) -> ReservationResponse:
    store_id = current_store(router.current_event)
    reservation = reservation_service().get(store_id, reservationId)
    return ReservationResponse.of(reservation, inventory_service().now())


@router.post(
    f"{RESERVATION}/confirm",
    summary="Confirm a reservation: its units leave stock for good, exactly once",
    tags=TAGS,
    middlewares=[idempotent],
    responses=documented_reservation(),
)
def confirm_reservation(
    reservationId: Annotated[Id, Path()], request: ConfirmReservationRequest
) -> ReservationResponse:
    audit = audit_context(router, request.reason or "RESERVATION_CONFIRMED")
    reservation = reservation_service().confirm(current_store(router.current_event), reservationId, audit)
    return ReservationResponse.of(reservation, audit.created_date)


@router.post(
    f"{RESERVATION}/release",
    summary="Release a reservation: its units are available again",
    tags=TAGS,
    middlewares=[idempotent],
    responses=documented_reservation(),
)
def release_reservation(
    reservationId: Annotated[Id, Path()], request: ReleaseReservationRequest | None = None
) -> ReservationResponse:
    # No body is fine; a body is validated like confirm's (a malformed one is 400 and releases nothing).
    audit = audit_context(router, (request.reason if request else None) or "RESERVATION_RELEASED")
    reservation = reservation_service().release(current_store(router.current_event), reservationId, audit)
    return ReservationResponse.of(reservation, audit.created_date)


@router.post(
    f"{RESERVATION}/extend",
    summary="Extend an active reservation: expiresAt = now + ttlSeconds",
    tags=TAGS,
    middlewares=[idempotent],
    responses=documented_reservation(),
)
def extend_reservation(
    reservationId: Annotated[Id, Path()], request: ExtendReservationRequest
) -> ReservationResponse:
    audit = audit_context(router, "RESERVATION_EXTENDED")
    reservation = reservation_service().extend(
        current_store(router.current_event), reservationId, request.ttlSeconds, audit
    )
    return ReservationResponse.of(reservation, audit.created_date)
