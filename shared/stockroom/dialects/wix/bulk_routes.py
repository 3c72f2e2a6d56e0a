"""Wix V3 bulk writes beside the decrement by variant and location: create, update, increments, and
decrement by id. A thin adapter: Wix shapes in, service calls, Wix bulk answers out."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from stockroom.core.domain import DecrementById, IncrementById, IncrementLine, LineResult
from stockroom.dialects.wix.bulk_models import (
    BulkCreateInventoryItemsRequest,
    BulkDecrementRequest,
    BulkIncrementByVariantAndLocationRequest,
    BulkIncrementRequest,
    BulkUpdateInventoryItemsRequest,
)
from stockroom.dialects.wix.codes import BY_ID, BY_VARIANT_AND_LOCATION, Codes
from stockroom.dialects.wix.context import TAGS, audit_context, count_lines, current_store, idempotent
from stockroom.dialects.wix.errors import documented
from stockroom.dialects.wix.models import BulkInventoryItemsResponse
from stockroom.wiring import inventory_service

router = Router()


def _answer(metric: str, results: list[LineResult], codes: Codes = BY_ID) -> BulkInventoryItemsResponse:
    count_lines(metric, results, router)
    return BulkInventoryItemsResponse.of(results, codes)


@router.post(
    "/stores/v3/bulk/inventory-items/create",
    summary="Bulk create inventory items",
    tags=TAGS,
    middlewares=[idempotent],
    responses=documented(),
)
def bulk_create_inventory_items(request: BulkCreateInventoryItemsRequest) -> BulkInventoryItemsResponse:
    results = inventory_service().create_items(
        current_store(router.current_event),
        [item.to_draft() for item in request.inventoryItems],
        audit_context(router, "CREATE"),
        request.returnEntity,
    )
    return _answer("CreateItems", results)


@router.post(
    "/stores/v3/bulk/inventory-items/update",
    summary="Bulk update inventory items",
    tags=TAGS,
    middlewares=[idempotent],
    responses=documented(),
)
def bulk_update_inventory_items(request: BulkUpdateInventoryItemsRequest) -> BulkInventoryItemsResponse:
    results = inventory_service().update_items(
        current_store(router.current_event),
        [masked.inventoryItem.to_line(index) for index, masked in enumerate(request.inventoryItems)],
        audit_context(router, request.reason or "UPDATE"),
        request.returnEntity,
        allow_below_reserved=request.allowBelowReserved,
    )
    return _answer("UpdateItems", results)


@router.post(
    "/stores/v3/bulk/inventory-items/increment-by-variant-and-location",
    summary="Bulk increment inventory items by variant and location",
    tags=TAGS,
    middlewares=[idempotent],
    responses=documented(),
)
def bulk_increment_by_variant_and_location(
    request: BulkIncrementByVariantAndLocationRequest,
) -> BulkInventoryItemsResponse:
    store_id = current_store(router.current_event)
    service = inventory_service()
    lines = [
        IncrementLine(index, service.item_key(store_id, line.variantId, line.locationId), line.incrementBy)
        for index, line in enumerate(request.incrementData)
    ]
    results = service.increment(
        lines, audit=audit_context(router, request.reason), return_entity=request.returnEntity
    )
    return _answer("IncrementLines", results, BY_VARIANT_AND_LOCATION)


@router.post(
    "/stores/v3/bulk/inventory-items/increment",
    summary="Bulk increment by item id",
    tags=TAGS,
    middlewares=[idempotent],
    responses=documented(),
)
def bulk_increment(request: BulkIncrementRequest) -> BulkInventoryItemsResponse:
    results = inventory_service().increment_by_id(
        current_store(router.current_event),
        [
            IncrementById(i, line.inventoryItemId, line.incrementBy)
            for i, line in enumerate(request.incrementData)
        ],
        audit=audit_context(router, request.reason),
        return_entity=request.returnEntity,
    )
    return _answer("IncrementLines", results)


@router.post(
    "/stores/v3/bulk/inventory-items/decrement",
    summary="Bulk decrement by item id",
    tags=TAGS,
    middlewares=[idempotent],
    responses=documented(),
)
def bulk_decrement(request: BulkDecrementRequest) -> BulkInventoryItemsResponse:
    results = inventory_service().decrement_by_id(
        current_store(router.current_event),
        [
            DecrementById(i, line.inventoryItemId, line.decrementBy, line.preorderRequest)
            for i, line in enumerate(request.decrementData)
        ],
        restrict_inventory=request.restrictInventory,
        audit=audit_context(router, request.reason),
        return_entity=request.returnEntity,
    )
    return _answer("DecrementLines", results)
