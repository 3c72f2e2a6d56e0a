"""Idempotency-Key: a replay returns the first answer and changes nothing, however many race."""

from __future__ import annotations

import threading

import pytest

from tests.support import DEMO_STORE_ID, SOCKS_A_ITEM, SOCKS_A_VARIANT, Api

pytestmark = pytest.mark.usefixtures("seeded")

ONE_SOCK = {"decrementData": [{"variantId": SOCKS_A_VARIANT, "decrementBy": 1}], "returnEntity": True}
STOCK_QUANTITY = f"/v1/products/stock-quantity?store_id={DEMO_STORE_ID}"
PROSPERNA_LINE = [{"product_id": "63e4f4fabf61b3a5047d9da4", "purchased_quantity": 2}]


@pytest.fixture
def api(server: str) -> Api:
    return Api(server)


def decrement_with_key(api: Api, key: str, body: object = ONE_SOCK, **headers: str):  # type: ignore[no-untyped-def]
    return api.post(
        "/stores/v3/bulk/inventory-items/decrement-by-variant-and-location",
        body,
        headers={"Idempotency-Key": key, **headers},
    )


def test_a_replay_returns_the_first_answer_and_applies_once(api: Api) -> None:
    first = decrement_with_key(api, "order-1001")
    again = decrement_with_key(api, "order-1001")
    assert first.status == again.status == 200
    assert again.body == first.body
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert api.item(SOCKS_A_ITEM)["quantity"] == 8
    # Another key is another request.
    assert decrement_with_key(api, "order-1002").body["results"][0]["item"]["quantity"] == 7


def test_the_same_key_with_another_request_is_422_and_changes_nothing(api: Api) -> None:
    assert decrement_with_key(api, "order-2001").status == 200
    other = {"decrementData": [{"variantId": SOCKS_A_VARIANT, "decrementBy": 3}]}
    answer = decrement_with_key(api, "order-2001", other)
    assert answer.status == 422
    assert answer.body["details"]["applicationError"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert api.item(SOCKS_A_ITEM)["quantity"] == 8


def test_a_key_is_scoped_to_its_store(server: str) -> None:
    two_stores = Api(server, key="two-stores")
    created = two_stores.post(
        "/stores/v3/inventory-items",
        {"inventoryItem": {"variantId": SOCKS_A_VARIANT, "quantity": 5}},
        headers={"wix-site-id": "second-store"},
    )
    assert created.status == 200
    assert decrement_with_key(two_stores, "shared-key").status == 200
    second = decrement_with_key(two_stores, "shared-key", **{"wix-site-id": "second-store"})
    assert second.status == 200 and "Idempotent-Replayed" not in second.headers
    assert second.body["results"][0]["item"]["quantity"] == 4
    assert two_stores.item(SOCKS_A_ITEM)["quantity"] == 8


def test_ten_concurrent_replays_apply_once(server: str, api: Api) -> None:
    barrier = threading.Barrier(10)
    statuses: list[int] = []

    def replay() -> None:
        client = Api(server)
        barrier.wait()
        statuses.append(decrement_with_key(client, "order-race").status)

    threads = [threading.Thread(target=replay) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # The first is applied; each other one got the stored answer, or 409 while the first was in flight.
    assert set(statuses) <= {200, 409} and 200 in statuses
    assert api.item(SOCKS_A_ITEM)["quantity"] == 8
    assert decrement_with_key(api, "order-race").headers.get("Idempotent-Replayed") == "true"
    assert api.item(SOCKS_A_ITEM)["quantity"] == 8


def test_prosperna_orders_honour_the_key_too(api: Api) -> None:
    headers = {"Idempotency-Key": "prosperna-7"}
    assert api.post(STOCK_QUANTITY, PROSPERNA_LINE, headers=headers).status == 200
    replay = api.post(STOCK_QUANTITY, PROSPERNA_LINE, headers=headers)
    assert replay.status == 200 and replay.headers.get("Idempotent-Replayed") == "true"
    assert api.item("63e4f4fabf61b3a5047d9da4")["quantity"] == 18
    assert (
        api.post(STOCK_QUANTITY, [{**PROSPERNA_LINE[0], "purchased_quantity": 1}], headers=headers).status
        == 422
    )


def test_a_refused_request_is_not_remembered(api: Api) -> None:
    too_many = {"decrementData": [{"variantId": SOCKS_A_VARIANT, "decrementBy": 1}] * 301}
    assert decrement_with_key(api, "order-3001", too_many).status == 400
    # Nothing was stored for the key: the corrected request is a first request.
    answer = decrement_with_key(api, "order-3001")
    assert answer.status == 200 and "Idempotent-Replayed" not in answer.headers


@pytest.mark.parametrize("key", ["", "x" * 256, "bad key with spaces", "caf\u00e9"])
def test_a_malformed_key_is_400_and_changes_nothing(api: Api, key: str) -> None:
    answer = decrement_with_key(api, key)
    assert answer.status == 400, answer.body
    assert api.item(SOCKS_A_ITEM)["quantity"] == 9
