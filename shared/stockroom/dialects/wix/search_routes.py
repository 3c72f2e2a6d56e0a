"""Wix V3 reads of many items: query, search and count, each by POST and by GET with `.r`.

Wix's SDK sends these as `GET .../query?.r=<base64url of the JSON request>` (POST only when the URL would
pass 4,000 characters): both are served, the same. A next page sends only its cursor, which carries the
query (sealed: `stockroom.core.paging.CursorSeal`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from stockroom.core.errors import InvalidRequest
from stockroom.core.filters import Search
from stockroom.core.finding import Found
from stockroom.dialects.wix.aggregations import aggregate
from stockroom.dialects.wix.context import TAGS, current_store
from stockroom.dialects.wix.errors import documented
from stockroom.dialects.wix.query_language import Loc, parse_filter, parse_sort, parse_text
from stockroom.dialects.wix.search_models import (
    DEFAULT_PAGE,
    MAX_CURSOR_CHARS,
    AggregationData,
    CountInventoryItemsRequest,
    CountInventoryItemsResponse,
    CursorPaging,
    QueryInventoryItemsRequest,
    QueryInventoryItemsResponse,
    SearchDetails,
    SearchInventoryItemsRequest,
    SearchInventoryItemsResponse,
    Sorting,
)
from stockroom.http.json_body import strict_json_deserializer
from stockroom.wiring import cursor_seal, inventory_service

router = Router()
M = TypeVar("M", bound=BaseModel)
_read_json = strict_json_deserializer(dict, "object")


def from_query_string(model: type[M]) -> M:
    """The request a GET carries in `.r` (base64url JSON, as Wix's SDK writes it); none is `{}`."""
    params = router.current_event.query_string_parameters or {}
    unknown = sorted(set(params) - {".r"})
    if unknown:
        raise InvalidRequest(unknown[0], "Send the request as .r (base64url JSON), or POST it.")
    raw = params.get(".r")
    data: dict[str, Any] = {}
    if raw is not None:
        try:
            text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
            data = _read_json(text)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise InvalidRequest(".r", "Not base64url JSON of a request object.") from None
    try:
        return model.model_validate(data)
    except ValidationError as invalid:
        raise RequestValidationError(invalid.errors()) from invalid


# --- paging -----------------------------------------------------------------------------------------------


def search_of(filter_: Any, sort: Sequence[Sorting] | None, text: SearchDetails | None, loc: Loc) -> Search:
    return Search(
        filter=parse_filter(filter_, (*loc, "filter")),
        text=None if text is None else parse_text(text.expression, text.mode, text.fields, (*loc, "search")),
        sort=parse_sort(list(sort or []), (*loc, "sort")),
    )


def _page(
    call: str,
    filter_: Any,
    sort: list[Sorting] | None,
    text: SearchDetails | None,
    paging: CursorPaging | None,
    loc: Loc,
) -> tuple[Search, Found, str | None]:
    """One page of a query or search, from its first request or from its cursor alone."""
    store_id = current_store(router.current_event)
    seal = cursor_seal()
    limit = paging.limit if paging is not None else None
    after = None
    if paging is not None and paging.cursor is not None:
        field = (*loc, "cursorPaging", "cursor")
        carried = seal.open(store_id, paging.cursor, field)
        if carried.get("call") != call:
            raise InvalidRequest(field, f"The cursor is not one of a {call}.")
        sent = [filter_ or None, [s.model_dump() for s in sort or []] or None, text]
        if any(part is not None for part in sent) and sent[:2] != [carried["filter"], carried["sort"]]:
            raise InvalidRequest(field, "A next page sends its cursor alone (it carries its query).")
        filter_, after, limit = carried["filter"], carried["after"], limit or carried["limit"]
        sort = [Sorting.model_validate(s) for s in carried["sort"] or []]
        text = None if carried["text"] is None else SearchDetails.model_validate(carried["text"])
    limit = limit or DEFAULT_PAGE
    search = search_of(filter_, sort, text, loc)
    found = inventory_service().find_items(store_id, search, limit=limit, after=after)
    next_cursor = None
    if found.next is not None:
        next_cursor = seal.seal(
            store_id,
            {
                "call": call,
                "filter": filter_ or None,
                "sort": [s.model_dump() for s in sort or []] or None,
                "text": None if text is None else text.model_dump(),
                "limit": limit,
                "after": found.next,
            },
        )
        if len(next_cursor) > MAX_CURSOR_CHARS:
            raise InvalidRequest((*loc, "filter"), "The query is too large to page: narrow its filter.")
    return search, found, next_cursor


# --- query ------------------------------------------------------------------------------------------------


def _query(request: QueryInventoryItemsRequest) -> QueryInventoryItemsResponse:
    query = request.query
    if query.paging is not None:
        raise InvalidRequest(("query", "paging"), "Offset paging is not served: use cursorPaging.")
    _, found, next_cursor = _page("query", query.filter, query.sort, None, query.cursorPaging, ("query",))
    return QueryInventoryItemsResponse.of(found.items, next_cursor)


@router.post(
    "/stores/v3/inventory-items/query", summary="Query inventory items", tags=TAGS, responses=documented()
)
def query_inventory_items(request: QueryInventoryItemsRequest) -> QueryInventoryItemsResponse:
    return _query(request)


@router.get(
    "/stores/v3/inventory-items/query",
    summary="Query inventory items (the request in .r, base64url JSON, as Wix's SDK sends it)",
    tags=TAGS,
    responses=documented(),
)
def query_inventory_items_by_get() -> QueryInventoryItemsResponse:
    return _query(from_query_string(QueryInventoryItemsRequest))


# --- search -----------------------------------------------------------------------------------------------


def _search_items(request: SearchInventoryItemsRequest) -> SearchInventoryItemsResponse:
    body = request.search
    search, found, next_cursor = _page(
        "search", body.filter, body.sort, body.search, body.cursorPaging, ("search",)
    )
    answer = SearchInventoryItemsResponse.of(found.items, next_cursor)
    first_page = body.cursorPaging is None or body.cursorPaging.cursor is None
    if body.aggregations and first_page:
        matching = inventory_service().matching_items(current_store(router.current_event), search)
        answer.aggregationData = AggregationData(results=aggregate(body.aggregations, matching))
    return answer


@router.post(
    "/stores/v3/inventory-items/search",
    summary="Search inventory items: filter, free text on product.name, sort, aggregations",
    tags=TAGS,
    responses=documented(),
)
def search_inventory_items(request: SearchInventoryItemsRequest) -> SearchInventoryItemsResponse:
    return _search_items(request)


@router.get(
    "/stores/v3/inventory-items/search",
    summary="Search inventory items (the request in .r, base64url JSON, as Wix's SDK sends it)",
    tags=TAGS,
    responses=documented(),
)
def search_inventory_items_by_get() -> SearchInventoryItemsResponse:
    return _search_items(from_query_string(SearchInventoryItemsRequest))


# --- count ------------------------------------------------------------------------------------------------


def _count(request: CountInventoryItemsRequest) -> CountInventoryItemsResponse:
    search = search_of(request.filter, None, request.search, ())
    return CountInventoryItemsResponse(
        count=inventory_service().count_items(current_store(router.current_event), search)
    )


@router.post(
    "/stores/v3/inventory-items/count",
    summary="Count the inventory items a filter (and free text) matches",
    tags=TAGS,
    responses=documented(),
)
def count_inventory_items(request: CountInventoryItemsRequest) -> CountInventoryItemsResponse:
    return _count(request)


@router.get(
    "/stores/v3/inventory-items/count",
    summary="Count inventory items (the request in .r, base64url JSON, as Wix's SDK sends it)",
    tags=TAGS,
    responses=documented(),
)
def count_inventory_items_by_get() -> CountInventoryItemsResponse:
    return _count(from_query_string(CountInventoryItemsRequest))
