"""The collector of expired reservations: DynamoDB's TTL deletes an ACTIVE reservation's record once it
expires (its TTL is its expiry until it is finished), and the REMOVE on the table's stream brings the
reservation, as it was, here.

Correctness never waits for this (a hold stops counting at its expiry, and the call that needs its units
reclaims it): this frees what nobody needed, so that stored counts catch up, the ledger gets its EXPIRE
records, and `InventoryReservationExpired` is published; the reservation is then kept as EXPIRED for GET.
Every step is conditional, so a redelivered record, or a finished reservation deleted after its retention,
changes nothing; the event is published at least once (consumers de-duplicate on the reservation id).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from stockroom.adapters.dynamodb.reservation_codec import reservation_from_attributes
from stockroom.adapters.eventbridge import publish
from stockroom.wiring import inventory_service, reservation_service

logger = Logger(child=True)

INVENTORY_RESERVATION_EXPIRED = "InventoryReservationExpired"


def process_expiry_batch(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
    return process_partial_response(event, handle_timer_removed, processor, context)


def handle_timer_removed(record: DynamoDBRecord) -> str:
    old = (record.raw_event.get("dynamodb") or {}).get("OldImage") or {}
    if record.raw_event.get("eventName") != "REMOVE" or old.get("entity") != {"S": "Reservation"}:
        return "ignored"
    reservation = reservation_from_attributes(old)
    store_id, reservation_id = reservation.store_id, reservation.id
    audit = inventory_service().audit_context(f"expiry:{reservation_id}", "RESERVATION_EXPIRED")
    expired = reservation_service().expire(reservation, audit)
    if expired is None:
        return "finished"  # confirmed or released (kept a while, then deleted), or extended: nothing to do
    publish(
        [
            (
                INVENTORY_RESERVATION_EXPIRED,
                {
                    "storeId": store_id,
                    "reservationId": reservation_id,
                    "expiresAt": expired.expires_at,
                    "lines": [
                        {
                            "variantId": line.variant_id,
                            "locationId": line.location_id,
                            "inventoryItemId": line.item_id,
                            "quantity": line.quantity,
                        }
                        for line in expired.lines
                    ],
                },
            )
        ]
    )
    logger.info("reservation expired", extra={"reservationId": reservation_id})
    return "expired"
