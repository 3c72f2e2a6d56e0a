"""Hostile payloads against both dialects: always a clear 4xx, never a 500, never a change."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support import DECREMENT_BY_VARIANT, DEMO_STORE_ID, SOCKS_A_ITEM, SOCKS_A_VARIANT, Api

pytestmark = pytest.mark.usefixtures("seeded")

STOCK_QUANTITY = f"/v1/products/stock-quantity?store_id={DEMO_STORE_ID}"
SIMPLE_PRODUCT = "63e4f4fabf61b3a5047d9da4"


def wix_line(**fields: Any) -> str:
    return json.dumps({"decrementData": [{"variantId": SOCKS_A_VARIANT, "decrementBy": 1, **fields}]})


def prosperna_line(**fields: Any) -> str:
    return json.dumps([{"product_id": SIMPLE_PRODUCT, "purchased_quantity": 1, **fields}])


HOSTILE: list[tuple[str, str, str | bytes, int]] = [
    ("wix: over 1 MB", DECREMENT_BY_VARIANT, '{"reason": "' + "x" * 1_100_000 + '"}', 413),
    ("prosperna: over 1 MB", STOCK_QUANTITY, "[" + ",".join(["1"] * 600_000) + "]", 413),
    ("wix: nested 10000 deep", DECREMENT_BY_VARIANT, '{"a":' * 10000 + "1" + "}" * 10000, 400),
    ("prosperna: nested 10000 deep", STOCK_QUANTITY, "[" * 10000 + "]" * 10000, 400),
    ("wix: NaN", DECREMENT_BY_VARIANT, wix_line().replace('"decrementBy": 1', '"decrementBy": NaN'), 400),
    (
        "wix: Infinity",
        DECREMENT_BY_VARIANT,
        wix_line().replace('"decrementBy": 1', '"decrementBy": Infinity'),
        400,
    ),
    ("wix: 1e400", DECREMENT_BY_VARIANT, wix_line().replace('"decrementBy": 1', '"decrementBy": 1e400'), 400),
    ("prosperna: -Infinity", STOCK_QUANTITY, prosperna_line().replace(": 1}", ": -Infinity}"), 400),
    ("wix: id of 129 characters", DECREMENT_BY_VARIANT, wix_line(variantId="v" * 129), 400),
    ("wix: control character in id", DECREMENT_BY_VARIANT, wix_line(variantId="abc\u0000def"), 400),
    ("wix: newline in id", DECREMENT_BY_VARIANT, wix_line(variantId="abc\ndef"), 400),
    ("wix: key separator in id", DECREMENT_BY_VARIANT, wix_line(variantId="a#LOC#b"), 400),
    ("prosperna: id of 129 characters", STOCK_QUANTITY, prosperna_line(product_id="p" * 129), 400),
    (
        "wix: reason of 257 characters",
        DECREMENT_BY_VARIANT,
        wix_line()[:-1] + ', "reason": "' + "r" * 257 + '"}',
        400,
    ),
    ("wix: operator as id", DECREMENT_BY_VARIANT, wix_line(variantId={"$ne": None}), 400),
    ("prosperna: operator as id", STOCK_QUANTITY, prosperna_line(product_id={"$gt": ""}), 400),
    ("wix: list as id", DECREMENT_BY_VARIANT, wix_line(variantId=[SOCKS_A_VARIANT]), 400),
    ("wix: boolean as integer", DECREMENT_BY_VARIANT, wix_line(decrementBy=True), 400),
    ("prosperna: boolean as integer", STOCK_QUANTITY, prosperna_line(purchased_quantity=True), 400),
    (
        "wix: not UTF-8",
        DECREMENT_BY_VARIANT,
        b'{"decrementData": [{"variantId": "\xc3\x28", "decrementBy": 1}]}',
        400,
    ),
    ("prosperna: not UTF-8", STOCK_QUANTITY, b'[{"product_id": "\xff", "purchased_quantity": 1}]', 400),
    ("prosperna: huge integer", STOCK_QUANTITY, prosperna_line(purchased_quantity=10**400), 400),
]


@pytest.mark.parametrize(("case", "path", "raw", "status"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_input_is_a_clear_4xx_and_changes_nothing(
    server: str, case: str, path: str, raw: str | bytes, status: int
) -> None:
    api = Api(server)
    answer = api.post(path, raw=raw)
    assert answer.status == status, (case, answer.body)
    assert isinstance(answer.body, dict) and answer.body.get("message"), answer.body
    assert api.item(SOCKS_A_ITEM)["quantity"] == 9
    assert api.item(SIMPLE_PRODUCT)["quantity"] == 20


@pytest.mark.parametrize("item_id", ["x" * 129, "a%00b", "a%0Ab", "a%23ITEM"])
def test_a_hostile_path_id_is_400(server: str, item_id: str) -> None:
    answer = Api(server).get(f"/stores/v3/inventory-items/{item_id}")
    assert answer.status == 400, answer.body
