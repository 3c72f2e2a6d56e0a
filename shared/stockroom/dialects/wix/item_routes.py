"""Wix V3 calls on one item by id, bulk delete, and transfers between locations."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from stockroom.core.errors import InvalidRequest
from stockroom.core.transfers import TransferLine
from stockroom.dialects.wix.codes import BY_VARIANT_AND_LOCATION
from stockroom.dialects.wix.context import TAGS, audit_context, count_lines, current_store, idempotent
from stockroom.dialects.wix.errors import documented
from stockroom.dialects.wix.item_models import (
    BulkDeleteInventoryItemsRequest,
    BulkTransferInventoryItemsRequest,
    DeleteInventoryItemResponse,
    UpdateInventoryItemRequest,
)
from stockroom.dialects.wix.models import BulkInventoryItemsResponse, InventoryItemOut, InventoryItemResponse
from stockroom.http.fields import Id
from stockroom.wiring import inventory_service

router = Router()


@router.patch(
    "/stores/v3/inventory-items/<inventoryItemId>",
    summary="Update an inventory item (with the revision it was read at)",
    tags=TAGS,
    middlewares=[idempotent],
    responses=documented(),
)
def update_inventory_item(
    inventoryItemId: Annotated[Id, Path()], request: UpdateInventoryItemRequest
) -> InventoryItemResponse:
    patch = request.inventoryItem
    if patch.id is not None and patch.id != inventoryItemId:
        raise InvalidRequest(("item", "id"), "The id in the body is not the id in the path.")
    item = inventory_service().update_item(
        current_store(router.current_event),
        patch.changes_line(0, inventoryItemId),
        audit_context(router, request.reason or "UPDATE"),
        allow_below_reserved=request.allowBelowReserved,
    )
    return InventoryItemResponse(inventoryItem=InventoryItemOut.of(item))


@router.delete(
    "/stores/v3/inventory-items/<inventoryItemId>",
    summary="Delete an inventory item (refused, 409, while it holds units for reservations)",
    tags=TAGS,
    middlewares=[idempotent],
    responses=documented(),
)
def delete_inventory_item(inventoryItemId: Annotated[Id, Path()]) -> DeleteInventoryItemResponse:
    inventory_service().delete_item(
        current_store(router.current_event), inventoryItemId, audit_context(router, "DELETE")
    )
    return DeleteInventoryItemResponse()


@router.post(
    "/stores/v3/bulk/inventory-items/delete",
    summary="Bulk delete inventory items",
    tags=TAGS,
    middlewares=[idempotent],
    responses=documented(),
)
def bulk_delete_inventory_items(request: BulkDeleteInventoryItemsRequest) -> BulkInventoryItemsResponse:
    results = inventory_service().delete_items(
        current_store(router.current_event), request.inventoryItemIds, audit_context(router, "DELETE")
    )
    count_lines("DeleteItems", results, router)
    return BulkInventoryItemsResponse.of(results)


@router.post(
    "/stores/v3/bulk/inventory-items/transfer",
    summary="Transfer stock between locations: each line -n at the source and +n at the destination",
    tags=TAGS,
    middlewares=[idempotent],
    responses=documented(),
)
def bulk_transfer_inventory_items(request: BulkTransferInventoryItemsRequest) -> BulkInventoryItemsResponse:
    store_id = current_store(router.current_event)
    service = inventory_service()
    lines = [
        TransferLine(
            index,
            service.item_key(store_id, line.variantId, line.fromLocationId),
            service.item_key(store_id, line.variantId, line.toLocationId),
            line.quantity,
        )
        for index, line in enumerate(request.transferData)
    ]
    results = service.transfer(
        lines, audit=audit_context(router, request.reason or "TRANSFER"), return_entity=request.returnEntity
    )
    count_lines("TransferLines", results, router)
    # Stockroom's own call, by variant and location: Wix's words for the outcomes Wix has words for.
    return BulkInventoryItemsResponse.of(results, BY_VARIANT_AND_LOCATION)
