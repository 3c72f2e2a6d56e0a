"""Prosperna's stock-quantity routes: a thin adapter from Prosperna's shapes to the inventory service."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.metrics import MetricUnit

from stockroom.auth import choose_store, stores_from_event
from stockroom.domain import DecrementLine, LineErrorCode, LineResult
from stockroom.errors import ItemNotFound
from stockroom.fields import Id
from stockroom.idempotency import remember_by_idempotency_key
from stockroom.prosperna.errors import OrderRejected, documented, register_error_handlers
from stockroom.prosperna.models import (
    MAX_STOCK_QUANTITY_LINES,
    ProductStock,
    ProductStockAnswer,
    StockQuantityLine,
    StockQuantityUpdated,
    VariantStock,
)
from stockroom.wiring import inventory_service

router = Router()
register_error_handlers(router)
metrics = Metrics()

# Prosperna names a missing product; the engine's code speaks of inventory items.
_FAILURE_CODES = {LineErrorCode.INVENTORY_ITEM_NOT_FOUND: "PRODUCT_NOT_FOUND"}


def current_store() -> str:
    """The store named by `store_id`, if the caller's key covers it."""
    event = router.current_event
    return choose_store(
        stores_from_event(event.raw_event), (event.query_string_parameters or {}).get("store_id")
    )


def _failure(line: StockQuantityLine, result: LineResult) -> dict[str, Any]:
    assert result.error is not None
    id_field, id_value = line.id_field
    data = result.error.data
    return {
        "index": result.index,
        id_field: id_value,
        "code": _FAILURE_CODES.get(result.error.code, result.error.code.value),
        "message": result.error.description,
        # What the request asked of the item in all (its lines are applied together), and what it had.
        "requested": data.get("requested", line.purchased_quantity),
        "available": data.get("available", 0),
    }


@router.get(
    "/v1/products/stock-quantity",
    summary="A product's stock quantity, and each variant combination's",
    tags=["Prosperna stock"],
    responses=documented(),
)
def get_stock_quantity(
    store_id: Annotated[Id, Query(description="The merchant's store")],
    product_id: Annotated[Id, Query(description="The product")],
) -> ProductStockAnswer:
    store = current_store()
    items = inventory_service().product_items(store, product_id)
    if not items:
        raise ItemNotFound(f"Product {product_id} was not found.", {"product_id": product_id})
    # A product without variants is its own single item; otherwise its quantity is its combinations' sum.
    combinations = [item for item in items if item.variant_id != product_id]
    counted = [item.quantity for item in items if item.track_quantity and item.quantity is not None]
    return ProductStockAnswer(
        data=ProductStock(
            product_id=product_id,
            stock_quantity=sum(counted),
            variants=[
                VariantStock(
                    product_variant_combination_id=item.variant_id,
                    stock_quantity=item.quantity if item.track_quantity else None,
                )
                for item in combinations
            ],
        )
    )


@router.post(
    "/v1/products/stock-quantity",
    summary="Decrease product and variant combination quantities, all or nothing",
    tags=["Prosperna stock"],
    middlewares=[remember_by_idempotency_key(current_store)],
    responses=documented(),
)
def decrease_stock_quantity(
    lines: Annotated[
        list[StockQuantityLine], Body(min_length=1, max_length=MAX_STOCK_QUANTITY_LINES, embed=False)
    ],
    store_id: Annotated[Id, Query(description="The merchant's store")],
) -> StockQuantityUpdated:
    store = current_store()
    service = inventory_service()
    context = router.current_event.raw_event.get("requestContext") or {}
    audit = service.audit_context(context.get("requestId") or router.lambda_context.aws_request_id, "ORDER")
    outcome = service.decrement_all_or_nothing(
        [
            # A product without variants is the item whose variant is the product; Prosperna has no locations.
            DecrementLine(index, service.item_key(store, line.id_field[1], None), line.purchased_quantity)
            for index, line in enumerate(lines)
        ],
        restrict_inventory=True,  # never negative on this dialect
        audit=audit,
        accept_untracked=True,  # an always-in-stock product is accepted and left as it is
    )
    if not outcome.applied:
        metrics.add_metric(name="StockQuantityOrdersRejected", unit=MetricUnit.Count, value=1)
        raise OrderRejected([_failure(lines[r.index], r) for r in outcome.failures])
    metrics.add_metric(name="StockQuantityOrdersApplied", unit=MetricUnit.Count, value=1)
    return StockQuantityUpdated()
