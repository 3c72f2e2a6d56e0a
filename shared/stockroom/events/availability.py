"""Availability events from the table's stream: one event per line an item crosses, not one per change.

Each MODIFY of an inventory item carries its images before and after; `rules.availability_crossings`
compares the two, so a change that stays on one side of a line (a second sale while sold out) publishes
nothing. Inserts and removals cross nothing. Delivery is at least once (a retried batch may publish again):
consumers tell repeats apart by (inventoryItemId, revision).
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from stockroom.adapters.dynamodb.codec import is_item_attributes, item_from_attributes
from stockroom.adapters.eventbridge import publish
from stockroom.core.domain import InventoryItem
from stockroom.core.rules import Crossing, availability_crossings, low_stock_threshold

logger = Logger(child=True)

DETAIL_TYPES = {
    Crossing.OUT_OF_STOCK: "InventoryItemOutOfStock",
    Crossing.BACK_IN_STOCK: "InventoryItemBackInStock",
    Crossing.LOW_STOCK: "InventoryItemLowStock",
}


def default_low_stock_threshold() -> int:
    return int(os.environ.get("LOW_STOCK_THRESHOLD", "5"))


def process_stream_batch(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    """The stream batch: a record whose events could not be published is reported, and retried from."""
    processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
    return process_partial_response(event, handle_stream_record, processor, context)


def handle_stream_record(record: DynamoDBRecord) -> list[str]:
    """Publish the record's crossings; returns their detail-types."""
    images = record.raw_event.get("dynamodb") or {}
    old, new = images.get("OldImage"), images.get("NewImage")
    # The event source's filter passes only items; a sample event or a local run may hold anything.
    if not (is_item_attributes(old) and is_item_attributes(new)):
        return []
    before, after = item_from_attributes(old), item_from_attributes(new)
    threshold = default_low_stock_threshold()
    crossings = availability_crossings(before, after, default_threshold=threshold)
    events = [(DETAIL_TYPES[c], availability_detail(before, after, threshold)) for c in crossings]
    try:
        publish(events)
    except Exception:
        logger.exception(
            "availability events not published, the record returns", extra={"id": record.event_id}
        )
        raise
    return [detail_type for detail_type, _ in events]


def availability_detail(
    before: InventoryItem, after: InventoryItem, default_threshold: int
) -> dict[str, Any]:
    return {
        "storeId": after.store_id,
        "inventoryItemId": after.id,
        "variantId": after.variant_id,
        "locationId": after.location_id,
        "productId": after.product_id,
        "availabilityStatus": after.availability_status.value,
        "previousAvailabilityStatus": before.availability_status.value,
        "quantity": after.quantity,
        "previousQuantity": before.quantity,
        # What crossings are judged on (SPEC §7): on hand less what reservations hold.
        "availableQuantity": after.available if after.track_quantity else None,
        "previousAvailableQuantity": before.available if before.track_quantity else None,
        "lowStockThreshold": low_stock_threshold(after, default_threshold),
        "revision": str(after.revision),
    }
