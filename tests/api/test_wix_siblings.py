"""The Wix V3 sibling calls over real HTTP: bulk create, bulk update, increments, decrement by id, query,
and the audit trail (adjustments)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import (
    DEMO_DEFAULT_LOCATION_ID,
    SHOES_ITEM,
    SHOES_LOCATION,
    SHOES_VARIANT,
    SOCKS_A_ITEM,
    SOCKS_A_VARIANT,
    SOCKS_B_ITEM,
    Api,
    ledger,
)

pytestmark = pytest.mark.usefixtures("seeded")

BULK_CREATE = "/stores/v3/bulk/inventory-items/create"
BULK_UPDATE = "/stores/v3/bulk/inventory-items/update"
INCREMENT_BY_VARIANT = "/stores/v3/bulk/inventory-items/increment-by-variant-and-location"
INCREMENT_BY_ID = "/stores/v3/bulk/inventory-items/increment"
DECREMENT_BY_ID = "/stores/v3/bulk/inventory-items/decrement"
QUERY = "/stores/v3/inventory-items/query"
SOCKS_PRODUCT = "b84d8a3b-52e7-403c-99ff-18db6185418b"
SECOND_STORE = {"wix-site-id": "second-store"}


@pytest.fixture
def api(server: str) -> Api:
    return Api(server)


@pytest.fixture
def other_store(server: str) -> Api:
    """A key covering the demo store and "second-store"; its calls name the second one."""
    return Api(server, key="two-stores")


def ok(answer: Any) -> list[dict[str, Any]]:
    assert answer.status == 200, answer.body
    return answer.body["results"]


def error_of(result: dict[str, Any]) -> str:
    assert result["itemMetadata"]["success"] is False, result
    return result["itemMetadata"]["error"]["code"]


def adjustments(api: Api, item_id: str, **params: Any) -> list[dict[str, Any]]:
    return ledger(api, item_id, **params)


def query(api: Api, filter: dict[str, Any] | None = None, **paging: Any) -> Any:
    return api.post(QUERY, {"query": {"filter": filter or {}, "cursorPaging": paging}})


def queried_ids(api: Api, filter: dict[str, Any] | None = None) -> set[str]:
    answer = query(api, filter)
    assert answer.status == 200, answer.body
    assert answer.body["pagingMetadata"]["hasNext"] is False
    return {item["id"] for item in answer.body["inventoryItems"]}


def update(api: Api, *items: dict[str, Any], headers: dict[str, str] | None = None, **options: Any) -> Any:
    body = {"inventoryItems": [{"inventoryItem": i} for i in items], **options}
    return api.post(BULK_UPDATE, body, headers=headers)


def assert_400(answer: Any, field: str | None = None) -> None:
    assert answer.status == 400, answer.body
    violations = answer.body["details"]["validationError"]["fieldViolations"]
    assert violations
    if field is not None:
        assert any(v["field"].startswith(field) for v in violations), violations


# --- bulk create --------------------------------------------------------------------------------------------


def test_bulk_create_answers_each_item_in_order(api: Api) -> None:
    answer = api.post(
        BULK_CREATE,
        {
            "inventoryItems": [
                {"variantId": "hat-red", "productId": "hat", "quantity": 4},
                {"variantId": "hat-blue", "productId": "hat", "inStock": True, "locationId": "shop-2"},
                {
                    "variantId": "hat-green",
                    "productId": "hat",
                    "quantity": 0,
                    "preorderInfo": {"enabled": True, "limit": 3, "message": "May"},
                },
            ],
            "returnEntity": True,
        },
    )
    results = ok(answer)
    assert [r["itemMetadata"]["originalIndex"] for r in results] == [0, 1, 2]
    assert all(r["itemMetadata"]["success"] for r in results)
    assert answer.body["bulkActionMetadata"] == {
        "totalSuccesses": 3,
        "totalFailures": 0,
        "undetailedFailures": 0,
    }
    red, blue, green = (r["item"] for r in results)
    assert (red["locationId"], red["revision"], red["quantity"]) == (DEMO_DEFAULT_LOCATION_ID, "1", 4)
    assert (blue["locationId"], blue["trackQuantity"], blue["inStock"]) == ("shop-2", False, True)
    assert green["availabilityStatus"] == "PREORDER"
    assert green["preorderInfo"] == {
        "enabled": True,
        "message": "May",
        "limit": 3,
        "counter": 0,
        "quantity": 3,
    }
    for result in results:
        assert result["itemMetadata"]["id"] == result["item"]["id"]
        assert api.item(result["item"]["id"]) == result["item"]


def test_bulk_create_leaves_entities_out_unless_asked(api: Api) -> None:
    result = ok(api.post(BULK_CREATE, {"inventoryItems": [{"variantId": "plain", "quantity": 1}]}))[0]
    assert "item" not in result and result["itemMetadata"]["success"] is True
    assert api.item(result["itemMetadata"]["id"])["quantity"] == 1


def test_bulk_create_fails_duplicates_and_never_overwrites(api: Api) -> None:
    results = ok(
        api.post(
            BULK_CREATE,
            {
                "inventoryItems": [
                    {"variantId": SOCKS_A_VARIANT, "quantity": 99},  # exists (default location)
                    {"variantId": "twin", "quantity": 1},
                    {"variantId": "twin", "locationId": DEMO_DEFAULT_LOCATION_ID, "quantity": 2},
                ],
                "returnEntity": True,
            },
        )
    )
    assert error_of(results[0]) == "ITEM_ALREADY_EXISTS"
    assert results[1]["itemMetadata"]["success"] is True  # the first of the twins wins, in request order
    assert error_of(results[2]) == "ITEM_ALREADY_EXISTS"
    assert api.item(SOCKS_A_ITEM)["quantity"] == 9
    assert api.item(results[1]["itemMetadata"]["id"])["quantity"] == 1


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ([], "inventoryItems"),
        ([{"variantId": "x", "quantity": 1}] * 1001, "inventoryItems"),
        ([{"variantId": "x", "quantity": 1, "inStock": True}], "inventoryItems[0]"),
        ([{"variantId": "x"}], "inventoryItems[0]"),
        (
            [{"variantId": "x", "quantity": 1, "preorderInfo": {"limit": -1}}],
            "inventoryItems[0].preorderInfo",
        ),
        ([{"variantId": "", "quantity": 1}], "inventoryItems[0].variantId"),
        ([{"variantId": "x" * 129, "quantity": 1}], "inventoryItems[0].variantId"),
    ],
)
def test_bulk_create_refuses_bad_items_and_creates_none(api: Api, items: list[Any], field: str) -> None:
    before = queried_ids(api)
    if items:  # one bad item refuses the whole request: the good one beside it is not created either
        assert_400(api.post(BULK_CREATE, {"inventoryItems": [{"variantId": "ok", "quantity": 1}, *items]}))
    assert_400(api.post(BULK_CREATE, {"inventoryItems": items}), field)
    assert queried_ids(api) == before


# --- increments ---------------------------------------------------------------------------------------------


def test_increment_by_variant_and_location(api: Api) -> None:
    untracked = api.create(variantId="untracked", inStock=True)
    results = ok(
        api.post(
            INCREMENT_BY_VARIANT,
            {
                "incrementData": [
                    {"variantId": SOCKS_A_VARIANT, "incrementBy": 5},  # default location
                    {"variantId": SHOES_VARIANT, "locationId": SHOES_LOCATION, "incrementBy": 2},
                    {"variantId": "untracked", "incrementBy": 1},
                    {"variantId": "nowhere", "incrementBy": 1},
                ],
                "returnEntity": True,
                "reason": "RESTOCK",
            },
        )
    )
    assert results[0]["item"]["quantity"] == 14 and results[0]["itemMetadata"]["id"] == SOCKS_A_ITEM
    assert results[1]["item"]["availabilityStatus"] == "IN_STOCK"
    assert error_of(results[2]) == "INVENTORY_QUANTITY_NOT_TRACKED"
    assert results[2]["itemMetadata"]["id"] == untracked["id"]
    assert error_of(results[3]) == "NOT_FOUND"
    assert api.item(untracked["id"])["revision"] == "1"
    assert api.item(SHOES_ITEM)["quantity"] == 2


def test_increment_by_id(api: Api) -> None:
    results = ok(
        api.post(
            INCREMENT_BY_ID,
            {
                "incrementData": [
                    {"inventoryItemId": SOCKS_B_ITEM, "incrementBy": 3},
                    {"inventoryItemId": "no-such-id", "incrementBy": 3},
                    {"inventoryItemId": SOCKS_B_ITEM, "incrementBy": 1},
                ]
            },
        )
    )
    assert [r["itemMetadata"]["success"] for r in results] == [True, False, True]
    assert error_of(results[1]) == "INVENTORY_ITEM_NOT_FOUND"
    assert results[1]["itemMetadata"]["error"]["data"] == {"inventoryItemId": "no-such-id"}
    assert api.item(SOCKS_B_ITEM)["quantity"] == 14
    assert api.item(SOCKS_B_ITEM)["revision"] == "3"


@pytest.mark.parametrize(
    ("path", "line", "field"),
    [
        (
            INCREMENT_BY_VARIANT,
            {"variantId": SOCKS_A_VARIANT, "incrementBy": 0},
            "incrementData[0].incrementBy",
        ),
        (
            INCREMENT_BY_VARIANT,
            {"variantId": SOCKS_A_VARIANT, "incrementBy": 1_000_000_001},
            "incrementData[0]",
        ),
        (INCREMENT_BY_VARIANT, {"variantId": SOCKS_A_VARIANT, "incrementBy": "1"}, "incrementData[0]"),
        (INCREMENT_BY_VARIANT, {"variantId": "", "incrementBy": 1}, "incrementData[0].variantId"),
        (
            INCREMENT_BY_ID,
            {"inventoryItemId": SOCKS_A_ITEM, "incrementBy": -1},
            "incrementData[0].incrementBy",
        ),
        (
            INCREMENT_BY_ID,
            {"inventoryItemId": "x" * 129, "incrementBy": 1},
            "incrementData[0].inventoryItemId",
        ),
        (INCREMENT_BY_ID, {"inventoryItemId": SOCKS_A_ITEM, "incrementBy": 1, "x": 1}, "incrementData[0].x"),
    ],
)
def test_increments_refuse_bad_lines(api: Api, path: str, line: dict[str, Any], field: str) -> None:
    assert_400(api.post(path, {"incrementData": [line]}), field)
    assert api.item(SOCKS_A_ITEM)["quantity"] == 9


# --- decrement by id ----------------------------------------------------------------------------------------


def test_decrement_by_id_follows_the_same_rules(api: Api) -> None:
    results = ok(
        api.post(
            DECREMENT_BY_ID,
            {
                "decrementData": [
                    {"inventoryItemId": SOCKS_A_ITEM, "decrementBy": 1},
                    {"inventoryItemId": SOCKS_B_ITEM, "decrementBy": 11},
                    {"inventoryItemId": SHOES_ITEM, "decrementBy": 2, "preorderRequest": True},
                    {"inventoryItemId": "unknown-item", "decrementBy": 1},
                ],
                "returnEntity": True,
                "reason": "ORDER",
            },
        )
    )
    assert results[0]["item"]["quantity"] == 8
    assert error_of(results[1]) == "INSUFFICIENT_INVENTORY"  # restrictInventory defaults to true
    assert results[1]["itemMetadata"]["error"]["data"]["available"] == 10
    assert results[2]["item"]["preorderInfo"]["counter"] == 2
    assert error_of(results[3]) == "INVENTORY_ITEM_NOT_FOUND"
    assert [r["itemMetadata"]["originalIndex"] for r in results] == [0, 1, 2, 3]
    unrestricted = ok(
        api.post(
            DECREMENT_BY_ID,
            {
                "decrementData": [{"inventoryItemId": SOCKS_B_ITEM, "decrementBy": 11}],
                "restrictInventory": False,
            },
        )
    )
    assert unrestricted[0]["itemMetadata"] == {"id": SOCKS_B_ITEM, "originalIndex": 0, "success": True}
    assert api.item(SOCKS_B_ITEM)["quantity"] == -1


@pytest.mark.parametrize(
    "line",
    [
        {"inventoryItemId": SOCKS_A_ITEM, "decrementBy": 0},
        {"inventoryItemId": SOCKS_A_ITEM},
        {"inventoryItemId": "", "decrementBy": 1},
        {"inventoryItemId": SOCKS_A_ITEM, "decrementBy": 1, "preorderRequest": "yes"},
        {"variantId": SOCKS_A_VARIANT, "decrementBy": 1},
    ],
)
def test_decrement_by_id_refuses_bad_lines(api: Api, line: dict[str, Any]) -> None:
    assert_400(api.post(DECREMENT_BY_ID, {"decrementData": [line]}), "decrementData[0]")
    assert api.item(SOCKS_A_ITEM)["quantity"] == 9


# --- bulk update --------------------------------------------------------------------------------------------


def test_update_sets_quantity_by_revision_and_refuses_a_stale_one(api: Api) -> None:
    results = ok(update(api, {"id": SOCKS_A_ITEM, "revision": "1", "quantity": 20}, returnEntity=True))
    assert (results[0]["item"]["quantity"], results[0]["item"]["revision"]) == (20, "2")
    assert api.item(SOCKS_A_ITEM) == results[0]["item"]

    stale = ok(update(api, {"id": SOCKS_A_ITEM, "revision": "1", "quantity": 3}))[0]
    assert error_of(stale) == "REVISION_MISMATCH"
    assert stale["itemMetadata"]["error"]["data"] == {
        "inventoryItemId": SOCKS_A_ITEM,
        "expectedRevision": "1",
        "currentRevision": "2",
    }
    assert api.item(SOCKS_A_ITEM)["quantity"] == 20
    assert [a["kind"] for a in adjustments(api, SOCKS_A_ITEM)] == ["UPDATE", "CREATE"]


def test_update_after_a_decrement_needs_the_new_revision(api: Api) -> None:
    api.decrement({"variantId": SOCKS_A_VARIANT, "decrementBy": 1})
    assert error_of(ok(update(api, {"id": SOCKS_A_ITEM, "revision": "1", "quantity": 5}))[0]) == (
        "REVISION_MISMATCH"
    )
    assert ok(update(api, {"id": SOCKS_A_ITEM, "revision": "2", "quantity": 5}))[0]["itemMetadata"]["success"]
    assert api.item(SOCKS_A_ITEM)["quantity"] == 5


def test_two_updates_of_one_item_in_one_request_apply_in_order(api: Api) -> None:
    results = ok(
        update(
            api,
            {"id": SOCKS_A_ITEM, "revision": "1", "quantity": 1},
            {"id": SOCKS_A_ITEM, "revision": "2", "quantity": 2},
            {"id": SOCKS_A_ITEM, "revision": "2", "quantity": 3},
        )
    )
    assert [r["itemMetadata"]["success"] for r in results] == [True, True, False]
    assert (api.item(SOCKS_A_ITEM)["quantity"], api.item(SOCKS_A_ITEM)["revision"]) == (2, "3")


def test_update_switches_tracking_method_cleanly(api: Api) -> None:
    untracked = ok(update(api, {"id": SOCKS_A_ITEM, "revision": "1", "inStock": False}, returnEntity=True))[0]
    item = untracked["item"]
    assert (item["trackQuantity"], item["inStock"], "quantity" in item) == (False, False, False)
    assert item["availabilityStatus"] == "OUT_OF_STOCK"
    decrement = api.decrement({"variantId": SOCKS_A_VARIANT, "decrementBy": 1})
    assert error_of(decrement.body["results"][0]) == "INVENTORY_QUANTITY_NOT_TRACKED"

    tracked = ok(update(api, {"id": SOCKS_A_ITEM, "revision": "2", "quantity": 4, "trackQuantity": True}))[0]
    assert tracked["itemMetadata"]["success"]
    item = api.item(SOCKS_A_ITEM)
    assert (item["trackQuantity"], item["quantity"], "inStock" in item) == (True, 4, False)
    trail = adjustments(api, SOCKS_A_ITEM)
    assert [(a["kind"], a.get("delta"), a.get("quantityBefore"), a.get("quantityAfter")) for a in trail] == [
        ("UPDATE", None, None, 4),  # a switch of tracking method changes no count: no delta
        ("UPDATE", None, 9, None),
        ("CREATE", 9, None, 9),
    ]


def test_update_keeps_the_preorder_remainder_consistent(api: Api) -> None:
    api.decrement(
        {"variantId": SHOES_VARIANT, "locationId": SHOES_LOCATION, "decrementBy": 4, "preorderRequest": True}
    )
    # counter 4 of limit 10: lower the limit to 5, so one unit remains.
    lowered = ok(
        update(api, {"id": SHOES_ITEM, "revision": "2", "preorderInfo": {"limit": 5}}, returnEntity=True)
    )
    assert lowered[0]["item"]["preorderInfo"] == {"enabled": True, "limit": 5, "counter": 4, "quantity": 1}
    shoes = {"variantId": SHOES_VARIANT, "locationId": SHOES_LOCATION, "preorderRequest": True}
    assert error_of(api.decrement({**shoes, "decrementBy": 2}).body["results"][0]) == "INSUFFICIENT_INVENTORY"
    assert api.decrement({**shoes, "decrementBy": 1}).body["results"][0]["itemMetadata"]["success"]
    assert api.item(SHOES_ITEM)["availabilityStatus"] == "OUT_OF_STOCK"
    # Removing the limit reopens preorders without a bound, and leaves no stale remainder.
    removed = ok(
        update(api, {"id": SHOES_ITEM, "revision": "4", "preorderInfo": {"limit": None, "message": "Soon"}})
    )
    assert removed[0]["itemMetadata"]["success"]
    item = api.item(SHOES_ITEM)
    assert item["preorderInfo"] == {"enabled": True, "message": "Soon", "counter": 5}
    assert item["availabilityStatus"] == "PREORDER"
    assert api.decrement({**shoes, "decrementBy": 50}).body["results"][0]["itemMetadata"]["success"]
    disabled = ok(update(api, {"id": SHOES_ITEM, "revision": "6", "preorderInfo": {"enabled": False}}))
    assert disabled[0]["itemMetadata"]["success"]
    assert api.item(SHOES_ITEM)["availabilityStatus"] == "OUT_OF_STOCK"
    assert api.item(SHOES_ITEM)["preorderInfo"]["message"] == "Soon"  # fields not sent are kept


def test_update_of_an_unknown_or_foreign_item_is_not_found(api: Api, other_store: Api) -> None:
    results = ok(
        update(other_store, {"id": SOCKS_A_ITEM, "revision": "1", "quantity": 0}, headers=SECOND_STORE)
    )
    assert error_of(results[0]) == "INVENTORY_ITEM_NOT_FOUND"
    assert error_of(ok(update(api, {"id": "missing", "revision": "1", "quantity": 0}))[0]) == (
        "INVENTORY_ITEM_NOT_FOUND"
    )
    assert api.item(SOCKS_A_ITEM)["quantity"] == 9


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"id": SOCKS_A_ITEM, "revision": "1", "quantity": 1, "inStock": True}, "inventoryItems[0]"),
        ({"id": SOCKS_A_ITEM, "revision": "1"}, "inventoryItems[0]"),
        ({"id": SOCKS_A_ITEM, "revision": "1", "trackQuantity": False}, "inventoryItems[0]"),
        ({"id": SOCKS_A_ITEM, "revision": "1", "preorderInfo": {"limit": -1}}, "inventoryItems[0]"),
        (
            {"id": SOCKS_A_ITEM, "revision": "1", "quantity": -100_000},
            "inventoryItems[0].inventoryItem.quantity",
        ),
        ({"id": SOCKS_A_ITEM, "revision": 1, "quantity": 1}, "inventoryItems[0].inventoryItem.revision"),
        ({"id": SOCKS_A_ITEM, "revision": "0", "quantity": 1}, "inventoryItems[0].inventoryItem.revision"),
        ({"id": SOCKS_A_ITEM, "quantity": 1}, "inventoryItems[0].inventoryItem.revision"),
        ({"id": "", "revision": "1", "quantity": 1}, "inventoryItems[0].inventoryItem.id"),
        (
            {"id": SOCKS_A_ITEM, "revision": "1", "extendedFields": {}},
            "inventoryItems[0].inventoryItem.extendedFields",
        ),
    ],
)
def test_update_refuses_bad_items(api: Api, item: dict[str, Any], field: str) -> None:
    assert_400(update(api, item), field)
    assert api.item(SOCKS_A_ITEM)["revision"] == "1"


# --- query --------------------------------------------------------------------------------------------------


def test_query_filters_by_ids(api: Api) -> None:
    assert queried_ids(api, {"productId": {"$eq": SOCKS_PRODUCT}}) == {SOCKS_A_ITEM, SOCKS_B_ITEM}
    assert queried_ids(api, {"productId": SOCKS_PRODUCT}) == {SOCKS_A_ITEM, SOCKS_B_ITEM}  # shorthand $eq
    assert queried_ids(api, {"variantId": {"$in": [SOCKS_A_VARIANT, SHOES_VARIANT]}}) == {
        SOCKS_A_ITEM,
        SHOES_ITEM,
    }
    assert queried_ids(api, {"locationId": {"$eq": SHOES_LOCATION}}) == {SHOES_ITEM}
    assert queried_ids(api, {"productId": {"$eq": SOCKS_PRODUCT}, "variantId": {"$eq": SOCKS_A_VARIANT}}) == {
        SOCKS_A_ITEM
    }
    assert (
        queried_ids(api, {"productId": {"$in": [SOCKS_PRODUCT, "nothing"]}, "locationId": {"$eq": "x"}})
        == set()
    )
    assert len(queried_ids(api)) == 5  # the whole demo store


def test_query_answers_the_wix_shape(api: Api) -> None:
    answer = query(api, {"variantId": {"$eq": SOCKS_A_VARIANT}})
    assert answer.status == 200, answer.body
    assert answer.body["inventoryItems"] == [api.item(SOCKS_A_ITEM)]
    assert answer.body["pagingMetadata"] == {"count": 1, "cursors": {}, "hasNext": False}


def test_query_pages_through_many_items_with_cursors(api: Api) -> None:
    created = {
        r["itemMetadata"]["id"]
        for r in ok(
            api.post(
                BULK_CREATE,
                {
                    "inventoryItems": [
                        {"variantId": f"tee-{i:02d}", "productId": "tee", "quantity": i} for i in range(11)
                    ]
                },
            )
        )
    }
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        paging = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        answer = query(api, {"productId": {"$eq": "tee"}}, **paging)
        assert answer.status == 200, answer.body
        meta = answer.body["pagingMetadata"]
        seen += [i["id"] for i in answer.body["inventoryItems"]]
        assert meta["count"] == len(answer.body["inventoryItems"])
        pages += 1
        if not meta["hasNext"]:
            assert "next" not in meta["cursors"]
            break
        cursor = meta["cursors"]["next"]
    assert pages == 3 and len(seen) == 11 and set(seen) == created


def test_a_filtered_page_is_full_even_when_matches_are_sparse(api: Api) -> None:
    # Every third item is sold out: pages of OUT_OF_STOCK items must still come back full.
    api.post(
        BULK_CREATE,
        {
            "inventoryItems": [
                {"variantId": f"cap-{i:02d}", "productId": "cap", "quantity": 0 if i % 3 == 0 else 1}
                for i in range(12)
            ]
        },
    )
    first = query(api, {"productId": "cap", "availabilityStatus": {"$eq": "OUT_OF_STOCK"}}, limit=2)
    assert first.body["pagingMetadata"]["count"] == 2 and first.body["pagingMetadata"]["hasNext"] is True
    second = query(
        api,
        {"productId": "cap", "availabilityStatus": {"$eq": "OUT_OF_STOCK"}},
        limit=2,
        cursor=first.body["pagingMetadata"]["cursors"]["next"],
    )
    variants = [i["variantId"] for i in first.body["inventoryItems"] + second.body["inventoryItems"]]
    assert variants == ["cap-00", "cap-03", "cap-06", "cap-09"]
    assert second.body["pagingMetadata"]["hasNext"] is False


def test_a_cursor_only_serves_its_own_store_and_filter(api: Api, other_store: Api) -> None:
    first = query(api, {}, limit=2)
    cursor = first.body["pagingMetadata"]["cursors"]["next"]
    assert query(api, {}, limit=3, cursor=cursor).status == 200  # the page size may change
    # A cursor carries its query: sent with another filter, it is refused rather than mixed with it.
    assert_400(query(api, {"productId": SOCKS_PRODUCT}, limit=2, cursor=cursor), "query.cursorPaging.cursor")
    altered = cursor[:-2] + ("AA" if cursor[-2:] != "AA" else "BB")
    assert_400(query(api, {}, limit=2, cursor=altered), "query.cursorPaging.cursor")
    assert_400(
        other_store.post(
            QUERY, {"query": {"cursorPaging": {"limit": 2, "cursor": cursor}}}, headers=SECOND_STORE
        ),
        "query.cursorPaging.cursor",
    )
    for forged in ("not-a-cursor", "e30", "eyJhZnRlciI6WzEsMiwzXX0"):
        assert_400(query(api, {}, limit=2, cursor=forged), "query.cursorPaging.cursor")


def test_query_is_scoped_to_the_callers_store(api: Api, other_store: Api) -> None:
    answer = other_store.post(QUERY, {"query": {}}, headers=SECOND_STORE)
    assert answer.status == 200 and answer.body["inventoryItems"] == []
    other_store.post(
        BULK_CREATE, {"inventoryItems": [{"variantId": SOCKS_A_VARIANT, "quantity": 1}]}, headers=SECOND_STORE
    )
    assert len(other_store.post(QUERY, {}, headers=SECOND_STORE).body["inventoryItems"]) == 1
    assert SOCKS_A_ITEM in queried_ids(api, {"variantId": SOCKS_A_VARIANT})


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"query": {"filter": {"sku": {"$eq": "x"}}}}, "query.filter.sku"),
        ({"query": {"filter": {"product.variantSku": "x"}}}, "query.filter.product.variantSku"),
        ({"query": {"filter": {"productId": {"$hasSome": ["x"]}}}}, "query.filter.productId.$hasSome"),
        ({"query": {"filter": {"productId": {"$regex": "a"}}}}, "query.filter.productId.$regex"),
        ({"query": {"filter": {"$nor": [{"productId": "a"}]}}}, "query.filter.$nor"),
        ({"query": {"filter": {"productId": {"$in": []}}}}, "query.filter.productId.$in"),
        ({"query": {"filter": {"productId": {"$eq": "x" * 501}}}}, "query.filter.productId.$eq"),
        ({"query": {"filter": {"quantity": {"$gt": "1"}}}}, "query.filter.quantity.$gt"),
        ({"query": {"filter": {"updatedDate": {"$gt": "yesterday"}}}}, "query.filter.updatedDate.$gt"),
        (
            {"query": {"filter": {"availabilityStatus": {"$eq": "SOLD"}}}},
            "query.filter.availabilityStatus.$eq",
        ),
        ({"query": {"filter": {"$and": {"productId": "a"}}}}, "query.filter.$and"),
        ({"query": {"cursorPaging": {"limit": 0}}}, "query.cursorPaging.limit"),
        ({"query": {"cursorPaging": {"limit": 1001}}}, "query.cursorPaging.limit"),
        ({"query": {"cursorPaging": {"limit": "10"}}}, "query.cursorPaging.limit"),
        ({"query": {"sort": [{"fieldName": "variantId"}]}}, "query.sort[0].fieldName"),
        ({"query": {"sort": [{"fieldName": "quantity", "order": "UP"}]}}, "query.sort[0].order"),
        ({"query": {"paging": {"offset": 10}}}, "query.paging"),
    ],
)
def test_query_refuses_bad_queries(api: Api, body: dict[str, Any], field: str) -> None:
    assert_400(api.post(QUERY, body), field)


def test_availability_filter_agrees_with_get_after_every_kind_of_change(api: Api) -> None:
    created = ok(
        api.post(
            BULK_CREATE,
            {
                "inventoryItems": [
                    {"variantId": "a-in", "productId": "av", "quantity": 2},
                    {"variantId": "a-sold", "productId": "av", "quantity": 1},
                    {
                        "variantId": "a-pre",
                        "productId": "av",
                        "quantity": 1,
                        "preorderInfo": {"enabled": True, "limit": 2},
                    },
                    {
                        "variantId": "a-pre-full",
                        "productId": "av",
                        "quantity": 0,
                        "preorderInfo": {"enabled": True, "limit": 1},
                    },
                    {"variantId": "a-untracked", "productId": "av", "inStock": True},
                    {
                        "variantId": "a-limit",
                        "productId": "av",
                        "quantity": 0,
                        "preorderInfo": {"enabled": True, "limit": 1},
                    },
                ]
            },
        )
    )
    ids = [r["itemMetadata"]["id"] for r in created]

    def check() -> None:
        by_status: dict[str, set[str]] = {}
        for item_id in ids:
            by_status.setdefault(api.item(item_id)["availabilityStatus"], set()).add(item_id)
        for status in ("IN_STOCK", "OUT_OF_STOCK", "PREORDER"):
            assert queried_ids(
                api, {"productId": "av", "availabilityStatus": {"$eq": status}}
            ) == by_status.get(status, set()), status
        assert queried_ids(
            api, {"availabilityStatus": {"$in": ["IN_STOCK", "PREORDER"]}, "productId": "av"}
        ) == (by_status.get("IN_STOCK", set()) | by_status.get("PREORDER", set()))

    check()
    api.decrement(
        {"variantId": "a-sold", "decrementBy": 1}, {"variantId": "a-pre", "decrementBy": 1}
    )  # sold out
    api.decrement(
        {"variantId": "a-pre-full", "decrementBy": 1, "preorderRequest": True}
    )  # preorder limit reached
    check()
    ok(update(api, {"id": ids[4], "revision": "1", "inStock": False}))  # untracked, out of stock
    ok(update(api, {"id": ids[5], "revision": "1", "preorderInfo": {"limit": 0}}))  # no preorder left
    ok(update(api, {"id": ids[3], "revision": "2", "preorderInfo": {"limit": None}}))  # unlimited again
    check()
    api.post(INCREMENT_BY_ID, {"incrementData": [{"inventoryItemId": ids[1], "incrementBy": 1}]})  # restocked
    check()
    assert queried_ids(api, {"productId": "av", "availabilityStatus": "IN_STOCK"}) == {ids[0], ids[1]}


# --- audit trail --------------------------------------------------------------------------------------------


def test_every_kind_of_change_leaves_its_record_newest_first(api: Api) -> None:
    item = api.create(variantId="audited", quantity=2, preorderInfo={"enabled": True})
    ok(
        api.post(
            INCREMENT_BY_ID,
            {"incrementData": [{"inventoryItemId": item["id"], "incrementBy": 3}], "reason": "RESTOCK"},
        )
    )
    ok(api.decrement({"variantId": "audited", "decrementBy": 5}, reason="ORDER"))
    ok(api.decrement({"variantId": "audited", "decrementBy": 2, "preorderRequest": True}, reason="PREORDER"))
    ok(update(api, {"id": item["id"], "revision": "4", "quantity": 7}))
    # Failed lines leave no record: a stale revision, an insufficient stock, a limit.
    ok(update(api, {"id": item["id"], "revision": "4", "quantity": 1}))
    ok(api.decrement({"variantId": "audited", "decrementBy": 8}))

    trail = adjustments(api, item["id"])
    # Exact before and after for every kind, in a chain: each record starts where the one before ended.
    exact = [
        (a["kind"], a.get("delta"), a.get("quantityBefore"), a.get("quantityAfter"), a["reason"])
        for a in trail
    ]
    assert exact == [
        ("UPDATE", 7, 0, 7, "UPDATE"),
        ("PREORDER", 2, 0, 0, "PREORDER"),
        ("DECREMENT", -5, 5, 0, "ORDER"),
        ("INCREMENT", 3, 2, 5, "RESTOCK"),
        ("CREATE", 2, None, 2, "CREATE"),
    ]
    assert [a["revision"] for a in trail] == ["5", "4", "3", "2", "1"]
    assert (trail[1]["preorderCounterBefore"], trail[1]["preorderCounterAfter"]) == (0, 2)
    assert all(a["requestId"] and a["createdDate"].endswith("Z") for a in trail)
    assert len({a["requestId"] for a in trail}) == 5
    assert [a["createdDate"] for a in trail] == sorted((a["createdDate"] for a in trail), reverse=True)


def test_the_audit_trail_pages_with_cursors(api: Api) -> None:
    for _ in range(4):
        ok(api.decrement({"variantId": SOCKS_A_VARIANT, "decrementBy": 1}))
    ledger(api, SOCKS_A_ITEM)  # caught up
    first = api.get(f"/stores/v3/inventory-items/{SOCKS_A_ITEM}/adjustments?limit=2")
    assert first.status == 200 and first.body["pagingMetadata"]["hasNext"] is True
    cursor = first.body["pagingMetadata"]["cursors"]["next"]
    second = api.get(f"/stores/v3/inventory-items/{SOCKS_A_ITEM}/adjustments?limit=2&cursor={cursor}")
    third = api.get(
        f"/stores/v3/inventory-items/{SOCKS_A_ITEM}/adjustments?limit=2&cursor="
        + second.body["pagingMetadata"]["cursors"]["next"]
    )
    kinds = [a["kind"] for page in (first, second, third) for a in page.body["adjustments"]]
    assert kinds == ["DECREMENT"] * 4 + ["CREATE"]
    assert third.body["pagingMetadata"] == {"count": 1, "cursors": {}, "hasNext": False}
    # A cursor of one item's trail does not serve another's.
    other = api.get(f"/stores/v3/inventory-items/{SOCKS_B_ITEM}/adjustments?limit=2&cursor={cursor}")
    assert_400(other, "cursor")


@pytest.mark.parametrize("params", ["limit=0", "limit=101", "limit=ten", "cursor=garbage"])
def test_the_audit_trail_refuses_bad_paging(api: Api, params: str) -> None:
    assert_400(api.get(f"/stores/v3/inventory-items/{SOCKS_A_ITEM}/adjustments?{params}"))


def test_another_stores_item_is_not_found(api: Api, other_store: Api) -> None:
    for path in (
        f"/stores/v3/inventory-items/{SOCKS_A_ITEM}/adjustments",
        f"/stores/v3/inventory-items/{SOCKS_A_ITEM}",
    ):
        answer = other_store.get(path, headers=SECOND_STORE)
        assert answer.status == 404, answer.body
        assert answer.body["details"]["applicationError"]["code"] == "INVENTORY_ITEM_NOT_FOUND"
    assert api.get("/stores/v3/inventory-items/no-such-item/adjustments").status == 404
    decrement = other_store.post(
        DECREMENT_BY_ID,
        {"decrementData": [{"inventoryItemId": SOCKS_A_ITEM, "decrementBy": 1}]},
        headers=SECOND_STORE,
    )
    assert error_of(ok(decrement)[0]) == "INVENTORY_ITEM_NOT_FOUND"
    increment = other_store.post(
        INCREMENT_BY_ID,
        {"incrementData": [{"inventoryItemId": SOCKS_A_ITEM, "incrementBy": 1}]},
        headers=SECOND_STORE,
    )
    assert error_of(ok(increment)[0]) == "INVENTORY_ITEM_NOT_FOUND"
    assert api.item(SOCKS_A_ITEM)["quantity"] == 9
    assert len(adjustments(api, SOCKS_A_ITEM)) == 1


def test_bulk_update_takes_1000_items_as_wix_does(api: Api) -> None:
    revision = api.item(SOCKS_A_ITEM)["revision"]
    unknown = [{"id": f"unknown-{i}", "revision": "1", "quantity": 2} for i in range(999)]
    results = ok(update(api, *unknown, {"id": SOCKS_A_ITEM, "revision": revision, "quantity": 2}))
    assert [r["itemMetadata"]["originalIndex"] for r in results] == list(range(1000))
    assert {error_of(r) for r in results[:999]} == {"INVENTORY_ITEM_NOT_FOUND"}
    assert results[999]["itemMetadata"]["success"] is True
    assert api.item(SOCKS_A_ITEM)["quantity"] == 2


def test_the_audit_trail_refuses_a_bad_item_id(api: Api) -> None:
    assert_400(api.get(f"/stores/v3/inventory-items/{'x' * 129}/adjustments"))


def test_bulk_update_and_query_refuse_oversized_lists(api: Api) -> None:
    item = {"inventoryItem": {"id": SOCKS_A_ITEM, "revision": "1", "quantity": 1}}
    assert_400(api.post(BULK_UPDATE, {"inventoryItems": [item] * 1001}), "inventoryItems")
    assert_400(api.post(BULK_UPDATE, {"inventoryItems": []}), "inventoryItems")
    many = {"productId": {"$in": [f"p{i}" for i in range(101)]}}
    assert_400(api.post(QUERY, {"query": {"filter": many}}), "query.filter.productId")
    assert api.item(SOCKS_A_ITEM)["revision"] == "1"
