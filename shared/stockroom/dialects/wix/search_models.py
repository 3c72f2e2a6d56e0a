"""Wix V3 shapes of the reads of many items: query, search and count (their requests, cursors, answers)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr

from stockroom.core.domain import InventoryItem
from stockroom.dialects.wix.models import Absent, InventoryItemOut, WixRequest, WixResponse

# Wix answers up to 1,000 items a page; the SDK's query builder asks for 50 unless told.
MAX_PAGE = 1000
DEFAULT_PAGE = 100
MAX_CURSOR_CHARS = 16_000

Filter = dict[str, Any] | None


class CursorPaging(WixRequest):
    limit: Annotated[StrictInt, Field(ge=1, le=MAX_PAGE)] | None = Field(
        None, description=f"Items a page, 1 to {MAX_PAGE:,} (default {DEFAULT_PAGE})."
    )
    cursor: Annotated[StrictStr, Field(min_length=1, max_length=MAX_CURSOR_CHARS)] | None = Field(
        None, description="pagingMetadata.cursors.next of the page before: it carries the query."
    )


class Sorting(WixRequest):
    fieldName: Annotated[StrictStr, Field(min_length=1, max_length=512)]
    order: Literal["ASC", "DESC"] = "ASC"


class QueryV2(WixRequest):
    filter: Filter = Field(None, description="Wix's query language: field conditions, $and, $or, $not.")
    sort: Annotated[list[Sorting], Field(max_length=10)] | None = None
    cursorPaging: CursorPaging | None = None
    paging: dict[str, Any] | None = Field(None, description="Offset paging is not served: use cursorPaging.")


class QueryInventoryItemsRequest(WixRequest):
    query: QueryV2 = Field(default_factory=QueryV2)


class SearchDetails(WixRequest):
    mode: Literal["OR", "AND"] = "OR"
    expression: Annotated[StrictStr, Field(max_length=100)] | None = None
    fields: Annotated[list[Annotated[StrictStr, Field(max_length=200)]], Field(max_length=20)] = Field(
        default_factory=list
    )
    fuzzy: StrictBool = Field(False, description="Accepted; terms match exactly (case-insensitive).")


class IncludeMissingValuesOptions(WixRequest):
    addToBucket: Annotated[StrictStr, Field(max_length=20)] = "N/A"


class ValueAggregation(WixRequest):
    sortType: Literal["COUNT", "VALUE"] = "COUNT"
    sortDirection: Literal["DESC", "ASC"] = "DESC"
    limit: Annotated[StrictInt, Field(ge=1, le=250)] | None = None
    missingValues: Literal["EXCLUDE", "INCLUDE"] = "EXCLUDE"
    includeOptions: IncludeMissingValuesOptions | None = None


class RangeBucket(WixRequest):
    # A number in JSON: the SDK sends floats as numbers, and whole numbers as integers.
    from_: StrictInt | StrictFloat | None = Field(None, alias="from")
    to: StrictInt | StrictFloat | None = None


class RangeAggregation(WixRequest):
    buckets: Annotated[list[RangeBucket], Field(min_length=1, max_length=50)]


class ScalarAggregation(WixRequest):
    type: Literal["COUNT_DISTINCT", "MIN", "MAX", "SUM", "AVG"]


class Aggregation(WixRequest):
    name: Annotated[StrictStr, Field(max_length=100)] | None = None
    type: Literal["VALUE", "RANGE", "SCALAR", "DATE_HISTOGRAM", "NESTED"] | None = None
    fieldPath: Annotated[StrictStr, Field(max_length=200)] | None = None
    value: ValueAggregation | None = None
    range: RangeAggregation | None = None
    scalar: ScalarAggregation | None = None
    dateHistogram: dict[str, Any] | None = Field(None, description="Not served.")
    nested: dict[str, Any] | None = Field(None, description="Not served.")
    groupBy: dict[str, Any] | None = Field(None, description="Not served (Wix deprecated it).")


class CursorSearch(WixRequest):
    cursorPaging: CursorPaging | None = None
    filter: Filter = None
    sort: Annotated[list[Sorting], Field(max_length=10)] | None = None
    aggregations: Annotated[list[Aggregation], Field(max_length=10)] | None = None
    search: SearchDetails | None = None
    timeZone: Annotated[StrictStr, Field(max_length=50)] | None = Field(
        None, description="Accepted; times in filters carry their own zone."
    )


class SearchInventoryItemsRequest(WixRequest):
    search: CursorSearch = Field(default_factory=CursorSearch)


class CountInventoryItemsRequest(WixRequest):
    filter: Filter = None
    search: SearchDetails | None = None


# --- answers ---------------------------------------------------------------------------------------------


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
    def of(cls, items: list[InventoryItem], next_cursor: str | None) -> Self:
        return cls(
            inventoryItems=[InventoryItemOut.of(item) for item in items],
            pagingMetadata=PagingMetadata.of(len(items), next_cursor),
        )


class AggregationData(WixResponse):
    results: list[dict[str, Any]]


class SearchInventoryItemsResponse(QueryInventoryItemsResponse):
    aggregationData: Absent[AggregationData] = None


class CountInventoryItemsResponse(WixResponse):
    count: int
