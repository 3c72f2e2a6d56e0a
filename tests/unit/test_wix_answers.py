"""Wix answers leave absent fields out rather than sending null, at every level, as Powertools serializes
them (a TypeAdapter of the route's return type, JSON mode)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from pydantic import BaseModel, TypeAdapter

from stockroom.core.domain import (
    Adjustment,
    AdjustmentKind,
    InventoryItem,
    LineError,
    LineErrorCode,
    LineResult,
    PreorderSettings,
)
from stockroom.core.paging import Page
from stockroom.dialects.wix import models, query_models
from stockroom.http.json_body import json_text

UNTRACKED = InventoryItem(
    id="i-1",
    store_id="s",
    variant_id="v",
    location_id="l",
    product_id="p",
    track_quantity=False,
    quantity=None,
    in_stock=True,
    preorder=PreorderSettings(enabled=False),
    created_date="2026-01-01T00:00:00.000Z",
    updated_date="2026-01-01T00:00:00.000Z",
)


def nulls(value: Any, path: str = "") -> list[str]:
    if value is None:
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in nulls(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in nulls(v, f"{path}[{i}]")]
    return []


def dumped(answer: BaseModel) -> Any:
    return TypeAdapter(type(answer)).dump_python(answer, mode="json")


def test_a_bulk_answer_has_no_null_and_keeps_what_is_there() -> None:
    refused = LineError(LineErrorCode.INSUFFICIENT_INVENTORY, "not enough", {"available": 0})
    answer = models.BulkInventoryItemsResponse.of(
        [LineResult(0, "i-1", item=UNTRACKED), LineResult(1, None, error=refused)]
    )
    body = dumped(answer)
    assert nulls(body) == []
    applied, failed = body["results"]
    assert applied["item"]["inStock"] is True and "quantity" not in applied["item"]
    assert applied["item"]["preorderInfo"] == {"enabled": False}
    assert applied["item"]["product"] == {"directCategoryIds": []}
    assert failed == {
        "itemMetadata": {
            "originalIndex": 1,
            "success": False,
            "error": {
                "code": "INSUFFICIENT_INVENTORY",
                "description": "not enough",
                "data": {"available": 0},
            },
        }
    }


def test_a_ledger_page_has_no_null() -> None:
    record = Adjustment(
        item_id="i-1",
        revision=2,
        kind=AdjustmentKind.UPDATE,
        delta=None,
        reason="UPDATE",
        request_id="r",
        created_date="2026-01-01T00:00:00.000Z",
        quantity_after=3,
    )
    body = dumped(query_models.ListAdjustmentsResponse.of(Page([record], None)))
    assert nulls(body) == []
    assert body["pagingMetadata"] == {"count": 1, "cursors": {}, "hasNext": False}
    assert body["adjustments"][0]["quantityAfter"] == 3 and "quantityBefore" not in body["adjustments"][0]


def answer_models() -> list[type[models.WixResponse]]:
    found, todo = [], [models.WixResponse]
    while todo:
        found += (subclasses := todo.pop().__subclasses__())
        todo += subclasses
    return found


@pytest.mark.parametrize("model", answer_models(), ids=lambda m: m.__name__)
def test_every_field_that_may_be_none_is_left_out_when_none(model: type[models.WixResponse]) -> None:
    for name, field in model.model_fields.items():
        if field.default is None:
            assert field.exclude_if is not None and field.exclude_if(None), f"{model.__name__}.{name}"


def test_a_bulk_request_counts_its_lines_in_its_repr() -> None:
    """Powertools puts the route's arguments in a debug message on every call, logged or not."""
    lines = [{"variantId": f"v{i}", "decrementBy": 1} for i in range(300)]
    request = models.BulkDecrementByVariantAndLocationRequest.model_validate({"decrementData": lines})
    assert "decrementData='<300 lines>'" in repr(request) and len(repr(request)) < 200
    one = models.BulkDecrementByVariantAndLocationRequest.model_validate({"decrementData": lines[:1]})
    assert "variantId='v0'" in repr(one)


@pytest.mark.parametrize(
    "body",
    [
        {"results": [{"itemMetadata": {"originalIndex": 0, "success": True}}], "note": "naïve ✓"},
        {"price": Decimal("1.50"), "big": 2**70},  # what orjson does not encode: Powertools' own encoder
    ],
)
def test_answers_are_written_as_the_json_powertools_would_write(body: dict[str, Any]) -> None:
    """The resolvers' serializer (orjson) writes the same JSON values as Powertools' default would."""
    default = APIGatewayRestResolver()._serializer
    assert json.loads(json_text(body)) == json.loads(default(body))
