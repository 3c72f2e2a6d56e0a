"""The Prosperna dialect over real HTTP: all or nothing, every failing line named, never negative."""

from __future__ import annotations

import json
import threading
from typing import Any

import boto3
import pytest

from stockroom.adapters.dynamodb.layout import table_name
from tests.support import DEMO_STORE_ID, SHOES_VARIANT, Api, eventually

pytestmark = pytest.mark.usefixtures("seeded", "stream_pump")

STOCK_QUANTITY = f"/v1/products/stock-quantity?store_id={DEMO_STORE_ID}"
SIMPLE_PRODUCT = "63e4f4fabf61b3a5047d9da4"  # 20 units, no variants
COMBINATION = "63e64f99ca104a61440fd50b"  # 10 units, a variant combination of 63e64f99ca104a61440fd500

# Prosperna's documented example, verbatim.
PROSPERNA_EXAMPLE = [
    {"product_id": "63e4f4fabf61b3a5047d9da4", "purchased_quantity": 9},
    {"purchased_quantity": 5, "product_variant_combination_id": "63e64f99ca104a61440fd50b"},
]
SUCCESS = {"data": None, "message": "Inventory successfully updated.", "statusCode": 200}


@pytest.fixture
def api(server: str) -> Api:
    return Api(server)


def stock(api: Api, *variant_ids: str) -> list[Any]:
    """Quantities as the Wix dialect reads them (demo items: the item id is the variant id)."""
    return [api.item(variant_id).get("quantity") for variant_id in variant_ids]


def adjustments(variant_id: str) -> list[dict[str, Any]]:
    pk = f"STORE#{DEMO_STORE_ID}#VARIANT#{variant_id}#LOC#b6e63540-242c-462a-ac6c-b1e449e0c194"
    answer = boto3.client("dynamodb").query(
        TableName=table_name(),
        KeyConditionExpression="pk = :pk AND begins_with(sk, :adj)",
        ExpressionAttributeValues={":pk": {"S": pk}, ":adj": {"S": "ADJ#"}},
    )
    return answer["Items"]


def test_the_documented_example_works_verbatim(api: Api) -> None:
    answer = api.post(STOCK_QUANTITY, PROSPERNA_EXAMPLE)
    assert (answer.status, answer.body) == (200, SUCCESS)
    assert stock(api, SIMPLE_PRODUCT, COMBINATION) == [11, 5]
    # Each applied line leaves its audit record, reason ORDER.
    for variant_id, units in ((SIMPLE_PRODUCT, 9), (COMBINATION, 5)):
        records = eventually(
            lambda v=variant_id: [r for r in adjustments(v) if r["kind"]["S"] == "DECREMENT"] or None,
            what="the ledger's DECREMENT record",
        )
        assert [(r["delta"]["N"], r["reason"]["S"]) for r in records] == [(str(-units), "ORDER")]


def test_one_short_line_changes_nothing_and_is_named(api: Api) -> None:
    answer = api.post(
        STOCK_QUANTITY,
        [
            {"product_id": SIMPLE_PRODUCT, "purchased_quantity": 2},
            {"product_variant_combination_id": COMBINATION, "purchased_quantity": 11},
        ],
    )
    assert answer.status == 400
    assert answer.body["error"] is True and answer.body["statusCode"] == 400
    assert answer.body["data"]["failures"] == [
        {
            "index": 1,
            "product_variant_combination_id": COMBINATION,
            "code": "INSUFFICIENT_INVENTORY",
            "message": "Requested 11 units, but only 10 are in stock.",
            "requested": 11,
            "available": 10,
        }
    ]
    assert stock(api, SIMPLE_PRODUCT, COMBINATION) == [20, 10]
    kinds = eventually(lambda: [r["kind"]["S"] for r in adjustments(SIMPLE_PRODUCT)] or None, what="CREATE")
    assert kinds == ["CREATE"]


def test_every_failing_line_is_named_not_only_the_first(api: Api) -> None:
    answer = api.post(
        STOCK_QUANTITY,
        [
            {"product_id": SIMPLE_PRODUCT, "purchased_quantity": 21},
            {"product_variant_combination_id": COMBINATION, "purchased_quantity": 1},
            {"product_id": "no-such-product", "purchased_quantity": 1},
        ],
    )
    assert answer.status == 400
    failures = answer.body["data"]["failures"]
    assert [(f["index"], f["code"]) for f in failures] == [
        (0, "INSUFFICIENT_INVENTORY"),
        (2, "PRODUCT_NOT_FOUND"),
    ]
    assert failures[1]["product_id"] == "no-such-product"
    assert stock(api, SIMPLE_PRODUCT, COMBINATION) == [20, 10]


