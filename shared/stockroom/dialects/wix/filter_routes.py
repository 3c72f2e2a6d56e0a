"""Wix V3 bulk upsert and the by-filter calls: update, delete, set-or-adjust and adjust every item a filter
matches (at most `MAX_BY_FILTER_ITEMS`; more is a 400 and changes nothing). A thin adapter over
`stockroom.core.by_filter` and `stockroom.core.upserts`."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from stockroom.core.by_filter import (
    Adjustment,
    adjust_by_filter,
    delete_by_filter,
    update_by_filter,
)
from stockroom.core.domain import LineResult
from stockroom.core.errors import InvalidRequest
from stockroom.core.filters import Search
from stockroom.core.upserts import upsert_items
from stockroom.dialects.wix.codes import UPSERT
from stockroom.dialects.wix.context import TAGS, audit_context, count_lines, current_store, idempotent
from stockroom.dialects.wix.errors import documented, documented_not_served
from stockroom.dialects.wix.filter_models import (
    BulkAdjustInventoryItemsByFilterRequest,
    BulkDeleteInventoryItemsByFilterRequest,
    BulkSetOrAdjustInventoryItemsByFilterRequest,
    BulkUpdateInventoryItemsByFilterRequest,
    BulkUpsertInventoryItemsRequest,
    ByFilter,
    ByFilterResponse,
)
from stockroom.dialects.wix.models import BulkInventoryItemsResponse
from stockroom.dialects.wix.search_routes import search_of
from stockroom.http.exceptions import NotServed
from stockroom.wiring import inventory_service

router = Router()


@router.post(
    "/stores/v3/bulk/inventory-items/upsert",
    summary="Bulk upsert inventory items: created where their variant and location have none, else updated",
    tags=TAGS,
    middlewares=[idempotent],
    responses=documented(),
)
def bulk_upsert_inventory_items(request: BulkUpsertInventoryItemsRequest) -> BulkInventoryItemsResponse:
    store_id = current_store(router.current_event)
    service = inventory_service()
    lines = [masked.inventoryItem.to_line(i) for i, masked in enumerate(request.inventoryItems)]
    seen: dict[tuple[str, str], int] = {}
    for line in lines:
        key = service.item_key(store_id, line.draft.variant_id, line.draft.location_id)
        first = seen.setdefault((key.variant_id, key.location_id), line.index)
        if first != line.index:
            raise InvalidRequest(
                ("inventoryItems", line.index, "inventoryItem"),
                f"The same variant and location as inventoryItems[{first}]: one item each in a request.",
                rule="DUPLICATE_BULK_UPSERT_KEY",
            )
    results = upsert_items(service, store_id, lines, audit_context(router, "UPSERT"), request.returnEntity)
    count_lines("UpsertItems", results, router)
    return BulkInventoryItemsResponse.of(results, UPSERT)


def _answer(metric: str, results: list[LineResult]) -> ByFilterResponse:
    count_lines(metric, results, router)
    return ByFilterResponse.of(results)


def _search(request: ByFilter) -> Search:
    return search_of(request.filter, None, request.search, ())


@router.post(
    "/stores/v3/bulk/inventory-items/update-by-filter",
    summary="Update every inventory item a filter matches (each at the revision read)",
    tags=TAGS,
    middlewares=[idempotent],
    responses=documented(),
)
def bulk_update_by_filter(request: BulkUpdateInventoryItemsByFilterRequest) -> ByFilterResponse:
    results = update_by_filter(
        inventory_service(),
        current_store(router.current_event),
        _search(request),
        request.inventoryItem.changes(),
        audit_context(router, "UPDATE"),
    )
    return _answer("UpdateItems", results)


@router.post(
    "/stores/v3/bulk/inventory-items/delete-by-filter",
    summary="Delete every inventory item a filter matches",
    tags=TAGS,
    middlewares=[idempotent],
    responses=documented(),
)
def bulk_delete_by_filter(request: BulkDeleteInventoryItemsByFilterRequest) -> ByFilterResponse:
    store_id = current_store(router.current_event)
    audit = audit_context(router, "DELETE")
    results = delete_by_filter(inventory_service(), store_id, _search(request), audit)
    return _answer("DeleteItems", results)


@router.post(
    "/stores/v3/bulk/inventory-items/set-or-adjust-by-filter",
    summary="Adjust every item a filter matches; where the change would pass a bound, set the bound",
    tags=TAGS,
    middlewares=[idempotent],
    responses=documented(),
)
def bulk_set_or_adjust_by_filter(request: BulkSetOrAdjustInventoryItemsByFilterRequest) -> ByFilterResponse:
    results = adjust_by_filter(
        inventory_service(),
        current_store(router.current_event),
        _search(request),
        Adjustment(request.adjustedInventoryAction.units),
        audit_context(router, "SET_OR_ADJUST"),
        clamp=True,
    )
    return _answer("AdjustItems", results)


@router.post(
    "/stores/v3/bulk/inventory-items/adjust-by-filter",
    summary="Increment or decrement every item a filter matches, each by the stock rules",
    tags=TAGS,
    middlewares=[idempotent],
    responses=documented(),
)
def bulk_adjust_by_filter(request: BulkAdjustInventoryItemsByFilterRequest) -> ByFilterResponse:
    results = adjust_by_filter(
        inventory_service(),
        current_store(router.current_event),
        _search(request),
        Adjustment(request.adjustment.units),
        audit_context(router, "ADJUST"),
        clamp=False,
        start_tracking=request.trackQuantity,
    )
    return _answer("AdjustItems", results)


@router.post(
    "/stores/v3/bulk/inventory-items/create-by-variant-filter",
    summary="Not served: it filters Wix's product catalog, which Stockroom does not keep (404)",
    tags=TAGS,
    responses=documented_not_served(),
)
def bulk_create_by_variant_filter() -> BulkInventoryItemsResponse:
    raise NotServed(
        "Creating items by a filter over product variants needs Wix's product catalog, which Stockroom does"
        " not keep: create them with bulk create or bulk upsert."
    )
