"""Wix V3 shapes of bulk upsert and of the by-filter calls (update, delete, set-or-adjust, adjust)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import Field, StrictBool, model_validator

from stockroom.core.domain import ItemDraft, PreorderSettings
from stockroom.core.upserts import UpsertLine
from stockroom.dialects.wix.bulk_models import MAX_BULK_CREATE, ItemChanges, Revision
from stockroom.dialects.wix.models import (
    BulkInventoryItemsResponse,
    ProductInput,
    WixRequest,
    WixUnits,
)
from stockroom.dialects.wix.search_models import SearchDetails
from stockroom.http.fields import Id

# --- upsert ------------------------------------------------------------------------------------------------


class UpsertItem(ItemChanges):
    """An item to create where its (variant, location) has none, or to update where it has: its target
    quantity (or inStock), preorder settings and, for a new item, its product."""

    id: Id | None = Field(None, description="Read-only: ignored.")
    variantId: Id
    revision: Revision | None = Field(None, description="If given, the update is pinned to it.")
    product: ProductInput | None = Field(None, description="Kept for a new item.")  # type: ignore[assignment]

    @model_validator(mode="after")
    def _a_target(self) -> UpsertItem:
        if (self.quantity is None) == (self.inStock is None):
            raise ValueError("give exactly one of quantity (tracked) and inStock (untracked)")
        return self

    def to_line(self, index: int) -> UpsertLine:
        preorder = self.preorderInfo
        product = self.product or ProductInput()
        draft = ItemDraft(
            variant_id=self.variantId,
            location_id=self.locationId,
            product_id=self.productId,
            quantity=self.quantity,
            in_stock=self.inStock,
            preorder=PreorderSettings(
                enabled=bool(preorder and preorder.enabled),
                message=preorder.message if preorder else None,
                limit=preorder.limit if preorder else None,
            ),
            product_name=product.name,
            category_ids=tuple(product.directCategoryIds),
        )
        revision = None if self.revision is None else int(self.revision)
        return UpsertLine(index, draft, self.changes(), revision)


class MaskedUpsertItem(WixRequest):
    inventoryItem: UpsertItem


class BulkUpsertInventoryItemsRequest(WixRequest):
    inventoryItems: Annotated[list[MaskedUpsertItem], Field(min_length=1, max_length=MAX_BULK_CREATE)]
    returnEntity: StrictBool = False


# --- by filter ---------------------------------------------------------------------------------------------


class ByFilter(WixRequest):
    filter: dict[str, Any] | None = Field(
        ..., description="Wix's query language ({} or null: every item, within the bound)."
    )
    search: SearchDetails | None = Field(None, description="Free text on product.name, as search's.")


class UpdateChanges(ItemChanges):
    @model_validator(mode="after")
    def _something_to_change(self) -> UpdateChanges:
        if not self.has_changes():
            raise ValueError("nothing to update: give quantity, inStock or preorderInfo")
        return self


class BulkUpdateInventoryItemsByFilterRequest(ByFilter):
    inventoryItem: UpdateChanges


class BulkDeleteInventoryItemsByFilterRequest(ByFilter):
    pass


class AdjustInventoryAction(WixRequest):
    incrementBy: WixUnits | None = None
    decrementBy: WixUnits | None = None

    @model_validator(mode="after")
    def _one_way(self) -> AdjustInventoryAction:
        if (self.incrementBy is None) == (self.decrementBy is None):
            raise ValueError("give exactly one of incrementBy and decrementBy")
        return self

    @property
    def units(self) -> int:
        return self.incrementBy if self.incrementBy is not None else -(self.decrementBy or 0)


class BulkSetOrAdjustInventoryItemsByFilterRequest(ByFilter):
    adjustedInventoryAction: AdjustInventoryAction


class BulkAdjustInventoryItemsByFilterRequest(ByFilter):
    adjustment: AdjustInventoryAction
    trackQuantity: StrictBool = Field(False, description="An item without a count starts counting from 0.")


class ByFilterResponse(BulkInventoryItemsResponse):
    """Wix answers a job id (its by-filter calls run as jobs); Stockroom runs the call within the request,
    and answers the job's results too: one per item changed or refused."""

    jobId: str = Field(default_factory=lambda: str(uuid.uuid4()))