def test_lines_for_one_item_are_merged_and_judged_together(api: Api) -> None:
    twice = [
        {"product_variant_combination_id": COMBINATION, "purchased_quantity": 6},
        {"product_variant_combination_id": COMBINATION, "purchased_quantity": 6},
    ]
    answer = api.post(STOCK_QUANTITY, twice)
    assert answer.status == 400
    assert [(f["index"], f["requested"], f["available"]) for f in answer.body["data"]["failures"]] == [
        (0, 12, 10),
        (1, 12, 10),
    ]
    twice[1]["purchased_quantity"] = 4
    assert api.post(STOCK_QUANTITY, twice).status == 200
    assert stock(api, COMBINATION) == [0]


def test_an_always_in_stock_product_is_accepted_and_left_unchanged(api: Api) -> None:
    untracked = api.create(variantId="gift-card", inStock=True)
    answer = api.post(
        STOCK_QUANTITY,
        [
            {"product_id": "gift-card", "purchased_quantity": 3},
            {"product_id": SIMPLE_PRODUCT, "purchased_quantity": 1},
        ],
    )
    assert (answer.status, answer.body) == (200, SUCCESS)
    assert api.item(untracked["id"]) == untracked
    assert stock(api, SIMPLE_PRODUCT) == [19]


def test_a_sold_out_preorder_item_is_not_preordered_on_this_dialect(api: Api) -> None:
    # Running Shoes: 0 in stock, preorder open. Prosperna lines carry no preorder request (SPEC §4).
    api.create(variantId="preorder-only", quantity=0, preorderInfo={"enabled": True})
    answer = api.post(STOCK_QUANTITY, [{"product_id": "preorder-only", "purchased_quantity": 1}])
    assert answer.status == 400
    assert answer.body["data"]["failures"][0]["code"] == "INSUFFICIENT_INVENTORY"
    assert SHOES_VARIANT  # the demo's own preorder item stays untouched by this dialect's tests


def test_the_store_must_be_named_and_covered_by_the_key(server: str, api: Api) -> None:
    missing = api.post("/v1/products/stock-quantity", PROSPERNA_EXAMPLE)
    assert missing.status == 400
    assert missing.body["data"]["failures"][0]["field"] == "store_id"
    foreign = api.post("/v1/products/stock-quantity?store_id=someone-elses-store", PROSPERNA_EXAMPLE)
    assert foreign.status == 403 and foreign.body["error"] is True
    assert Api(server, key=None).post(STOCK_QUANTITY, PROSPERNA_EXAMPLE).status == 401
    assert Api(server, key="wrong").post(STOCK_QUANTITY, PROSPERNA_EXAMPLE).status == 401
    assert stock(api, SIMPLE_PRODUCT, COMBINATION) == [20, 10]


LINE = {"product_id": SIMPLE_PRODUCT}
BAD_BODIES: list[tuple[str, Any]] = [
    ("empty array", []),
    ("an object", {"product_id": SIMPLE_PRODUCT, "purchased_quantity": 1}),
    ("a string", "9"),
    ("null", None),
    ("both ids", [{**LINE, "product_variant_combination_id": COMBINATION, "purchased_quantity": 1}]),
    ("neither id", [{"purchased_quantity": 1}]),
    ("zero", [{**LINE, "purchased_quantity": 0}]),
    ("negative", [{**LINE, "purchased_quantity": -3}]),
    ("fractional", [{**LINE, "purchased_quantity": 1.5}]),
    ("a string quantity", [{**LINE, "purchased_quantity": "1"}]),
    ("a boolean quantity", [{**LINE, "purchased_quantity": True}]),
    ("over a billion", [{**LINE, "purchased_quantity": 1_000_000_001}]),
    ("a non-string id", [{"product_id": {"$ne": None}, "purchased_quantity": 1}]),
    ("51 lines", [{"product_id": f"p{i}", "purchased_quantity": 1} for i in range(51)]),
    ("a good line, then a bad one", [{**LINE, "purchased_quantity": 1}, {**LINE, "purchased_quantity": 0}]),
]


