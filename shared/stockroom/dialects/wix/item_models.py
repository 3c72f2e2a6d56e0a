"""Wix V3 shapes of the single-item update (PATCH), the deletes and the transfer between locations."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictBool, model_validator

from stockroom.dialects.wix.bulk_models import ALLOW_BELOW_RESERVED, ItemChangesInput
from stockroom.dialects.wix.models import WixRequest, WixResponse
from stockroom.http.fields import Id, Reason, Units

# Wix documents bulk delete as 1 to 1,000 ids. A transfer is two stock changes a line: 300, as theirs.
MAX_BULK_DELETE = 1000
MAX_TRANSFER_LINES = 300


class InventoryItemPatch(ItemChangesInput):
    id: Id | None = Field(None, description="The path names the item; if given here too, the same id.")


class UpdateInventoryItemRequest(WixRequest):
    inventoryItem: InventoryItemPatch
    reason: Reason | None = None
    allowBelowReserved: StrictBool = Field(False, description=ALLOW_BELOW_RESERVED)


class BulkDeleteInventoryItemsRequest(WixRequest):
    inventoryItemIds: Annotated[list[Id], Field(min_length=1, max_length=MAX_BULK_DELETE)]


class DeleteInventoryItemResponse(WixResponse):
    """Wix answers a delete with an empty object."""


class TransferData(WixRequest):
    variantId: Id
    fromLocationId: Id
    toLocationId: Id
    quantity: Units

    @model_validator(mode="after")
    def _two_locations(self) -> TransferData:
        if self.fromLocationId == self.toLocationId:
            raise ValueError("fromLocationId and toLocationId must differ")
        return self


class BulkTransferInventoryItemsRequest(WixRequest):
    transferData: Annotated[list[TransferData], Field(min_length=1, max_length=MAX_TRANSFER_LINES)]
    reason: Reason | None = None
    returnEntity: StrictBool = Field(False, description="Return each line's source item after it.")
