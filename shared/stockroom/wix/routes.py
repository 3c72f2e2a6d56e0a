"""Wix Stores V3 inventory-items routes: a thin adapter from Wix shapes to the inventory service."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.metrics import MetricUnit

from stockroom.auth import choose_store, stores_from_event
from stockroom.domain import AuditContext, DecrementLine
from stockroom.fields import Id
from stockroom.idempotency import remember_by_idempotency_key
from stockroom.wiring import inventory_service
from stockroom.wix.errors import documented, register_error_handlers
from stockroom.wix.models import (
    BulkDecrementByVariantAndLocationRequest,
    BulkInventoryItemsResponse,
    CreateInventoryItemRequest,
    InventoryItemOut,
    InventoryItemResponse,
)

SITE_HEADER = "wix-site-id"

router = Router()
register_error_handlers(router)
metrics = Metrics()  # shares its metric set with the handler's, which flushes it


def current_store() -> str:
    """The store this call acts on: `wix-site-id` if the key covers it, else the key's default store."""
    return choose_store(
        stores_from_event(router.current_event.raw_event), router.current_event.headers.get(SITE_HEADER)
    )


# Mutating routes answer a repeated Idempotency-Key once (issue "security").
idempotent = remember_by_idempotency_key(current_store)


def audit_context(reason: str | None) -> AuditContext:
    # API Gateway's id for the HTTP request: what the caller can quote back to us.
    context = router.current_event.raw_event.get("requestContext") or {}
    request_id = context.get("requestId") or router.lambda_context.aws_request_id
    return inventory_service().audit_context(request_id, reason)


@router.post(
    "/stores/v3/bulk/inventory-items/decrement-by-variant-and-location",
    summary="Bulk decrement inventory items by variant and location",
    tags=["Wix inventory items"],
    middlewares=[idempotent],
    responses=documented(),
)
def bulk_decrement_by_variant_and_location(
    request: BulkDecrementByVariantAndLocationRequest,
) -> BulkInventoryItemsResponse:
    store_id = current_store()
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
        audit=audit_context(request.reason),
        return_entity=request.returnEntity,
    )
    applied = sum(1 for r in results if r.success)
    metrics.add_metric(name="DecrementLinesApplied", unit=MetricUnit.Count, value=applied)
    metrics.add_metric(name="DecrementLinesRefused", unit=MetricUnit.Count, value=len(results) - applied)
    return BulkInventoryItemsResponse.of(results)


@router.post(
    "/stores/v3/inventory-items",
    summary="Create an inventory item",
    tags=["Wix inventory items"],
    status_code=201,
    middlewares=[idempotent],
    responses=documented(201, "Created"),
)
def create_inventory_item(request: CreateInventoryItemRequest) -> InventoryItemResponse:
    store_id = current_store()
    item = inventory_service().create_item(
        store_id, request.inventoryItem.to_draft(), audit_context("CREATE")
    )
    metrics.add_metric(name="InventoryItemsCreated", unit=MetricUnit.Count, value=1)
    return InventoryItemResponse(inventoryItem=InventoryItemOut.of(item))


@router.get(
    "/stores/v3/inventory-items/<inventoryItemId>",
    summary="Get an inventory item",
    tags=["Wix inventory items"],
    responses=documented(),
)
def get_inventory_item(inventoryItemId: Annotated[Id, Path()]) -> InventoryItemResponse:
    item = inventory_service().get_item(current_store(), inventoryItemId)
    return InventoryItemResponse(inventoryItem=InventoryItemOut.of(item))