@pytest.mark.parametrize(("case", "body"), BAD_BODIES, ids=[c for c, _ in BAD_BODIES])
def test_bad_input_is_400_in_prospernas_body_and_changes_nothing(api: Api, case: str, body: Any) -> None:
    answer = api.post(STOCK_QUANTITY, raw=json.dumps(body))
    assert answer.status == 400, answer.body
    assert answer.body["error"] is True and answer.body["statusCode"] == 400
    assert answer.body["message"].startswith("Invalid request")
    assert answer.body["data"]["failures"]
    assert stock(api, SIMPLE_PRODUCT) == [20]


@pytest.mark.parametrize("raw", ["", "[", "not json", '[{"product_id": "x", "purchased_quantity": NaN}]'])
def test_malformed_json_is_400_and_changes_nothing(api: Api, raw: str) -> None:
    answer = api.post(STOCK_QUANTITY, raw=raw)
    assert answer.status == 400, answer.body
    assert answer.body["data"]["failures"][0]["field"] == "body"
    assert stock(api, SIMPLE_PRODUCT) == [20]


def test_racing_orders_apply_exactly_as_many_as_the_stock_allows(server: str, api: Api) -> None:
    scarce = api.create(variantId="race-scarce", quantity=30)
    plenty = api.create(variantId="race-plenty", quantity=100)
    order = [
        {"product_id": "race-scarce", "purchased_quantity": 1},
        {"product_id": "race-plenty", "purchased_quantity": 1},
    ]
    applied: list[int] = []
    rejected: list[int] = []

    def customer() -> None:
        client = Api(server)
        for _ in range(10):
            answer = client.post(STOCK_QUANTITY, order)
            if answer.status == 200:
                applied.append(1)
            else:
                assert answer.status == 400, answer.body
                assert [f["code"] for f in answer.body["data"]["failures"]] == ["INSUFFICIENT_INVENTORY"]
                rejected.append(1)

    threads = [threading.Thread(target=customer) for _ in range(8)]  # 80 orders against 30 units
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert (len(applied), len(rejected)) == (30, 50)
    assert api.item(scarce["id"])["quantity"] == 0
    assert (
        api.item(plenty["id"])["quantity"] == 70
    )  # every applied order took both lines, no rejected one did


def read_back(api: Api, product_id: str) -> Any:
    return api.get(f"{STOCK_QUANTITY}&product_id={product_id}")


def test_the_read_back_sums_a_products_combinations(api: Api) -> None:
    product = "63e64f99ca104a61440fd500"
    second = api.create(variantId="63e64f99ca104a61440fd50c", productId=product, quantity=7)
    before = read_back(api, product)
    assert before.status == 200
    assert before.body["data"] == {
        "product_id": product,
        "stock_quantity": 17,
        "variants": [
            {"product_variant_combination_id": COMBINATION, "stock_quantity": 10},
            {"product_variant_combination_id": second["variantId"], "stock_quantity": 7},
        ],
    }
    assert api.post(STOCK_QUANTITY, PROSPERNA_EXAMPLE).status == 200
    # Decrementing a combination decreases both it and its product.
    after = read_back(api, product).body["data"]
    assert (after["stock_quantity"], after["variants"][0]["stock_quantity"]) == (12, 5)
    simple = read_back(api, SIMPLE_PRODUCT).body
    assert simple == {
        "data": {"product_id": SIMPLE_PRODUCT, "stock_quantity": 11, "variants": []},
        "message": "Stock quantity retrieved.",
        "statusCode": 200,
    }


def test_the_read_back_of_an_unknown_product_is_404_and_needs_its_store(server: str, api: Api) -> None:
    missing = read_back(api, "no-such-product")
    assert missing.status == 404 and missing.body["data"]["failures"][0]["code"] == "PRODUCT_NOT_FOUND"
    assert api.get(f"/v1/products/stock-quantity?product_id={SIMPLE_PRODUCT}").status == 400
    assert api.get(f"/v1/products/stock-quantity?store_id=other&product_id={SIMPLE_PRODUCT}").status == 403
    assert api.get(STOCK_QUANTITY).status == 400
