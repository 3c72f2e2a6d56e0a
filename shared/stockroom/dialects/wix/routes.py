"""Wix Stores V3 inventory-items routes: a thin adapter from Wix shapes to the inventory service."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.metrics import MetricUnit

from stockroom.core.domain import DecrementLine
from stockroom.dialects.wix.codes import BY_VARIANT_AND_LOCATION
from stockroom.dialects.wix.context import (
    TAGS,
    audit_context,
    count_lines,
    current_store,
    idempotent,
    metrics,
)
from stockroom.dialects.wix.errors import documented
from stockroom.dialects.wix.models import (
    BulkDecrementByVariantAndLocationRequest,
    BulkInventoryItemsResponse,
    CreateInventoryItemRequest,
    InventoryItemOut,
    InventoryItemResponse,
)
from stockroom.http.fields import Id
from stockroom.wiring import inventory_service

router = Router()


@router.post(
    "/stores/v3/bulk/inventory-items/decrement-by-variant-and-location",
    summary="Bulk decrement inventory items by variant and location",
    tags=TAGS,
    middlewares=[idempotent],
    responses=documented(),
)
def bulk_decrement_by_variant_and_location(
    request: BulkDecrementByVariantAndLocationRequest,
) -> BulkInventoryItemsResponse:
    store_id = current_store(router.current_event)
    service = inventory_service()
    lines = [
        DecrementLine(
            index=index,
            key=service.item_key(store_id, line.variantId, line.locationId),
            quantity=line.decrementBy,
            preorder_request=line.preorderRequest,
        )
        for index, line in enumerate(request.decrementData)
    ]
    results = service.decrement(
        lines,
        restrict_inventory=request.restrictInventory,
        audit=audit_context(router, request.reason),
        return_entity=request.returnEntity,
    )
    count_lines("DecrementLines", results, router)
    return BulkInventoryItemsResponse.of(results, BY_VARIANT_AND_LOCATION)


@router.post(
    "/stores/v3/inventory-items",
    summary="Create an inventory item",
    tags=TAGS,
    middlewares=[idempotent],
    responses=documented(),
)
def create_inventory_item(request: CreateInventoryItemRequest) -> InventoryItemResponse:
    item = inventory_service().create_item(
        current_store(router.current_event), request.inventoryItem.to_draft(), audit_context(router, "CREATE")
    )
    metrics.add_metric(name="InventoryItemsCreated", unit=MetricUnit.Count, value=1)
    return InventoryItemResponse(inventoryItem=InventoryItemOut.of(item))


@router.get(
    "/stores/v3/inventory-items/<inventoryItemId>",
    summary="Get an inventory item",
    tags=TAGS,
    responses=documented(),
)
def get_inventory_item(inventoryItemId: Annotated[Id, Path()]) -> InventoryItemResponse:
    item = inventory_service().get_item(current_store(router.current_event), inventoryItemId)
    return InventoryItemResponse(inventoryItem=InventoryItemOut.of(item))
