"""Wix V3 reads of many: the inventory-items query (filter, cursor paging) and an item's adjustments."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StrictInt, StrictStr, model_validator

from stockroom.core.domain import Adjustment, AvailabilityStatus, InventoryItem, ItemQuery
from stockroom.core.paging import Page
from stockroom.dialects.wix.models import MAX_QUERY_LIMIT, InventoryItemOut, Status, WixRequest, WixResponse
from stockroom.http.fields import Id

# --- query -------------------------------------------------------------------------------------------------


class _Condition(WixRequest):
    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        # Wix's query language reads {"productId": "x"} as {"productId": {"$eq": "x"}}.
        return {"$eq": value} if isinstance(value, str) else value


class IdCondition(_Condition):
    eq: Id | None = Field(None, alias="$eq")
    in_: Annotated[list[Id], Field(min_length=1, max_length=MAX_QUERY_LIMIT)] | None = Field(
        None, alias="$in"
    )

    @model_validator(mode="after")
    def _one_operator(self) -> IdCondition:
        if (self.eq is None) == (self.in_ is None):
            raise ValueError("give exactly one of $eq and $in")
        return self

    def values(self) -> frozenset[str]:
        return frozenset([self.eq] if self.eq is not None else self.in_ or [])


class StatusCondition(_Condition):
    eq: Status | None = Field(None, alias="$eq")
    in_: Annotated[list[Status], Field(min_length=1, max_length=3)] | None = Field(None, alias="$in")

    @model_validator(mode="after")
    def _one_operator(self) -> StatusCondition:
        if (self.eq is None) == (self.in_ is None):
            raise ValueError("give exactly one of $eq and $in")
        return self

    def values(self) -> frozenset[AvailabilityStatus]:
        return frozenset(
            AvailabilityStatus(s) for s in ([self.eq] if self.eq is not None else self.in_ or [])
        )


class InventoryItemFilter(WixRequest):
    productId: IdCondition | None = None
    variantId: IdCondition | None = None
    locationId: IdCondition | None = None
    availabilityStatus: StatusCondition | None = None

    def to_query(self) -> ItemQuery:
        return ItemQuery(
            product_ids=self.productId.values() if self.productId else None,
            variant_ids=self.variantId.values() if self.variantId else None,
            location_ids=self.locationId.values() if self.locationId else None,
            statuses=self.availabilityStatus.values() if self.availabilityStatus else None,
        )


class CursorPaging(WixRequest):
    limit: Annotated[StrictInt, Field(ge=1, le=MAX_QUERY_LIMIT)] = MAX_QUERY_LIMIT
    cursor: Annotated[StrictStr, Field(min_length=1, max_length=2048)] | None = None


class InventoryItemQuery(WixRequest):
    filter: InventoryItemFilter = InventoryItemFilter()
    cursorPaging: CursorPaging = CursorPaging()


class QueryInventoryItemsRequest(WixRequest):
    query: InventoryItemQuery = InventoryItemQuery()


class Cursors(WixResponse):
    next: str | None = None


class PagingMetadata(WixResponse):
    count: int
    cursors: Cursors
    hasNext: bool

    @classmethod
    def of(cls, count: int, next_cursor: str | None) -> PagingMetadata:
        return cls(count=count, cursors=Cursors(next=next_cursor), hasNext=next_cursor is not None)


class QueryInventoryItemsResponse(WixResponse):
    inventoryItems: list[InventoryItemOut]
    pagingMetadata: PagingMetadata

    @classmethod
    def of(cls, page: Page[InventoryItem]) -> QueryInventoryItemsResponse:
        return cls(
            inventoryItems=[InventoryItemOut.of(item) for item in page.entries],
            pagingMetadata=PagingMetadata.of(len(page.entries), page.next_cursor),
        )


# --- audit trail -------------------------------------------------------------------------------------------


class AdjustmentOut(WixResponse):
    kind: str
    delta: int | None = None
    quantityAfter: int | None = Field(None, description="Where the write knew it (absolute sets).")
    reason: str
    requestId: str
    createdDate: str


class ListAdjustmentsResponse(WixResponse):
    adjustments: list[AdjustmentOut]
    pagingMetadata: PagingMetadata

    @classmethod
    def of(cls, page: Page[Adjustment]) -> ListAdjustmentsResponse:
        return cls(
            adjustments=[
                AdjustmentOut(
                    kind=a.kind.value,
                    delta=a.delta,
                    quantityAfter=a.quantity_after,
                    reason=a.reason,
                    requestId=a.request_id,
                    createdDate=a.created_date,
                )
                for a in page.entries
            ],
            pagingMetadata=PagingMetadata.of(len(page.entries), page.next_cursor),
        )
