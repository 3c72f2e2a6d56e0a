"""Wix V3 shapes of the sibling calls: bulk create, bulk update (and the changes an update makes),
increments, and decrement by id."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StrictBool, StrictInt, StrictStr, model_validator

from stockroom.core.domain import KEEP, UpdateLine
from stockroom.core.domain import ItemChanges as DomainChanges
from stockroom.dialects.wix.models import (
    MAX_BULK_LINES,
    InventoryItemInput,
    PreorderLimit,
    PreorderMessage,
    ReadOnly,
    WixQuantity,
    WixRequest,
    WixUnits,
)
from stockroom.http.fields import Id, Reason

# --- the sibling calls: bulk create, bulk update, increments, decrement by id -----------------------------

# Wix documents bulk create, bulk update (and bulk delete) as 1 to 1,000 items.
MAX_BULK_CREATE = 1000
MAX_BULK_UPDATE = 1000
# A revision is a decimal string ("3"), as Wix sends it back.
Revision = Annotated[StrictStr, Field(pattern=r"^[1-9][0-9]{0,17}$", description="The revision read")]


class BulkCreateInventoryItemsRequest(WixRequest):
    inventoryItems: Annotated[list[InventoryItemInput], Field(min_length=1, max_length=MAX_BULK_CREATE)]
    returnEntity: StrictBool = False


class PreorderInfoUpdate(WixRequest):
    """Only the fields sent change; `"limit": null` or `"message": null` removes them."""

    enabled: StrictBool | None = None
    message: PreorderMessage | None = None
    limit: PreorderLimit | None = Field(None, description="null removes the limit.")
    counter: StrictInt | None = Field(None, description="Read-only: ignored.")
    quantity: StrictInt | None = Field(None, description="Read-only: ignored.")


class ItemChanges(ReadOnly):
    """What an update may change (bulk update, PATCH, upsert and update by filter alike). The item's
    key fields may be sent back as they are; a different value fails the item (IMMUTABLE_FIELD)."""

    variantId: Id | None = None
    locationId: Id | None = None
    productId: Id | None = None
    trackQuantity: StrictBool | None = None
    quantity: WixQuantity | None = Field(None, description="Sets the count (and tracking by quantity).")
    inStock: StrictBool | None = Field(None, description="Sets in stock (and tracking without a count).")
    preorderInfo: PreorderInfoUpdate | None = None
    product: dict[str, Any] | None = Field(None, description="Read-only: ignored.")

    @model_validator(mode="after")
    def _one_method(self) -> ItemChanges:
        if self.quantity is not None and self.inStock is not None:
            raise ValueError("give at most one of quantity (tracked) and inStock (untracked)")
        if self.trackQuantity is not None and (
            (self.quantity is None and self.inStock is None)
            or self.trackQuantity != (self.quantity is not None)
        ):
            raise ValueError("trackQuantity must come with, and agree with, quantity or inStock")
        return self

    def changes(self) -> DomainChanges:
        preorder = self.preorderInfo
        sent = preorder.model_fields_set if preorder else set()
        return DomainChanges(
            quantity=self.quantity,
            in_stock=self.inStock,
            preorder_enabled=preorder.enabled if preorder else None,
            preorder_message=preorder.message if preorder and "message" in sent else KEEP,
            preorder_limit=preorder.limit if preorder and "limit" in sent else KEEP,
            variant_id=self.variantId,
            location_id=self.locationId,
            product_id=self.productId,
        )

    def has_changes(self) -> bool:
        return self.quantity is not None or self.inStock is not None or self.preorderInfo is not None


class ItemChangesInput(ItemChanges):
    """An update of one item: its changes and the revision it was read at."""

    revision: Revision

    @model_validator(mode="after")
    def _something_to_change(self) -> ItemChangesInput:
        if not self.has_changes():
            raise ValueError("nothing to update: give quantity, inStock or preorderInfo")
        return self

    def changes_line(self, index: int, item_id: str) -> UpdateLine:
        return UpdateLine(index=index, item_id=item_id, revision=int(self.revision), changes=self.changes())


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
    incrementBy: WixUnits


class BulkIncrementByVariantAndLocationRequest(WixRequest):
    incrementData: Annotated[
        list[IncrementByVariantAndLocation], Field(min_length=1, max_length=MAX_BULK_LINES)
    ]
    returnEntity: StrictBool = False
    reason: Reason | None = None


class IncrementById(WixRequest):
    inventoryItemId: Id
    incrementBy: WixUnits


class BulkIncrementRequest(WixRequest):
    incrementData: Annotated[list[IncrementById], Field(min_length=1, max_length=MAX_BULK_LINES)]
    returnEntity: StrictBool = False
    reason: Reason | None = None


class DecrementById(WixRequest):
    inventoryItemId: Id
    decrementBy: WixUnits
    preorderRequest: StrictBool = False


class BulkDecrementRequest(WixRequest):
    decrementData: Annotated[list[DecrementById], Field(min_length=1, max_length=MAX_BULK_LINES)]
    restrictInventory: StrictBool = True
    returnEntity: StrictBool = False
    reason: Reason | None = None
