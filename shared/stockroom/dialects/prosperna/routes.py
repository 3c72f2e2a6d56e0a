"""Prosperna's stock-quantity routes: a thin adapter from Prosperna's shapes to the inventory service."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.metrics import MetricUnit

from stockroom.core.domain import DecrementLine, LineErrorCode, LineResult
from stockroom.dialects.prosperna.context import TAGS, current_store, metrics
from stockroom.dialects.prosperna.errors import OrderRejected, documented
from stockroom.dialects.prosperna.models import (
    MAX_STOCK_QUANTITY_LINES,
    ProductStock,
    ProductStockAnswer,
    StockQuantityLine,
    StockQuantityUpdated,
    VariantStock,
)
from stockroom.http.fields import Id
from stockroom.http.idempotency import remember_by_idempotency_key
from stockroom.http.request import request_id
from stockroom.wiring import inventory_service

router = Router()

# Prosperna names a missing product; the engine's code speaks of inventory items.
_FAILURE_CODES = {LineErrorCode.INVENTORY_ITEM_NOT_FOUND: "PRODUCT_NOT_FOUND"}


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
    tags=TAGS,
    responses=documented(),
)
def get_stock_quantity(
    store_id: Annotated[Id, Query(description="The merchant's store")],
    product_id: Annotated[Id, Query(description="The product")],
) -> ProductStockAnswer:
    stock = inventory_service().product_stock(current_store(router.current_event), product_id)
    return ProductStockAnswer(
        data=ProductStock(
            product_id=stock.product_id,
            stock_quantity=stock.quantity,
            variants=[
                VariantStock(product_variant_combination_id=v.variant_id, stock_quantity=v.quantity)
                for v in stock.variants
            ],
        )
    )


@router.post(
    "/v1/products/stock-quantity",
    summary="Decrease product and variant combination quantities, all or nothing",
    tags=TAGS,
    middlewares=[remember_by_idempotency_key(current_store)],
    responses=documented(),
)
def decrease_stock_quantity(
    lines: Annotated[
        list[StockQuantityLine], Body(min_length=1, max_length=MAX_STOCK_QUANTITY_LINES, embed=False)
    ],
    store_id: Annotated[Id, Query(description="The merchant's store")],
) -> StockQuantityUpdated:
    store = current_store(router.current_event)
    service = inventory_service()
    audit = service.audit_context(request_id(router), "ORDER")
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
