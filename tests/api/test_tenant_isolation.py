"""Two stores, two keys: every way of reaching the other store's stock is 403 or 404, and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import (
    DECREMENT_BY_VARIANT,
    DEMO_STORE_ID,
    SOCKS_A_ITEM,
    SOCKS_A_VARIANT,
    SOCKS_B_ITEM,
    Api,
)

pytestmark = pytest.mark.usefixtures("seeded")

OTHER_STORE = "second-store"


@pytest.fixture
def owner(server: str) -> Api:
    return Api(server)  # local-dev-key: the demo store only


@pytest.fixture
def intruder(server: str) -> Api:
    return Api(server, key="second-store-key")  # second-store only


def snapshot(owner: Api) -> list[dict[str, Any]]:
    return [owner.item(i) for i in (SOCKS_A_ITEM, SOCKS_B_ITEM, "63e4f4fabf61b3a5047d9da4")]


def test_every_cross_store_attempt_is_403_or_404_and_changes_nothing(owner: Api, intruder: Api) -> None:
    before = snapshot(owner)
    at_owner = {"wix-site-id": DEMO_STORE_ID}
    one_sock = {"decrementData": [{"variantId": SOCKS_A_VARIANT, "decrementBy": 1}]}
    by_id = {"decrementData": [{"inventoryItemId": SOCKS_A_ITEM, "decrementBy": 1}]}

    # Naming the other store outright: 403 before anything is read.
    assert intruder.get(f"/stores/v3/inventory-items/{SOCKS_A_ITEM}", headers=at_owner).status == 403
    assert intruder.post(DECREMENT_BY_VARIANT, one_sock, headers=at_owner).status == 403
    assert intruder.post("/stores/v3/bulk/inventory-items/decrement", by_id, headers=at_owner).status == 403
    assert intruder.post("/stores/v3/inventory-items/query", {"query": {}}, headers=at_owner).status == 403
    prosperna = [{"product_id": "63e4f4fabf61b3a5047d9da4", "purchased_quantity": 1}]
    assert intruder.post(f"/v1/products/stock-quantity?store_id={DEMO_STORE_ID}", prosperna).status == 403
    assert (
        intruder.get(
            f"/v1/products/stock-quantity?store_id={DEMO_STORE_ID}&product_id=63e4f4fabf61b3a5047d9da4"
        )
    ).status == 403

    # Within its own store, the other store's items do not exist.
    assert intruder.get(f"/stores/v3/inventory-items/{SOCKS_A_ITEM}").status == 404
    assert intruder.get(f"/stores/v3/inventory-items/{SOCKS_A_ITEM}/adjustments").status == 404
    by_variant = intruder.post(DECREMENT_BY_VARIANT, one_sock)
    assert by_variant.body["results"][0]["itemMetadata"]["error"]["code"] == "NOT_FOUND"
    by_item_id = intruder.post("/stores/v3/bulk/inventory-items/decrement", by_id)
    assert by_item_id.body["results"][0]["itemMetadata"]["error"]["code"] == "INVENTORY_ITEM_NOT_FOUND"
    assert intruder.post("/stores/v3/inventory-items/query", {"query": {}}).body["inventoryItems"] == []
    assert intruder.post(f"/v1/products/stock-quantity?store_id={OTHER_STORE}", prosperna).status == 400

    assert snapshot(owner) == before
