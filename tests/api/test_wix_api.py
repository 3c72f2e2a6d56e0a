"""The Wix dialect over real HTTP: `stockroom serve`'s gateway, the handlers, boto3 and the local engine."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from tests.support import (
    DECREMENT_BY_VARIANT,
    DEMO_DEFAULT_LOCATION_ID,
    SHOES_ITEM,
    SHOES_LOCATION,
    SHOES_VARIANT,
    SOCKS_A_ITEM,
    SOCKS_A_VARIANT,
    SOCKS_B_ITEM,
    SOCKS_B_VARIANT,
    SPEC_WIX_EXAMPLE,
    Api,
)

pytestmark = pytest.mark.usefixtures("seeded")


@pytest.fixture
def api(server: str) -> Api:
    return Api(server)


def quantities(api: Api, *item_ids: str) -> list[Any]:
    return [api.item(item_id).get("quantity") for item_id in item_ids]


def error_of(result: dict[str, Any]) -> str:
    assert result["itemMetadata"]["success"] is False, result
    return result["itemMetadata"]["error"]["code"]


def test_the_spec_example_answers_8_7_0_and_preorder_counter_2(api: Api) -> None:
    answer = api.post(DECREMENT_BY_VARIANT, SPEC_WIX_EXAMPLE)

    assert answer.status == 200, answer.body
    results = answer.body["results"]
    assert [r["itemMetadata"]["id"] for r in results] == [SOCKS_A_ITEM, SOCKS_B_ITEM, SHOES_ITEM]
    assert [r["itemMetadata"]["originalIndex"] for r in results] == [0, 1, 2]
    assert all(r["itemMetadata"]["success"] for r in results)
    assert [r["item"]["quantity"] for r in results] == [8, 7, 0]
    shoes = results[2]["item"]
    assert shoes["availabilityStatus"] == "PREORDER"
    assert shoes["preorderInfo"]["counter"] == 2
    assert shoes["preorderInfo"]["quantity"] == 8  # limit 10 - counter 2
    assert [r["item"]["revision"] for r in results] == ["2", "2", "2"]
    assert answer.body["bulkActionMetadata"] == {
        "totalSuccesses": 3,
        "totalFailures": 0,
        "undetailedFailures": 0,
    }
    assert quantities(api, SOCKS_A_ITEM, SOCKS_B_ITEM, SHOES_ITEM) == [8, 7, 0]


def test_entities_are_left_out_unless_asked_for(api: Api) -> None:
    answer = api.decrement({"variantId": SOCKS_A_VARIANT, "decrementBy": 1})
    assert answer.status == 200
    assert "item" not in answer.body["results"][0]
    assert answer.body["results"][0]["itemMetadata"] == {
        "id": SOCKS_A_ITEM,
        "originalIndex": 0,
        "success": True,
    }


def test_lines_are_independent_and_a_failure_names_what_was_asked_and_there(api: Api) -> None:
    answer = api.decrement(
        {"variantId": SOCKS_A_VARIANT, "decrementBy": 10},
        {"variantId": SOCKS_B_VARIANT, "decrementBy": 4},
        {"variantId": "no-such-variant", "decrementBy": 1},
    )
    assert answer.status == 200
    first, second, third = answer.body["results"]
    assert error_of(first) == "INSUFFICIENT_INVENTORY"
    assert first["itemMetadata"]["error"]["data"] == {
        "inventoryItemId": SOCKS_A_ITEM,
        "requested": 10,
        "available": 9,
    }
    assert second["itemMetadata"]["success"] is True
    assert error_of(third) == "NOT_FOUND"  # Wix's word for a variant and location with no item
    assert answer.body["bulkActionMetadata"]["totalFailures"] == 2
    assert quantities(api, SOCKS_A_ITEM, SOCKS_B_ITEM) == [9, 6]


def test_two_lines_for_one_item_are_judged_one_after_the_other(api: Api) -> None:
    answer = api.decrement(
        {"variantId": SOCKS_A_VARIANT, "decrementBy": 5},
        {"variantId": SOCKS_A_VARIANT, "decrementBy": 5},
        {"variantId": SOCKS_A_VARIANT, "locationId": DEMO_DEFAULT_LOCATION_ID, "decrementBy": 4},
        returnEntity=True,
    )
    first, second, third = answer.body["results"]
    assert first["itemMetadata"]["success"] is True
    assert error_of(second) == "INSUFFICIENT_INVENTORY"
    assert second["itemMetadata"]["error"]["data"]["available"] == 4
    assert third["itemMetadata"]["success"] is True
    assert api.item(SOCKS_A_ITEM)["quantity"] == 0
    assert api.item(SOCKS_A_ITEM)["revision"] == "3"


def test_unrestricted_inventory_may_go_negative(api: Api) -> None:
    answer = api.decrement({"variantId": SOCKS_A_VARIANT, "decrementBy": 12}, restrictInventory=False)
    assert answer.body["results"][0]["itemMetadata"]["success"] is True
    item = api.item(SOCKS_A_ITEM)
    assert item["quantity"] == -3
    assert item["availabilityStatus"] == "OUT_OF_STOCK"


def test_restrict_inventory_defaults_to_true(api: Api) -> None:
    answer = api.decrement({"variantId": SOCKS_A_VARIANT, "decrementBy": 10})
    assert error_of(answer.body["results"][0]) == "INSUFFICIENT_INVENTORY"
    assert api.item(SOCKS_A_ITEM)["quantity"] == 9


def test_preorders_count_up_to_the_limit_and_no_further(api: Api) -> None:
    shoes = {"variantId": SHOES_VARIANT, "locationId": SHOES_LOCATION, "preorderRequest": True}
    answer = api.decrement(
        {**shoes, "decrementBy": 7}, {**shoes, "decrementBy": 4}, {**shoes, "decrementBy": 3}
    )
    first, second, third = answer.body["results"]
    assert first["itemMetadata"]["success"] is True
    assert error_of(second) == "INSUFFICIENT_INVENTORY"  # of preorder capacity (SPEC §11)
    assert second["itemMetadata"]["error"]["data"]["available"] == 3
    assert third["itemMetadata"]["success"] is True
    item = api.item(SHOES_ITEM)
    assert item["preorderInfo"]["counter"] == 10
    assert item["quantity"] == 0
    assert item["availabilityStatus"] == "OUT_OF_STOCK"  # limit reached
    # Exhausted: rule 3 no longer applies, and rule 4 refuses a sold-out item.
    answer = api.decrement({**shoes, "decrementBy": 1})
    assert error_of(answer.body["results"][0]) == "INSUFFICIENT_INVENTORY"


def test_a_sold_out_item_without_preorder_request_is_insufficient(api: Api) -> None:
    answer = api.decrement({"variantId": SHOES_VARIANT, "locationId": SHOES_LOCATION, "decrementBy": 1})
    assert error_of(answer.body["results"][0]) == "INSUFFICIENT_INVENTORY"
    assert api.item(SHOES_ITEM)["preorderInfo"]["counter"] == 0


def test_a_preorder_request_on_an_item_in_stock_takes_stock(api: Api) -> None:
    created = api.create(variantId="pre-stock", quantity=3, preorderInfo={"enabled": True})
    answer = api.decrement(
        {"variantId": "pre-stock", "decrementBy": 2, "preorderRequest": True}, returnEntity=True
    )
    item = answer.body["results"][0]["item"]
    assert (item["id"], item["quantity"], item["preorderInfo"]["counter"]) == (created["id"], 1, 0)


def test_an_untracked_item_cannot_be_decremented(api: Api) -> None:
    created = api.create(variantId="untracked", inStock=True)
    assert created["trackQuantity"] is False and created["availabilityStatus"] == "IN_STOCK"
    answer = api.decrement({"variantId": "untracked", "decrementBy": 1}, restrictInventory=False)
    assert error_of(answer.body["results"][0]) == "INVENTORY_QUANTITY_NOT_TRACKED"
    assert answer.body["results"][0]["itemMetadata"]["id"] == created["id"]
    assert api.item(created["id"])["revision"] == "1"


def test_create_then_get(api: Api) -> None:
    created = api.create(
        variantId="new-variant",
        productId="new-product",
        quantity=4,
        preorderInfo={"enabled": True, "limit": 5, "message": "Ships in May"},
        product={"name": "Wool Hat", "directCategoryIds": ["hats"]},
    )
    assert created["locationId"] == DEMO_DEFAULT_LOCATION_ID  # the store's default location
    assert created["revision"] == "1"
    assert created["preorderInfo"] == {
        "enabled": True,
        "message": "Ships in May",
        "limit": 5,
        "counter": 0,
        "quantity": 5,
    }
    assert api.item(created["id"]) == created


def test_a_product_without_variants_is_its_own_variant(api: Api) -> None:
    assert api.create(variantId="simple-product", quantity=1)["productId"] == "simple-product"


def test_a_second_item_for_the_same_variant_and_location_is_refused(api: Api) -> None:
    answer = api.post(
        "/stores/v3/inventory-items",
        {
            "inventoryItem": {
                "variantId": SOCKS_A_VARIANT,
                "locationId": DEMO_DEFAULT_LOCATION_ID,
                "quantity": 99,
            }
        },
    )
    assert answer.status == 409
    assert answer.body["details"]["applicationError"]["code"] == "ITEM_ALREADY_EXISTS"
    assert api.item(SOCKS_A_ITEM)["quantity"] == 9


@pytest.mark.parametrize(
    "item",
    [
        {"variantId": "x", "quantity": 1, "inStock": True},
        {"variantId": "x"},
        {"variantId": "x", "quantity": -1},
        {"variantId": "x", "quantity": 1, "trackQuantity": False},
        {"variantId": "x", "quantity": 1.5},
        {"variantId": "x", "quantity": 100_000},
        {"variantId": "x", "inStock": True, "preorderInfo": {"enabled": True, "limit": 5}},
        {"variantId": "x" * 129, "quantity": 1},
    ],
)
def test_create_refuses_what_is_not_one_valid_item(api: Api, item: dict[str, Any]) -> None:
    answer = api.post("/stores/v3/inventory-items", {"inventoryItem": item})
    assert answer.status == 400, answer.body
    assert answer.body["details"]["validationError"]["fieldViolations"]
    assert api.post("/stores/v3/inventory-items/query", {}).body["pagingMetadata"]["count"] == 5


def test_get_of_an_unknown_item_is_404(api: Api) -> None:
    answer = api.get("/stores/v3/inventory-items/does-not-exist")
    assert answer.status == 404
    assert answer.body["details"]["applicationError"]["code"] == "INVENTORY_ITEM_NOT_FOUND"


# --- auth ---------------------------------------------------------------------------------------------------


def test_no_key_or_an_unknown_key_is_401_and_changes_nothing(server: str) -> None:
    for key in (None, "not-a-key"):
        answer = Api(server, key=key).post(DECREMENT_BY_VARIANT, SPEC_WIX_EXAMPLE)
        assert answer.status == 401, (key, answer.body)
    assert quantities(Api(server), SOCKS_A_ITEM, SOCKS_B_ITEM) == [9, 10]


def test_a_store_the_key_does_not_cover_is_403_and_changes_nothing(api: Api) -> None:
    answer = api.post(DECREMENT_BY_VARIANT, SPEC_WIX_EXAMPLE, headers={"wix-site-id": "someone-elses-store"})
    assert answer.status == 403
    assert (
        api.get(f"/stores/v3/inventory-items/{SOCKS_A_ITEM}", headers={"wix-site-id": "other"}).status == 403
    )
    assert quantities(api, SOCKS_A_ITEM, SOCKS_B_ITEM) == [9, 10]


def test_wix_site_id_picks_among_the_keys_stores(server: str) -> None:
    api = Api(server, key="two-stores")
    created = api.create(variantId=SOCKS_A_VARIANT, quantity=2, locationId="loc-2")
    assert api.item(created["id"])["quantity"] == 2
    second = api.post(
        "/stores/v3/inventory-items",
        {"inventoryItem": {"variantId": SOCKS_A_VARIANT, "quantity": 5}},
        headers={"wix-site-id": "second-store"},
    )
    assert second.status == 200
    # Items of one store are invisible from the other.
    assert api.get(f"/stores/v3/inventory-items/{second.body['inventoryItem']['id']}").status == 404
    assert (
        api.item(second.body["inventoryItem"]["id"], headers={"wix-site-id": "second-store"})["quantity"] == 5
    )


# --- bad input: 400 naming the field, nothing changed -------------------------------------------------------

SOCKS_LINE = {"variantId": SOCKS_A_VARIANT}

BAD_DECREMENTS: list[tuple[str, Any, str]] = [
    ("missing decrementData", {}, "decrementData"),
    ("empty decrementData", {"decrementData": []}, "decrementData"),
    ("301 lines", {"decrementData": [{**SOCKS_LINE, "decrementBy": 1}] * 301}, "decrementData"),
    ("decrementBy 0", {"decrementData": [{**SOCKS_LINE, "decrementBy": 0}]}, "decrementData[0].decrementBy"),
    ("negative", {"decrementData": [{**SOCKS_LINE, "decrementBy": -2}]}, "decrementData[0].decrementBy"),
    ("fractional", {"decrementData": [{**SOCKS_LINE, "decrementBy": 1.5}]}, "decrementData[0].decrementBy"),
    ("float one", {"decrementData": [{**SOCKS_LINE, "decrementBy": 1.0}]}, "decrementData[0].decrementBy"),
    ("string", {"decrementData": [{**SOCKS_LINE, "decrementBy": "1"}]}, "decrementData[0].decrementBy"),
    ("boolean", {"decrementData": [{**SOCKS_LINE, "decrementBy": True}]}, "decrementData[0].decrementBy"),
    (
        "huge",
        {"decrementData": [{**SOCKS_LINE, "decrementBy": 1_000_000_001}]},
        "decrementData[0].decrementBy",
    ),
    ("missing variantId", {"decrementData": [{"decrementBy": 1}]}, "decrementData[0].variantId"),
    (
        "non-boolean restrictInventory",
        {"decrementData": [{**SOCKS_LINE, "decrementBy": 1}], "restrictInventory": "false"},
        "restrictInventory",
    ),
    ("a list", [{**SOCKS_LINE, "decrementBy": 1}], "body"),
    ("a string", "decrement please", "body"),
    ("a number", 42, "body"),
    ("null", None, "body"),
]


@pytest.mark.parametrize(("case", "body", "field"), BAD_DECREMENTS, ids=[c[0] for c in BAD_DECREMENTS])
def test_bad_decrements_are_400_naming_the_field_and_change_nothing(
    api: Api, case: str, body: Any, field: str
) -> None:
    answer = api.post(DECREMENT_BY_VARIANT, raw=json.dumps(body))
    assert answer.status == 400, answer.body
    violations = answer.body["details"]["validationError"]["fieldViolations"]
    assert field in [v["field"] for v in violations], violations
    assert field in answer.body["message"]
    assert quantities(api, SOCKS_A_ITEM) == [9]


NOT_JSON_OBJECTS: list[str | bytes] = [
    "",
    "{",
    '{"decrementData": [',
    "not json",
    "\ufeff{}",
    "[" * 5000 + "]" * 5000,
    '{"decrementData": [{"variantId": "x", "decrementBy": NaN}]}',
    '{"decrementData": [{"variantId": "x", "decrementBy": Infinity}]}',
    '{"decrementData": [{"variantId": "x", "decrementBy": 1e400}]}',
    # Powertools would read a list body as its first element: a valid request inside a list is still refused.
    json.dumps([{"decrementData": [{"variantId": SOCKS_A_VARIANT, "decrementBy": 1}]}]),
    b'{"decrementData": [{"variantId": "\xff\xfe", "decrementBy": 1}]}',
]


@pytest.mark.parametrize("raw", NOT_JSON_OBJECTS)
def test_a_body_that_is_not_a_json_object_is_400_and_changes_nothing(api: Api, raw: str | bytes) -> None:
    answer = api.post(DECREMENT_BY_VARIANT, raw=raw)
    assert answer.status == 400, answer.body
    assert answer.body["details"]["validationError"]["fieldViolations"][0]["field"] == "body"
    assert quantities(api, SOCKS_A_ITEM) == [9]


# --- concurrency --------------------------------------------------------------------------------------------


def test_threads_racing_over_http_never_oversell(server: str) -> None:
    api = Api(server)
    item = api.create(variantId="hot-item", quantity=25)
    successes: list[int] = []
    lock = threading.Lock()

    def buyer() -> None:
        client = Api(server)
        for _ in range(8):
            answer = client.decrement({"variantId": "hot-item", "decrementBy": 1})
            assert answer.status == 200
            if answer.body["results"][0]["itemMetadata"]["success"]:
                with lock:
                    successes.append(1)
            else:
                assert error_of(answer.body["results"][0]) == "INSUFFICIENT_INVENTORY"

    threads = [threading.Thread(target=buyer) for _ in range(8)]  # 64 attempts on 25 units
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    final = api.item(item["id"])
    assert len(successes) == 25
    assert final["quantity"] == 0
    assert final["revision"] == str(1 + 25)


def test_concurrent_preorders_never_pass_the_limit(server: str) -> None:
    barrier = threading.Barrier(6)
    outcomes: list[bool] = []

    def preorder() -> None:
        barrier.wait()
        answer = Api(server).decrement(
            {
                "variantId": SHOES_VARIANT,
                "locationId": SHOES_LOCATION,
                "decrementBy": 3,
                "preorderRequest": True,
            }
        )
        outcomes.append(answer.body["results"][0]["itemMetadata"]["success"])

    threads = [threading.Thread(target=preorder) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count(True) == 3  # 3 x 3 = 9 <= 10 < 12
    assert Api(server).item(SHOES_ITEM)["preorderInfo"]["counter"] == 9
