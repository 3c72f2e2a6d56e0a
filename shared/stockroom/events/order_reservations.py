"""An OrderPlaced that names a reservation (and no lines) confirms it (SPEC §7), exactly once.

Confirm is exactly once by itself: it is conditional on the reservation being ACTIVE, and a confirmed one
answers CONFIRMED again without changing anything. So a redelivered order takes no stock twice, and is
published again (consumers de-duplicate on the order id, as for any EventBridge event).
"""

from __future__ import annotations

from typing import Any

from stockroom.adapters.eventbridge import publish
from stockroom.core.errors import ReservationConflict, ReservationNotFound
from stockroom.core.holds import Reservation
from stockroom.wiring import inventory_service, reservation_service

INVENTORY_DECREMENTED = "InventoryDecremented"
INVENTORY_DECREMENT_REJECTED = "InventoryDecrementRejected"


def confirm_reservation(store_id: str, order_id: str, reservation_id: str, request_id: str) -> str:
    audit = inventory_service().audit_context(request_id, f"ORDER {order_id}")
    head = {"storeId": store_id, "orderId": order_id, "reservationId": reservation_id}
    try:
        reservation = reservation_service().confirm(store_id, reservation_id, audit)
    except (ReservationConflict, ReservationNotFound) as refused:
        # An answer, not a retry: an expired or released reservation stays so.
        detail = {**head, "code": refused.code, "message": refused.description}
        publish([(INVENTORY_DECREMENT_REJECTED, detail)])
        return "rejected"
    publish([(INVENTORY_DECREMENTED, {**head, "lines": _lines(reservation)})])
    return "applied"


def _lines(reservation: Reservation) -> list[dict[str, Any]]:
    return [
        {
            "index": index,
            "variantId": line.variant_id,
            "locationId": line.location_id,
            "inventoryItemId": line.item_id,
            "quantity": line.quantity,
        }
        for index, line in enumerate(reservation.lines)
    ]
