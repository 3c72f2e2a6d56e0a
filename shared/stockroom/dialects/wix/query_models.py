"""Wix V3 reads of many: the inventory-items query (filter, cursor paging) and an item's adjustments."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StrictInt, StrictStr, model_validator

from stockroom.core.domain import HOLD_KINDS, Adjustment, AvailabilityStatus, InventoryItem, ItemQuery
from stockroom.core.paging import Page
from stockroom.dialects.wix.models import (
    MAX_QUERY_LIMIT,
    Absent,
    InventoryItemOut,
    Status,
    WixRequest,
    WixResponse,
)
from stockroom.http.fields import Id, IsoTime

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


class DateCondition(WixRequest):
    gt: IsoTime | None = Field(None, alias="$gt")
    gte: IsoTime | None = Field(None, alias="$gte")
    lt: IsoTime | None = Field(None, alias="$lt")
    lte: IsoTime | None = Field(None, alias="$lte")

    @model_validator(mode="after")
    def _some_bound(self) -> DateCondition:
        if not self.bounds():
            raise ValueError("give at least one of $gt, $gte, $lt and $lte")
        return self

    def bounds(self) -> tuple[tuple[str, str], ...]:
        named = (("$gt", self.gt), ("$gte", self.gte), ("$lt", self.lt), ("$lte", self.lte))
        return tuple((op, value) for op, value in named if value is not None)


class InventoryItemFilter(WixRequest):
    productId: IdCondition | None = None
    variantId: IdCondition | None = None
    locationId: IdCondition | None = None
    availabilityStatus: StatusCondition | None = None
    updatedDate: DateCondition | None = None

    def to_query(self) -> ItemQuery:
        return ItemQuery(
            product_ids=self.productId.values() if self.productId else None,
            variant_ids=self.variantId.values() if self.variantId else None,
            location_ids=self.locationId.values() if self.locationId else None,
            statuses=self.availabilityStatus.values() if self.availabilityStatus else None,
            updated=self.updatedDate.bounds() if self.updatedDate else (),
        )


class CursorPaging(WixRequest):
    limit: Annotated[StrictInt, Field(ge=1, le=MAX_QUERY_LIMIT)] = MAX_QUERY_LIMIT
    cursor: Annotated[StrictStr, Field(min_length=1, max_length=2048)] | None = None


class InventoryItemQuery(WixRequest):
    filter: InventoryItemFilter = Field(default_factory=InventoryItemFilter)
    cursorPaging: CursorPaging = Field(default_factory=CursorPaging)


class QueryInventoryItemsRequest(WixRequest):
    query: InventoryItemQuery = Field(default_factory=InventoryItemQuery)


class Cursors(WixResponse):
    next: Absent[str] = None


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
    """One ledger record (SPEC §8): exact, whatever the concurrency."""

    inventoryItemId: str
    revision: str = Field(description="The item's revision after the change.")
    kind: str
    delta: Absent[int] = None
    quantityBefore: Absent[int] = Field(None, description="On hand before the change (tracked items).")
    quantityAfter: Absent[int] = Field(None, description="On hand after the change (tracked items).")
    preorderCounterBefore: Absent[int] = Field(None, description="On a PREORDER record.")
    preorderCounterAfter: Absent[int] = None
    reservedQuantityBefore: Absent[int] = Field(
        None, description="On a RESERVE, RELEASE, CONFIRM or EXPIRE record: units held before the change."
    )
    reservedQuantityAfter: Absent[int] = None
    reason: str
    requestId: str
    createdDate: str

    @classmethod
    def of(cls, a: Adjustment) -> AdjustmentOut:
        holds = a.kind in HOLD_KINDS
        return cls(
            inventoryItemId=a.item_id,
            revision=str(a.revision),
            kind=a.kind.value,
            delta=a.delta,
            quantityBefore=a.quantity_before,
            quantityAfter=a.quantity_after,
            preorderCounterBefore=None if holds else a.counter_before,
            preorderCounterAfter=None if holds else a.counter_after,
            reservedQuantityBefore=a.counter_before if holds else None,
            reservedQuantityAfter=a.counter_after if holds else None,
            reason=a.reason,
            requestId=a.request_id,
            createdDate=a.created_date,
        )


class ListAdjustmentsResponse(WixResponse):
    adjustments: list[AdjustmentOut]
    pagingMetadata: PagingMetadata

    @classmethod
    def of(cls, page: Page[Adjustment]) -> ListAdjustmentsResponse:
        return cls(
            adjustments=[AdjustmentOut.of(a) for a in page.entries],
            pagingMetadata=PagingMetadata.of(len(page.entries), page.next_cursor),
        )
