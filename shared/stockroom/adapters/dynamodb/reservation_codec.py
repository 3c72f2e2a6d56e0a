"""Reservation records to and from DynamoDB attribute maps (layout: `stockroom.adapters.dynamodb.layout`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stockroom.adapters.dynamodb.codec import n
from stockroom.adapters.dynamodb.layout import (
    RESERVATION_RETENTION_SECONDS,
    RESERVATION_SK,
    AttributeMap,
    reservation_pk,
)
from stockroom.core.holds import Reservation, ReservationLine, ReservationStatus, epoch_seconds


def reservation_key(store_id: str, reservation_id: str, sk: str) -> AttributeMap:
    return {"pk": {"S": reservation_pk(store_id, reservation_id)}, "sk": {"S": sk}}


def ttl_of(reservation: Reservation) -> int:
    """The record's TTL (epoch seconds): its expiry while ACTIVE (DynamoDB then deletes it, which brings it
    to the collector), a retention period once it can no longer change."""
    if reservation.status is ReservationStatus.ACTIVE:
        return epoch_seconds(reservation.expires_at)
    return epoch_seconds(reservation.updated_date) + RESERVATION_RETENTION_SECONDS


def reservation_attributes(reservation: Reservation) -> AttributeMap:
    return {
        **reservation_key(reservation.store_id, reservation.id, RESERVATION_SK),
        "entity": {"S": "Reservation"},
        "id": {"S": reservation.id},
        "storeId": {"S": reservation.store_id},
        "status": {"S": reservation.status.value},
        "holdUntil": {"S": reservation.expires_at},
        "createdDate": {"S": reservation.created_date},
        "updatedDate": {"S": reservation.updated_date},
        "lines": {
            "L": [
                {
                    "M": {
                        "variantId": {"S": line.variant_id},
                        "locationId": {"S": line.location_id},
                        "inventoryItemId": {"S": line.item_id},
                        "quantity": n(line.quantity),
                        "tracked": {"BOOL": line.tracked},
                        "tag": n(line.tag),
                    }
                }
                for line in reservation.lines
            ]
        },
        # The table's TTL attribute (see ttl_of).
        "expiresAt": n(ttl_of(reservation)),
    }


def reservation_from_attributes(attrs: Mapping[str, Any]) -> Reservation:
    return Reservation(
        id=attrs["id"]["S"],
        store_id=attrs["storeId"]["S"],
        status=ReservationStatus(attrs["status"]["S"]),
        lines=tuple(
            ReservationLine(
                variant_id=line["M"]["variantId"]["S"],
                location_id=line["M"]["locationId"]["S"],
                item_id=line["M"]["inventoryItemId"]["S"],
                quantity=int(line["M"]["quantity"]["N"]),
                tracked=line["M"]["tracked"]["BOOL"],
                tag=int(line["M"].get("tag", {"N": "0"})["N"]),
            )
            for line in attrs["lines"]["L"]
        ),
        expires_at=attrs["holdUntil"]["S"],
        created_date=attrs["createdDate"]["S"],
        updated_date=attrs["updatedDate"]["S"],
    )
