"""The Wix V3 inventory-items query over real HTTP: filters, paging by cursor, store scope, refusals, and
availability as GET derives it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.wix_helpers import (
    BULK_CREATE,
    INCREMENT_BY_ID,
    QUERY,
    SECOND_STORE,
    SOCKS_PRODUCT,
    assert_400,
    ok,
    queried_ids,
    query,
    update,
)
from tests.support import (
    SHOES_ITEM,
    SHOES_LOCATION,
    SHOES_VARIANT,
    SOCKS_A_ITEM,
    SOCKS_A_VARIANT,
    SOCKS_B_ITEM,
    Api,
)

pytestmark = pytest.mark.usefixtures("seeded")


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
