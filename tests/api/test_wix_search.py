"""Query, search and count over HTTP: GET with `.r` as Wix's SDK sends them, sort, aggregations, bad input;
and bulk upsert and the by-filter calls' refusals. (Wix's own SDK drives the same calls in
tests/local_runtime/test_wix_sdk.py.)"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.support import SOCKS_A_ITEM, SOCKS_A_VARIANT, Api

pytestmark = pytest.mark.usefixtures("seeded")

ITEMS = "/stores/v3/inventory-items"
BULK = "/stores/v3/bulk/inventory-items"


@pytest.fixture
def api(server: str) -> Api:
    return Api(server)


def r(request: dict[str, Any]) -> str:
    """A request as Wix's SDK puts it in `.r`: base64url of its JSON, unpadded."""
    return base64.urlsafe_b64encode(json.dumps(request).encode()).decode().rstrip("=")


def violations(answer: Any) -> list[dict[str, Any]]:
    assert answer.status == 400, answer.body
    found: list[dict[str, Any]] = answer.body["details"]["validationError"]["fieldViolations"]
    assert found
    return found


def variants(answer: Any, key: str = "inventoryItems") -> list[str]:
    assert answer.status == 200, answer.body
    return [i["variantId"] for i in answer.body[key]]


def load(api: Api) -> None:
    api.post(
        f"{BULK}/create",
        {
            "inventoryItems": [
                {"variantId": "s", "productId": "tee", "quantity": 3, "product": {"name": "Plain Tee"}},
                {"variantId": "m", "productId": "tee", "quantity": 0, "product": {"name": "Plain Tee"}},
                {"variantId": "l", "productId": "tee", "quantity": 8, "product": {"name": "Plain Tee"}},
                {"variantId": "one", "productId": "mug", "inStock": True, "product": {"name": "Tall Mug"}},
            ]
        },
    )


def test_get_with_r_answers_as_post_does(api: Api) -> None:
    load(api)
    request = {
        "query": {"filter": {"productId": "tee", "quantity": {"$gte": 3}}, "cursorPaging": {"limit": 5}}
    }
    posted = api.post(f"{ITEMS}/query", request)
    got = api.get(f"{ITEMS}/query?.r={r(request)}")
    assert got.status == posted.status == 200
    assert got.body == posted.body and variants(got) == ["l", "s"]
    assert api.get(f"{ITEMS}/count?.r={r({'filter': {'productId': 'tee'}})}").body == {"count": 3}
    assert api.get(f"{ITEMS}/count").body == {"count": 9}  # the demo store's five, and these four
    searched = api.get(f"{ITEMS}/search?.r={r({'search': {'search': {'expression': 'mug'}}})}")
    assert variants(searched) == ["one"]


@pytest.mark.parametrize(
    ("query_string", "field"),
    [
        ("?.r=!!!", ".r"),
        ("?.r=" + r({"query": {}})[:-3], ".r"),  # cut: not JSON any more
        ("?.r=" + base64.urlsafe_b64encode(b"[1]").decode(), ".r"),  # JSON, but not a request object
        ("?.r=" + base64.urlsafe_b64encode(b'{"a": 1, "a": 2}').decode(), ".r"),
        ("?.r=" + r({"query": {"filter": {"quantity": {"$near": 1}}}}), "query.filter.quantity.$near"),
        ("?.r=" + r({"query": {"limit": 5}}), "query.limit"),
        ("?filter.productId=tee", "filter.productId"),
    ],
)
def test_a_bad_r_is_a_400_never_a_404_or_a_500(api: Api, query_string: str, field: str) -> None:
    assert any(v["field"] == field for v in violations(api.get(f"{ITEMS}/query{query_string}")))


def test_sorts_page_by_cursor_alone_in_any_order(api: Api) -> None:
    load(api)
    sort = [{"fieldName": "trackQuantity", "order": "ASC"}, {"fieldName": "quantity", "order": "DESC"}]
    request: dict[str, Any] = {"query": {"filter": {"productId": {"$in": ["tee", "mug"]}}, "sort": sort}}
    seen = []
    paging: dict[str, Any] = {"limit": 1}
    while True:
        answer = api.post(f"{ITEMS}/query", {"query": {**request["query"], "cursorPaging": paging}})
        seen += variants(answer)
        cursor = answer.body["pagingMetadata"]["cursors"].get("next")
        if cursor is None:
            break
        paging = {"cursor": cursor}  # the next page: its cursor alone
        request = {"query": {}}
    assert seen == ["one", "l", "s", "m"]  # untracked first (false < true), then by quantity, most first


