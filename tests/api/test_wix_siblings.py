"""The Wix V3 sibling calls over real HTTP: bulk create, bulk update, increments, decrement by id, and the
audit trail (adjustments). The query's tests are in test_wix_query.py."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.wix_helpers import (
    BULK_CREATE,
    BULK_UPDATE,
    DECREMENT_BY_ID,
    INCREMENT_BY_ID,
    QUERY,
    SECOND_STORE,
    adjustments,
    assert_400,
    error_of,
    ok,
    queried_ids,
    update,
)
from tests.support import (
    DEMO_DEFAULT_LOCATION_ID,
    SHOES_ITEM,
    SHOES_LOCATION,
    SHOES_VARIANT,
    SOCKS_A_ITEM,
    SOCKS_A_VARIANT,
    SOCKS_B_ITEM,
    Api,
)

pytestmark = pytest.mark.usefixtures("seeded")

INCREMENT_BY_VARIANT = "/stores/v3/bulk/inventory-items/increment-by-variant-and-location"


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


def test_bulk_update_takes_1000_items_as_wix_does(api: Api) -> None:
    revision = api.item(SOCKS_A_ITEM)["revision"]
    unknown = [{"id": f"unknown-{i}", "revision": "1", "quantity": 2} for i in range(999)]
    results = ok(update(api, *unknown, {"id": SOCKS_A_ITEM, "revision": revision, "quantity": 2}))
    assert [r["itemMetadata"]["originalIndex"] for r in results] == list(range(1000))
    assert {error_of(r) for r in results[:999]} == {"INVENTORY_ITEM_NOT_FOUND"}
    assert results[999]["itemMetadata"]["success"] is True
    assert api.item(SOCKS_A_ITEM)["quantity"] == 2


def test_bulk_update_and_query_refuse_oversized_lists(api: Api) -> None:
    item = {"inventoryItem": {"id": SOCKS_A_ITEM, "revision": "1", "quantity": 1}}
    assert_400(api.post(BULK_UPDATE, {"inventoryItems": [item] * 1001}), "inventoryItems")
    assert_400(api.post(BULK_UPDATE, {"inventoryItems": []}), "inventoryItems")
    many = {"productId": {"$in": [f"p{i}" for i in range(101)]}}
    assert_400(api.post(QUERY, {"query": {"filter": many}}), "query.filter.productId")
    assert api.item(SOCKS_A_ITEM)["revision"] == "1"
