"""Wix V3 shapes of the single-item update (PATCH), the deletes and the transfer between locations."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from stockroom.dialects.wix.models import ItemChangesInput, WixRequest, WixResponse
from stockroom.http.fields import Id, Reason

# Wix documents bulk delete as 1 to 1,000 ids.
MAX_BULK_DELETE = 1000


class InventoryItemPatch(ItemChangesInput):
    id: Id | None = Field(None, description="The path names the item; if given here too, the same id.")


class UpdateInventoryItemRequest(WixRequest):
    inventoryItem: InventoryItemPatch
    reason: Reason | None = None


class BulkDeleteInventoryItemsRequest(WixRequest):
    inventoryItemIds: Annotated[list[Id], Field(min_length=1, max_length=MAX_BULK_DELETE)]


class DeleteInventoryItemResponse(WixResponse):
    """Wix answers a delete with an empty object."""
