"""Wix-shaped inventory item events from the table's stream: created, updated, deleted, stock status
changed, and updated with reason.

Each event's detail is Wix's event envelope: `id`, `entityFqdn`, `slug`, `entityId`, `eventTime`, and the
slug's own part (`createdEvent.entity`, `updatedEvent.currentEntity`, `deletedEvent`, or `actionEvent.body`),
plus `storeId` and the item's `revision` after the change. The entity is the item as the API shows it.

Delivery is at least once: a retried stream batch publishes again. Every event of one change carries the
same (entityId, revision), and its `id` is made of them and the slug, so a consumer that remembers the
(entityId, revision) pairs (or the ids) it has handled drops a repeat. A change that leaves the revision
as it was is no change of the item, and publishes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from stockroom.adapters.dynamodb.codec import (
    change_from_attributes,
    is_item_attributes,
    is_tombstone_attributes,
    item_from_attributes,
    tombstone_from_attributes,
)
from stockroom.adapters.dynamodb.inventory import DynamoDBInventoryRepository
from stockroom.adapters.eventbridge import Event, publish
from stockroom.core.domain import AdjustmentKind, InventoryItem
from stockroom.core.ledger import deleted
from stockroom.dialects.wix.models import InventoryItemOut

logger = Logger(child=True)

ENTITY_FQDN = "wix.stores.catalog.v3.inventory_item"
DETAIL_TYPES = {
    "created": "InventoryItemCreated",
    "updated": "InventoryItemUpdated",
    "deleted": "InventoryItemDeleted",
    "stock_status_changed": "InventoryItemStockStatusChanged",
    "updated_with_reason": "InventoryItemUpdatedWithReason",
}
# Changes that carry a reason and a delta of a count (a create's and a delete's are their own events).
_WITH_REASON = frozenset(AdjustmentKind) - {AdjustmentKind.CREATE, AdjustmentKind.DELETE}


def process_stream_batch(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    """The stream batch: a record whose events could not be published is reported, and retried from."""
    processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
    return process_partial_response(event, handle_stream_record, processor, context)


def handle_stream_record(record: DynamoDBRecord) -> list[str]:
    """Publish the record's events; returns their detail-types."""
    images = record.raw_event.get("dynamodb") or {}
    events = item_events(images.get("OldImage"), images.get("NewImage"), with_profile)
    try:
        publish(events)
    except Exception:
        logger.exception("item events not published, the record returns", extra={"id": record.event_id})
        raise
    return [detail_type for detail_type, _ in events]


# An item's profile never changes after create: one read per item serves every later change of it.
_profiles: dict[str, InventoryItem] = {}
_PROFILES_KEPT = 10_000


def with_profile(item: InventoryItem) -> InventoryItem:
    """The item of a stock record's image, with its product's name, categories and date of creation (its
    profile record, which a stock change never writes)."""
    known = _profiles.get(item.id)
    if known is None:
        known = inventory().get_items([item.key]).get(item.key)
        if known is None or known.id != item.id:
            return item  # deleted meanwhile: the image is all there is
        if len(_profiles) >= _PROFILES_KEPT:
            _profiles.clear()
        _profiles[item.id] = known
    return replace(
        item,
        product_name=known.product_name,
        category_ids=known.category_ids,
        created_date=known.created_date,
    )


def inventory() -> DynamoDBInventoryRepository:
    global _inventory
    if _inventory is None:
        _inventory = DynamoDBInventoryRepository()
    return _inventory


_inventory: DynamoDBInventoryRepository | None = None


def item_events(
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
    complete: Callable[[InventoryItem], InventoryItem] = lambda item: item,
) -> list[Event]:
    """The events of one stream record's images (none for anything but an item's change or deletion);
    `complete` adds what a stock record's image leaves out (its profile)."""
    if is_tombstone_attributes(new):
        last, _, deleted_date = tombstone_from_attributes(new)
        gone = deleted(last, deleted_date)
        return [_event("deleted", gone, {"deletedEvent": {"movedToTrash": False}})]
    if not is_item_attributes(new):
        return []
    after = complete(item_from_attributes(new))
    entity = InventoryItemOut.of(after).model_dump(mode="json")
    if not is_item_attributes(old):
        return [_event("created", after, {"createdEvent": {"entity": entity}})]
    before = item_from_attributes(old)
    if before.revision == after.revision:
        return []
    events = [_event("updated", after, {"updatedEvent": {"currentEntity": entity}})]
    if before.availability_status is not after.availability_status:
        status = {
            "inventoryItem": entity,
            "previousAvailabilityStatus": before.availability_status.value,
            "availabilityStatus": after.availability_status.value,
        }
        events.append(_event("stock_status_changed", after, {"actionEvent": {"body": status}}))
    change = change_from_attributes(new)
    if change is not None and change.kind in _WITH_REASON and change.delta is not None:
        body: dict[str, Any] = {
            "inventoryItem": entity,
            "reason": change.reason,
            "kind": change.kind.value,
            "delta": change.delta,
            "previousQuantity": before.quantity,
            "quantity": after.quantity,
            "requestId": change.request_id,
        }
        events.append(_event("updated_with_reason", after, {"actionEvent": {"body": body}}))
    return events


def _event(slug: str, item: InventoryItem, part: dict[str, Any]) -> Event:
    return (
        DETAIL_TYPES[slug],
        {
            # The same change always makes the same id: a repeat is recognisable as one.
            "id": f"{item.id}:{item.revision}:{slug}",
            "entityFqdn": ENTITY_FQDN,
            "slug": slug,
            "entityId": item.id,
            "eventTime": item.updated_date,
            "storeId": item.store_id,
            "revision": str(item.revision),
            **part,
        },
    )
