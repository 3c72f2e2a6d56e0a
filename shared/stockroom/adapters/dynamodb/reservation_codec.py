"""Reservation records to and from DynamoDB attribute maps (layout: `stockroom.adapters.dynamodb.layout`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stockroom.adapters.dynamodb.codec import n
from stockroom.adapters.dynamodb.layout import (
    RESERVATION_SK,
    TIMER_SK,
    AttributeMap,
    reservation_pk,
    table_name,
)
from stockroom.core.holds import Reservation, ReservationLine, ReservationStatus, epoch_seconds


def reservation_key(store_id: str, reservation_id: str, sk: str) -> AttributeMap:
    return {"pk": {"S": reservation_pk(store_id, reservation_id)}, "sk": {"S": sk}}


def reservation_attributes(reservation: Reservation, retain_until: int) -> AttributeMap:
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
                    }
                }
                for line in reservation.lines
            ]
        },
        # The table's TTL attribute: kept for GET a while after it can no longer change.
        "expiresAt": n(retain_until),
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
            )
            for line in attrs["lines"]["L"]
        ),
        expires_at=attrs["holdUntil"]["S"],
        created_date=attrs["createdDate"]["S"],
        updated_date=attrs["updatedDate"]["S"],
    )


def timer_put(reservation: Reservation, expires_at: str) -> dict[str, Any]:
    return {
        "Put": {
            "TableName": table_name(),
            "Item": {
                **reservation_key(reservation.store_id, reservation.id, TIMER_SK),
                "entity": {"S": "ReservationTimer"},
                "storeId": {"S": reservation.store_id},
                "reservationId": {"S": reservation.id},
                "expiresAt": n(epoch_seconds(expires_at)),
            },
        }
    }
