"""Wix Stores Catalog V3 inventory-items: the request and response shapes, as Wix spells them (camelCase)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    model_validator,
)
from pydantic_core import PydanticCustomError

from stockroom.core.domain import (
    InventoryItem,
    ItemDraft,
    LineError,
    LineResult,
    PreorderSettings,
)
from stockroom.core.rules import MAX_QUANTITY, MIN_QUANTITY
from stockroom.dialects.wix.codes import BY_ID, Codes, wix_code
from stockroom.http.fields import Id, IsoTime, Reason, StockQuantity

MAX_BULK_LINES = 300
# Wix's bounds (its SDK's typings): a quantity is -99,999 to 99,999, a change of one 1 to 99,999.
WixQuantity = Annotated[StrictInt, Field(ge=MIN_QUANTITY, le=MAX_QUANTITY)]
WixUnits = Annotated[StrictInt, Field(ge=1, le=MAX_QUANTITY, description="1 to 99,999 units")]
PreorderLimit = Annotated[StrictInt, Field(ge=0, le=100_000)]
PreorderMessage = Annotated[StrictStr, Field(min_length=1, max_length=250)]
Status = Literal["IN_STOCK", "OUT_OF_STOCK", "PREORDER"]
MAX_QUERY_LIMIT = 100


class WixRequest(BaseModel):
    # Strict: "1", 1.0 and true are not 1. Unknown fields are refused, so a typo is never silently ignored.
    # defer_build: a model's validator is built when first used, not at import; a cold start builds only
    # the models of the route it serves (measured: 43 ms less handler init).
    model_config = ConfigDict(strict=True, extra="forbid", defer_build=True)

    def __repr_args__(self) -> Any:
        # Powertools formats a route's arguments into a debug message on every call, logged or not: a bulk
        # body's lines are counted there rather than written out (8 µs a line of the server's CPU).
        for name, value in super().__repr_args__():
            yield name, (f"<{len(value)} lines>" if isinstance(value, list) and len(value) > 3 else value)


def _is_none(value: object) -> bool:
    return value is None


T = TypeVar("T")
# Wix leaves absent fields out rather than sending null. Said per field, so pydantic's core drops them as
# it serializes; a model-wide wrap serializer called back into Python once per model, five times a line of
# a bulk answer (a fifth of the handler's CPU).
Absent = Annotated[T | None, Field(exclude_if=_is_none)]


class WixResponse(BaseModel):
    """An answer: every field that may be None is `Absent[...]`, left out when None (a test checks)."""

    model_config = ConfigDict(defer_build=True)


# --- requests -----------------------------------------------------------------------------------------------


class DecrementByVariantAndLocation(WixRequest):
    variantId: Id
    locationId: Id | None = Field(None, description="Defaults to the store's default location.")
    decrementBy: WixUnits
    preorderRequest: StrictBool = Field(
        False,
        description="Count a preorder instead of stock when the item is sold out and open for preorder.",
    )


class BulkDecrementByVariantAndLocationRequest(WixRequest):
    decrementData: Annotated[
        list[DecrementByVariantAndLocation], Field(min_length=1, max_length=MAX_BULK_LINES)
    ]
    restrictInventory: StrictBool = Field(
        True,
        description="true: a line that asks for more than is in stock fails (stock never goes negative).",
    )
    returnEntity: StrictBool = False
    reason: Reason | None = None


class ReadOnly(WixRequest):
    """What Wix computes for an item: accepted and ignored, so an item read with the SDK can be sent back
    as it is (as Wix ignores them)."""

    revision: StrictStr | None = None
    # The SDK sends an item's `_id` back as it is when the call names the id as well (it renames it `id`
    # only where nothing is called `id` already).
    sdk_id: StrictStr | None = Field(None, alias="_id", description="Read-only: ignored.")
    createdDate: IsoTime | None = None
    updatedDate: IsoTime | None = None
    availabilityStatus: Status | None = None
    reservedQuantity: StrictInt | None = None
    availableQuantity: StrictInt | None = None
    lowStockThreshold: StrictInt | None = Field(None, description="Set when the item is created.")


class PreorderInfoInput(WixRequest):
    enabled: StrictBool = False
    message: PreorderMessage | None = None
    limit: PreorderLimit | None = Field(
        None, description="How many units may be preordered once stock is zero (0 to 100,000)."
    )
    counter: StrictInt | None = Field(None, description="Read-only: ignored.")
    quantity: StrictInt | None = Field(None, description="Read-only: ignored.")


class ProductInput(WixRequest):
    name: Annotated[StrictStr, Field(max_length=80)] | None = None
    directCategoryIds: Annotated[list[Id], Field(max_length=2000)] = []


class InventoryItemInput(ReadOnly):
    id: Id | None = Field(None, description="Read-only: ignored (Stockroom gives the id).")
    variantId: Id
    locationId: Id | None = None
    productId: Id | None = Field(None, description="Defaults to variantId (a product without variants).")
    trackQuantity: StrictBool | None = None
    quantity: WixQuantity | None = None
    inStock: StrictBool | None = None
    preorderInfo: PreorderInfoInput = Field(default_factory=PreorderInfoInput)
    product: ProductInput = Field(default_factory=ProductInput)
    lowStockThreshold: StockQuantity | None = None

    @model_validator(mode="after")
    def _one_tracking_method(self) -> InventoryItemInput:
        if (self.quantity is None) == (self.inStock is None):
            raise ValueError("give exactly one of quantity (tracked) and inStock (untracked)")
        if self.trackQuantity is not None and self.trackQuantity != (self.quantity is not None):
            raise ValueError("trackQuantity must be true with quantity and false with inStock")
        if self.quantity is not None and self.quantity < 0:
            raise PydanticCustomError(
                "REQUESTED_QUANTITY_MUST_BE_NON_NEGATIVE", "A new item's quantity is 0 to 99,999."
            )
        if self.inStock is not None and self.preorderInfo.limit is not None:
            raise PydanticCustomError(
                "PREORDER_LIMIT_NOT_SUPPORTED_FOR_UNTRACKED_INVENTORY",
                "A preorder limit needs an item that tracks its quantity.",
            )
        return self

    def to_draft(self) -> ItemDraft:
        return ItemDraft(
            variant_id=self.variantId,
            location_id=self.locationId,
            product_id=self.productId,
            quantity=self.quantity,
            in_stock=self.inStock,
            preorder=PreorderSettings(
                enabled=self.preorderInfo.enabled,
                message=self.preorderInfo.message,
                limit=self.preorderInfo.limit,
            ),
            product_name=self.product.name,
            category_ids=tuple(self.product.directCategoryIds),
            low_stock_threshold=self.lowStockThreshold,
        )


class CreateInventoryItemRequest(WixRequest):
    inventoryItem: InventoryItemInput


# --- responses ----------------------------------------------------------------------------------------------


class PreorderInfo(WixResponse):
    enabled: bool
    message: Absent[str] = None
    limit: Absent[int] = None
    counter: Absent[int] = None
    quantity: Absent[int] = Field(None, description="limit - counter, where a limit is set.")


class Product(WixResponse):
    name: Absent[str] = None
    directCategoryIds: list[str] = []


class InventoryItemOut(WixResponse):
    id: str
    revision: str
    createdDate: str
    updatedDate: str
    variantId: str
    locationId: str
    productId: str
    quantity: Absent[int] = None
    reservedQuantity: Absent[int] = Field(
        None, description="Units live reservations hold (tracked items; read-only)."
    )
    availableQuantity: Absent[int] = Field(
        None, description="quantity - reservedQuantity: what a sale may take (tracked items; read-only)."
    )
    inStock: Absent[bool] = None
    trackQuantity: bool
    availabilityStatus: str
    preorderInfo: PreorderInfo
    product: Product
    lowStockThreshold: Absent[int] = None

    @classmethod
    def of(cls, item: InventoryItem) -> InventoryItemOut:
        preorder = item.preorder
        return cls(
            id=item.id,
            revision=str(item.revision),
            createdDate=item.created_date,
            updatedDate=item.updated_date,
            variantId=item.variant_id,
            locationId=item.location_id,
            productId=item.product_id,
            quantity=item.quantity if item.track_quantity else None,
            reservedQuantity=item.reserved if item.track_quantity else None,
            availableQuantity=item.available if item.track_quantity else None,
            inStock=None if item.track_quantity else item.in_stock,
            trackQuantity=item.track_quantity,
            availabilityStatus=item.availability_status.value,
            preorderInfo=PreorderInfo(
                enabled=preorder.enabled,
                message=preorder.message,
                limit=preorder.limit,
                counter=preorder.counter if (preorder.enabled or preorder.counter) else None,
                quantity=preorder.remaining,
            ),
            product=Product(name=item.product_name, directCategoryIds=list(item.category_ids)),
            lowStockThreshold=item.low_stock_threshold,
        )


class InventoryItemResponse(WixResponse):
    inventoryItem: InventoryItemOut


class ApplicationError(WixResponse):
    code: str
    description: str
    data: dict[str, Any] = {}

    @classmethod
    def of(cls, error: LineError, codes: Codes = BY_ID) -> ApplicationError:
        return cls(code=wix_code(error.code, codes), description=error.description, data=error.data)


class ItemMetadata(WixResponse):
    id: Absent[str] = None
    originalIndex: int
    success: bool
    error: Absent[ApplicationError] = None


class BulkInventoryItemResult(WixResponse):
    itemMetadata: ItemMetadata
    item: Absent[InventoryItemOut] = None


class BulkActionMetadata(WixResponse):
    totalSuccesses: int
    totalFailures: int
    undetailedFailures: int = 0


class BulkInventoryItemsResponse(WixResponse):
    results: list[BulkInventoryItemResult]
    bulkActionMetadata: BulkActionMetadata

    @classmethod
    def of(cls, results: list[LineResult], codes: Codes = BY_ID) -> Self:
        """Wix's bulk answer; `codes` says the engine's outcomes as this call's typings name them."""
        successes = sum(1 for r in results if r.success)
        return cls(
            results=[
                BulkInventoryItemResult(
                    itemMetadata=ItemMetadata(
                        id=r.item_id,
                        originalIndex=r.index,
                        success=r.success,
                        error=ApplicationError.of(r.error, codes) if r.error else None,
                    ),
                    item=InventoryItemOut.of(r.item) if r.item else None,
                )
                for r in results
            ],
            bulkActionMetadata=BulkActionMetadata(
                totalSuccesses=successes, totalFailures=len(results) - successes, undetailedFailures=0
            ),
        )