def test_search_aggregates_everything_it_matches(api: Api) -> None:
    load(api)
    answer = api.post(
        f"{ITEMS}/search",
        {
            "search": {
                "filter": {"productId": {"$in": ["tee", "mug"]}},
                "cursorPaging": {"limit": 1},
                "aggregations": [
                    {"name": "tracked", "fieldPath": "trackQuantity", "value": {"sortType": "VALUE"}},
                    {"name": "q", "fieldPath": "quantity", "value": {"missingValues": "INCLUDE", "limit": 2}},
                    {
                        "type": "RANGE",
                        "fieldPath": "quantity",
                        "range": {"buckets": [{"to": 1}, {"from": 1}]},
                    },
                    {"type": "SCALAR", "fieldPath": "quantity", "scalar": {"type": "AVG"}},
                    {"type": "SCALAR", "fieldPath": "productId", "scalar": {"type": "COUNT_DISTINCT"}},
                ],
            }
        },
    )
    assert answer.status == 200, answer.body
    tracked, q, ranges, average, products = answer.body["aggregationData"]["results"]
    assert tracked["values"]["results"] == [{"value": "true", "count": 3}, {"value": "false", "count": 1}]
    assert q["values"]["results"] == [{"value": "N/A", "count": 1}, {"value": "8", "count": 1}]
    assert ranges["ranges"]["results"] == [{"to": 1, "count": 1}, {"from": 1, "count": 2}]
    assert (average["scalar"]["value"], products["scalar"]["value"]) == (11 / 3, 2)
    assert len(answer.body["inventoryItems"]) == 1


@pytest.mark.parametrize(
    ("search", "field"),
    [
        (
            {"aggregations": [{"type": "DATE_HISTOGRAM", "fieldPath": "createdDate"}]},
            "search.aggregations[0].type",
        ),
        ({"aggregations": [{"fieldPath": "productId", "scalar": {"type": "SUM"}}]}, "search.aggregations[0]"),
        ({"aggregations": [{"fieldPath": "product.variantSku"}]}, "search.aggregations[0].fieldPath"),
        ({"search": {"expression": "x", "fields": ["product.variantSku"]}}, "search.search.fields[0]"),
        ({"sort": [{"fieldName": "id"}]}, "search.sort[0].fieldName"),
    ],
)
def test_search_refuses_what_it_does_not_serve(api: Api, search: dict[str, Any], field: str) -> None:
    found = violations(api.post(f"{ITEMS}/search", {"search": search}))
    assert any(v["field"].startswith(field) for v in found), found


def test_a_cursor_serves_only_the_call_that_issued_it(api: Api) -> None:
    load(api)
    page = api.post(f"{ITEMS}/query", {"query": {"cursorPaging": {"limit": 1}}})
    cursor = page.body["pagingMetadata"]["cursors"]["next"]
    refused = api.post(f"{ITEMS}/search", {"search": {"cursorPaging": {"cursor": cursor}}})
    assert violations(refused)[0]["field"] == "search.cursorPaging.cursor"


def test_upsert_refuses_two_items_for_one_variant_and_location(api: Api) -> None:
    answer = api.post(
        f"{BULK}/upsert",
        {
            "inventoryItems": [
                {"inventoryItem": {"variantId": SOCKS_A_VARIANT, "quantity": 1}},
                {"inventoryItem": {"variantId": "other", "quantity": 1}},
                {"inventoryItem": {"variantId": SOCKS_A_VARIANT, "quantity": 2}},
            ]
        },
    )
    [violation] = violations(answer)
    assert violation["field"] == "inventoryItems[2].inventoryItem"
    assert violation["ruleName"] == "DUPLICATE_BULK_UPSERT_KEY"
    assert api.item(SOCKS_A_ITEM)["quantity"] == 9
    assert api.post(f"{ITEMS}/count", {"filter": {"variantId": "other"}}).body == {"count": 0}


def test_by_filter_calls_refuse_bad_requests_and_change_nothing(api: Api) -> None:
    for path, body in [
        ("update-by-filter", {"filter": {}, "inventoryItem": {}}),
        ("update-by-filter", {"inventoryItem": {"quantity": 1}}),
        ("adjust-by-filter", {"filter": {}, "adjustment": {"incrementBy": 1, "decrementBy": 1}}),
        ("adjust-by-filter", {"filter": {}, "adjustment": {"incrementBy": 100_000}}),
        ("set-or-adjust-by-filter", {"filter": {"quantity": {"$foo": 1}}, "adjustedInventoryAction": {}}),
        ("delete-by-filter", {"filter": {"product.variantBarcode": "1"}}),
    ]:
        violations(api.post(f"{BULK}/{path}", body))
    assert api.item(SOCKS_A_ITEM)["revision"] == "1"
    answer = api.post(f"{BULK}/create-by-variant-filter", {"filter": {}, "locationId": "x"})
    assert (answer.status, answer.body["details"]["applicationError"]["code"]) == (404, "NOT_SERVED")


def test_create_names_wix_rules_where_the_typings_do(api: Api) -> None:
    """The typings' validation rules of create: ruleName beside the field, as Wix answers them."""
    for item, rule in (
        ({"variantId": "x", "quantity": -1}, "REQUESTED_QUANTITY_MUST_BE_NON_NEGATIVE"),
        (
            {"variantId": "x", "inStock": True, "preorderInfo": {"limit": 5}},
            "PREORDER_LIMIT_NOT_SUPPORTED_FOR_UNTRACKED_INVENTORY",
        ),
    ):
        answer = api.post("/stores/v3/inventory-items", {"inventoryItem": item})
        assert answer.status == 400, answer.body
        [violation] = answer.body["details"]["validationError"]["fieldViolations"]
        assert violation["ruleName"] == rule
