"""Wix Stores Catalog V3 inventory-items: the request and response shapes, as Wix spells them (camelCase)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    model_validator,
)

from stockroom.core.domain import (
    KEEP,
    InventoryItem,
    ItemChanges,
    ItemDraft,
    LineError,
    LineResult,
    PreorderSettings,
    UpdateLine,
)
from stockroom.http.fields import Id, Reason, StockQuantity, Units

MAX_BULK_LINES = 300


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
    decrementBy: Units
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


class PreorderInfoInput(WixRequest):
    enabled: StrictBool = False
    message: Annotated[StrictStr, Field(max_length=500)] | None = None
    limit: StockQuantity | None = Field(
        None, description="How many units may be preordered once stock is zero."
    )


class ProductInput(WixRequest):
    name: Annotated[StrictStr, Field(max_length=500)] | None = None
    directCategoryIds: Annotated[list[Id], Field(max_length=100)] = []


class InventoryItemInput(WixRequest):
    variantId: Id
    locationId: Id | None = None
    productId: Id | None = Field(None, description="Defaults to variantId (a product without variants).")
    trackQuantity: StrictBool | None = None
    quantity: StockQuantity | None = None
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
    def of(cls, error: LineError) -> ApplicationError:
        return cls(code=error.code.value, description=error.description, data=error.data)


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
    def of(cls, results: list[LineResult]) -> BulkInventoryItemsResponse:
        successes = sum(1 for r in results if r.success)
        return cls(
            results=[
                BulkInventoryItemResult(
                    itemMetadata=ItemMetadata(
                        id=r.item_id,
                        originalIndex=r.index,
                        success=r.success,
                        error=ApplicationError.of(r.error) if r.error else None,
                    ),
                    item=InventoryItemOut.of(r.item) if r.item else None,
                )
                for r in results
            ],
            bulkActionMetadata=BulkActionMetadata(
                totalSuccesses=successes, totalFailures=len(results) - successes, undetailedFailures=0
            ),
        )


# --- the sibling calls: bulk create, bulk update, increments, decrement by id -----------------------------

# Wix documents bulk create, bulk update (and bulk delete) as 1 to 1,000 items.
MAX_BULK_CREATE = 1000
MAX_BULK_UPDATE = 1000
MAX_QUERY_LIMIT = 100
# A revision is a decimal string ("3"), as Wix sends it back.
Revision = Annotated[StrictStr, Field(pattern=r"^[1-9][0-9]{0,17}$", description="The revision read")]
Status = Literal["IN_STOCK", "OUT_OF_STOCK", "PREORDER"]


class BulkCreateInventoryItemsRequest(WixRequest):
    inventoryItems: Annotated[list[InventoryItemInput], Field(min_length=1, max_length=MAX_BULK_CREATE)]
    returnEntity: StrictBool = False


class PreorderInfoUpdate(WixRequest):
    """Only the fields sent change; `"limit": null` or `"message": null` removes them."""

    enabled: StrictBool | None = None
    message: Annotated[StrictStr, Field(max_length=500)] | None = None
    limit: StockQuantity | None = Field(None, description="null removes the limit.")


class ItemChangesInput(WixRequest):
    """What an update may change, and the revision it was read at (bulk update and PATCH alike)."""

    revision: Revision
    trackQuantity: StrictBool | None = None
    quantity: StockQuantity | None = Field(None, description="Sets the count (and tracking by quantity).")
    inStock: StrictBool | None = Field(None, description="Sets in stock (and tracking without a count).")
    preorderInfo: PreorderInfoUpdate | None = None

    @model_validator(mode="after")
    def _one_change_one_method(self) -> ItemChangesInput:
        if self.quantity is not None and self.inStock is not None:
            raise ValueError("give at most one of quantity (tracked) and inStock (untracked)")
        if self.trackQuantity is not None and (
            (self.quantity is None and self.inStock is None)
            or self.trackQuantity != (self.quantity is not None)
        ):
            raise ValueError("trackQuantity must come with, and agree with, quantity or inStock")
        if self.quantity is None and self.inStock is None and self.preorderInfo is None:
            raise ValueError("nothing to update: give quantity, inStock or preorderInfo")
        return self

    def changes_line(self, index: int, item_id: str) -> UpdateLine:
        preorder = self.preorderInfo
        sent = preorder.model_fields_set if preorder else set()
        return UpdateLine(
            index=index,
            item_id=item_id,
            revision=int(self.revision),
            changes=ItemChanges(
                quantity=self.quantity,
                in_stock=self.inStock,
                preorder_enabled=preorder.enabled if preorder else None,
                preorder_message=preorder.message if preorder and "message" in sent else KEEP,
                preorder_limit=preorder.limit if preorder and "limit" in sent else KEEP,
            ),
        )


class InventoryItemUpdate(ItemChangesInput):
    id: Id

    def to_line(self, index: int) -> UpdateLine:
        return self.changes_line(index, self.id)


class MaskedInventoryItem(WixRequest):
    inventoryItem: InventoryItemUpdate


ALLOW_BELOW_RESERVED = (
    "Stockroom's own: set a quantity below the units reservations hold (else refused, 409"
    " HELD_BY_RESERVATIONS with reservedQuantity); confirming them may then take it below zero."
)


class BulkUpdateInventoryItemsRequest(WixRequest):
    inventoryItems: Annotated[list[MaskedInventoryItem], Field(min_length=1, max_length=MAX_BULK_UPDATE)]
    returnEntity: StrictBool = False
    reason: Reason | None = None
    allowBelowReserved: StrictBool = Field(False, description=ALLOW_BELOW_RESERVED)


class IncrementByVariantAndLocation(WixRequest):
    variantId: Id
    locationId: Id | None = Field(None, description="Defaults to the store's default location.")
    incrementBy: Units


class BulkIncrementByVariantAndLocationRequest(WixRequest):
    incrementData: Annotated[
        list[IncrementByVariantAndLocation], Field(min_length=1, max_length=MAX_BULK_LINES)
    ]
    returnEntity: StrictBool = False
    reason: Reason | None = None


class IncrementById(WixRequest):
    inventoryItemId: Id
    incrementBy: Units


class BulkIncrementRequest(WixRequest):
    incrementData: Annotated[list[IncrementById], Field(min_length=1, max_length=MAX_BULK_LINES)]
    returnEntity: StrictBool = False
    reason: Reason | None = None


class DecrementById(WixRequest):
    inventoryItemId: Id
    decrementBy: Units
    preorderRequest: StrictBool = False


class BulkDecrementRequest(WixRequest):
    decrementData: Annotated[list[DecrementById], Field(min_length=1, max_length=MAX_BULK_LINES)]
    restrictInventory: StrictBool = True
    returnEntity: StrictBool = False
    reason: Reason | None = None
