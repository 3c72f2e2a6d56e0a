"""Prosperna's POST /v1/products/stock-quantity: the request line and the answers, in Prosperna's words."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from stockroom.core.stock import max_order_items
from stockroom.http.fields import Id, Units

# Every line may name a different item, and the whole request is one transaction.
MAX_STOCK_QUANTITY_LINES = max_order_items(with_marker=False)
SUCCESS_MESSAGE = "Inventory successfully updated."


class StockQuantityLine(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    product_id: Id | None = Field(None, description="A product without variants.")
    product_variant_combination_id: Id | None = Field(None, description="A variant combination of a product.")
    purchased_quantity: Units

    @model_validator(mode="after")
    def _exactly_one_id(self) -> StockQuantityLine:
        if (self.product_id is None) == (self.product_variant_combination_id is None):
            raise ValueError("name exactly one of product_id and product_variant_combination_id")
        return self

    @property
    def id_field(self) -> tuple[str, str]:
        if self.product_id is not None:
            return "product_id", self.product_id
        assert self.product_variant_combination_id is not None
        return "product_variant_combination_id", self.product_variant_combination_id


class StockQuantityUpdated(BaseModel):
    data: None = None
    message: str = SUCCESS_MESSAGE
    statusCode: int = 200


class VariantStock(BaseModel):
    product_variant_combination_id: str
    stock_quantity: int | None = Field(description="null: the combination does not track quantity")


class ProductStock(BaseModel):
    product_id: str
    stock_quantity: int = Field(description="The product's own item, or the sum of its combinations'")
    variants: list[VariantStock]


class ProductStockAnswer(BaseModel):
    data: ProductStock
    message: str = "Stock quantity retrieved."
    statusCode: int = 200


def error_body(status: int, message: str, failures: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"error": True, "message": message, "statusCode": status}
    if failures is not None:
        body["data"] = {"failures": failures}
    return body
