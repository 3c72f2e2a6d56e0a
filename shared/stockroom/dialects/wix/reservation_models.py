"""Wix-style shapes of the reservation calls (SPEC §7): strict requests, answers without nulls."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictInt

from stockroom.core.holds import (
    DEFAULT_TTL_SECONDS,
    MAX_RESERVATION_LINES,
    MAX_TTL_SECONDS,
    MIN_TTL_SECONDS,
    Reservation,
)
from stockroom.dialects.wix.models import WixRequest, WixResponse
from stockroom.http.fields import Id, Reason, Units

TtlSeconds = Annotated[
    StrictInt,
    Field(
        ge=MIN_TTL_SECONDS,
        le=MAX_TTL_SECONDS,
        description=f"How long the hold lasts, {MIN_TTL_SECONDS} to {MAX_TTL_SECONDS:,} seconds",
    ),
]


class ReservationLineIn(WixRequest):
    variantId: Id
    locationId: Id | None = Field(None, description="Defaults to the store's default location.")
    quantity: Units


class ReservationIn(WixRequest):
    lines: list[ReservationLineIn] = Field(
        min_length=1,
        max_length=MAX_RESERVATION_LINES,
        description=f"1 to {MAX_RESERVATION_LINES} lines; lines for the same item are merged.",
    )
    ttlSeconds: TtlSeconds = DEFAULT_TTL_SECONDS


class CreateReservationRequest(WixRequest):
    reservation: ReservationIn


class ConfirmReservationRequest(WixRequest):
    reason: Reason | None = Field(None, description="Recorded on the ledger's CONFIRM records.")


class ReleaseReservationRequest(WixRequest):
    """Optional: a release may send no body at all, but a body it sends is read as strictly as confirm's."""

    reason: Reason | None = Field(None, description="Recorded on the ledger's RELEASE records.")


class ExtendReservationRequest(WixRequest):
    ttlSeconds: TtlSeconds


class ReservationLineOut(WixResponse):
    variantId: str
    locationId: str
    inventoryItemId: str
    quantity: int


class ReservationOut(WixResponse):
    id: str
    status: str = Field(description="ACTIVE, CONFIRMED, RELEASED or EXPIRED (an ACTIVE one past expiresAt).")
    lines: list[ReservationLineOut]
    expiresAt: str
    createdDate: str
    updatedDate: str


class ReservationResponse(WixResponse):
    reservation: ReservationOut

    @classmethod
    def of(cls, reservation: Reservation, now: str) -> ReservationResponse:
        return cls(
            reservation=ReservationOut(
                id=reservation.id,
                status=reservation.status_at(now).value,
                lines=[
                    ReservationLineOut(
                        variantId=line.variant_id,
                        locationId=line.location_id,
                        inventoryItemId=line.item_id,
                        quantity=line.quantity,
                    )
                    for line in reservation.lines
                ],
                expiresAt=reservation.expires_at,
                createdDate=reservation.created_date,
                updatedDate=reservation.updated_date,
            )
        )
