"""Wix V3 bulk writes beside the decrement by variant and location: create, update, increments, and
decrement by id. A thin adapter, like `stockroom.wix.routes`, sharing its `current_store` and error table."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.metrics import MetricUnit

from stockroom.domain import DecrementLine, IncrementLine, ItemKey, LineResult
from stockroom.wiring import inventory_service
from stockroom.wix.errors import documented
from stockroom.wix.models import (
    BulkCreateInventoryItemsRequest,
    BulkDecrementRequest,
    BulkIncrementByVariantAndLocationRequest,
    BulkIncrementRequest,
    BulkInventoryItemsResponse,
    BulkUpdateInventoryItemsRequest,
)
from stockroom.wix.routes import audit_context, current_store, idempotent, metrics

router = Router()
TAGS = ["Wix inventory items"]


class NamesItemById(Protocol):
    @property
    def inventoryItemId(self) -> str: ...


ById = TypeVar("ById", bound=NamesItemById)
Line = TypeVar("Line")


def _by_id(
    requested: Sequence[ById],
    to_line: Callable[[int, ItemKey, ById], Line],
    apply: Callable[[list[Line]], list[LineResult]],
) -> list[LineResult]:
    """A by-id call: one batched read of the id pointers, `apply` on the lines whose item exists, and
    INVENTORY_ITEM_NOT_FOUND for the others; results in request order."""
    keys, missing = inventory_service().keys_by_id(
        current_store(), [(index, line.inventoryItemId) for index, line in enumerate(requested)]
    )
    lines = [to_line(index, keys[index], line) for index, line in enumerate(requested) if index in keys]
    return sorted([*apply(lines), *missing], key=lambda r: r.index)


def _answer(metric: str, results: list[LineResult]) -> BulkInventoryItemsResponse:
    applied = sum(1 for r in results if r.success)
    metrics.add_metric(name=f"{metric}Applied", unit=MetricUnit.Count, value=applied)
    metrics.add_metric(name=f"{metric}Refused", unit=MetricUnit.Count, value=len(results) - applied)
    return BulkInventoryItemsResponse.of(results)


@router.post(
    "/stores/v3/bulk/inventory-items/create",
    summary="Bulk create inventory items",
    tags=TAGS,
    middlewares=[idempotent],
    responses=documented(),
)
def bulk_create_inventory_items(request: BulkCreateInventoryItemsRequest) -> BulkInventoryItemsResponse:
    results = inventory_service().create_items(
        current_store(),
        [item.to_draft() for item in request.inventoryItems],
        audit_context("CREATE"),
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
        current_store(),
        [masked.inventoryItem.to_line(index) for index, masked in enumerate(request.inventoryItems)],
        audit_context(request.reason or "UPDATE"),
        request.returnEntity,
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
    store_id = current_store()
    service = inventory_service()
    lines = [
        IncrementLine(index, service.item_key(store_id, line.variantId, line.locationId), line.incrementBy)
        for index, line in enumerate(request.incrementData)
    ]
    results = service.increment(
        lines, audit=audit_context(request.reason), return_entity=request.returnEntity
    )
    return _answer("IncrementLines", results)


@router.post(
    "/stores/v3/bulk/inventory-items/increment",
    summary="Bulk increment by item id",
    tags=TAGS,
    middlewares=[idempotent],
    responses=documented(),
)
def bulk_increment(request: BulkIncrementRequest) -> BulkInventoryItemsResponse:
    service = inventory_service()
    results = _by_id(
        request.incrementData,
        lambda index, key, line: IncrementLine(index, key, line.incrementBy),
        lambda lines: service.increment(
            lines, audit=audit_context(request.reason), return_entity=request.returnEntity
        ),
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
    # The same rules and engine as by variant and location: ids become keys, then the same decrement.
    service = inventory_service()
    results = _by_id(
        request.decrementData,
        lambda index, key, line: DecrementLine(index, key, line.decrementBy, line.preorderRequest),
        lambda lines: service.decrement(
            lines,
            restrict_inventory=request.restrictInventory,
            audit=audit_context(request.reason),
            return_entity=request.returnEntity,
        ),
    )
    return _answer("DecrementLines", results)
