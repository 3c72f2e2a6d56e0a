"""The ledger's reads: an item's audit trail (adjustments) and the store-wide feed."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from stockroom.dialects.wix.context import TAGS, current_store
from stockroom.dialects.wix.errors import documented
from stockroom.dialects.wix.models import MAX_QUERY_LIMIT
from stockroom.dialects.wix.query_models import ListAdjustmentsResponse
from stockroom.http.fields import Id, IsoTime
from stockroom.http.request import refuse_unknown_query
from stockroom.wiring import inventory_service

router = Router()


@router.get(
    "/stores/v3/inventory-items/<inventoryItemId>/adjustments",
    summary="List an inventory item's adjustments (its audit trail), newest first",
    tags=TAGS,
    responses=documented(),
)
def list_adjustments(
    inventoryItemId: Annotated[Id, Path()],
    limit: Annotated[int, Query(ge=1, le=MAX_QUERY_LIMIT)] = MAX_QUERY_LIMIT,
    cursor: Annotated[str | None, Query(min_length=1, max_length=2048)] = None,
) -> ListAdjustmentsResponse:
    refuse_unknown_query(router, "limit", "cursor")
    page = inventory_service().adjustments(
        current_store(router.current_event),
        inventoryItemId,
        limit=limit,
        cursor=cursor,
        cursor_field="cursor",
    )
    return ListAdjustmentsResponse.of(page)


@router.get(
    "/stores/v3/inventory-adjustments",
    summary="The store's ledger, oldest first: every applied change of every item, deleted ones' too",
    tags=TAGS,
    responses=documented(),
)
def list_store_adjustments(
    since: Annotated[IsoTime | None, Query(description="Records from this time on (ISO 8601)")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_QUERY_LIMIT)] = MAX_QUERY_LIMIT,
    cursor: Annotated[str | None, Query(min_length=1, max_length=2048)] = None,
) -> ListAdjustmentsResponse:
    refuse_unknown_query(router, "since", "limit", "cursor")
    page = inventory_service().feed(
        current_store(router.current_event),
        since=since or "",
        limit=limit,
        cursor=cursor,
        cursor_field="cursor",
    )
    return ListAdjustmentsResponse.of(page)
