"""Trust boundaries found by probing (issue 14 §3): store ids, duplicate JSON keys, the quantity ceiling,
and the API key's scheme."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stockroom.adapters.dynamodb.api_keys import DynamoDBApiKeyStore
from stockroom.core.api_keys import configured_keys, stores_for_key
from stockroom.core.rules import MAX_QUANTITY, MIN_QUANTITY
from stockroom.http.auth import stores_context, stores_from_event
from stockroom.http.exceptions import NotAuthenticated
from stockroom_local.cli import main as stockroom
from tests.support import DECREMENT_BY_VARIANT, SOCKS_A_ITEM, SOCKS_A_VARIANT, Api

pytestmark = pytest.mark.usefixtures("seeded")

INCREMENT_BY_VARIANT = "/stores/v3/bulk/inventory-items/increment-by-variant-and-location"
STOCK_QUANTITY = "/v1/products/stock-quantity?store_id=639749a5cb1db88617891bf0"


# --- store ids -------------------------------------------------------------------------------------------


def test_a_configured_key_with_a_comma_in_a_store_id_covers_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "STOCKROOM_API_KEYS",
        json.dumps({"key-c": ["store-c,store-b"], "key-d": ["store-d", "x#y"], "ok": ["s"]}),
    )
    assert configured_keys() == {"ok": ["s"]}
    assert (
        stores_for_key("key-c", DynamoDBApiKeyStore()) is None
        and stores_for_key("key-d", DynamoDBApiKeyStore()) is None
    )


def test_keys_create_refuses_a_store_id_outside_the_id_pattern(capsys: pytest.CaptureFixture[str]) -> None:
    assert stockroom(["keys", "create", "--store", "evil,store-b"]) == 2
    captured = capsys.readouterr()
    assert "not a store id: 'evil,store-b'" in captured.err and captured.out == ""


def test_the_authorizer_context_carries_the_stores_as_json() -> None:
    context = stores_context(["a", "b"])
    assert json.loads(context["stores"]) == ["a", "b"]
    assert stores_from_event({"requestContext": {"authorizer": context}}) == ["a", "b"]
    # The old comma-joined form, or an id outside the pattern, is no list of stores at all.
    for raw in ("store-c,store-b", '["store-c,store-b"]', "[]", "7"):
        with pytest.raises(NotAuthenticated):
            stores_from_event({"requestContext": {"authorizer": {"stores": raw}}})


def test_the_bearer_scheme_is_case_insensitive(server: str) -> None:
    for header in ("Bearer local-dev-key", "bearer local-dev-key", "BEARER  local-dev-key"):
        assert stores_for_key(header, DynamoDBApiKeyStore()) == ["639749a5cb1db88617891bf0"], header
        assert Api(server, key=header).get(f"/stores/v3/inventory-items/{SOCKS_A_ITEM}").status == 200
    assert stores_for_key("Basic local-dev-key", DynamoDBApiKeyStore()) is None


def test_a_long_wix_site_id_is_not_echoed_whole(server: str) -> None:
    answer = Api(server).get(
        f"/stores/v3/inventory-items/{SOCKS_A_ITEM}", headers={"wix-site-id": "z" * 60_000}
    )
    assert answer.status == 403
    echoed = answer.body["details"]["applicationError"]["data"]["storeId"]
    assert echoed == "z" * 128 + "..."


# --- duplicate keys --------------------------------------------------------------------------------------


def test_duplicate_json_keys_are_a_400_in_the_wix_dialect(server: str) -> None:
    line = f'{{"variantId": "{SOCKS_A_VARIANT}", "decrementBy": 1, "decrementBy": 5}}'
    raw = f'{{"decrementData": [{line}], "restrictInventory": true}}'
    api = Api(server)
    answer = api.post(DECREMENT_BY_VARIANT, raw=raw)
    assert answer.status == 400 and "duplicate key 'decrementBy'" in answer.body["message"], answer.body
    assert api.item(SOCKS_A_ITEM)["quantity"] == 9


def test_duplicate_json_keys_are_a_400_in_the_prosperna_dialect(server: str) -> None:
    raw = '[{"product_id": "63e4f4fabf61b3a5047d9da4", "purchased_quantity": 1, "purchased_quantity": 20}]'
    answer = Api(server).post(STOCK_QUANTITY, raw=raw)
    assert answer.status == 400 and "duplicate key" in answer.body["message"], answer.body


# --- the quantity ceiling --------------------------------------------------------------------------------


def _increment(api: Api, variant_id: str, *units: int) -> list[dict[str, Any]]:
    answer = api.post(
        INCREMENT_BY_VARIANT,
        {"incrementData": [{"variantId": variant_id, "incrementBy": n} for n in units], "returnEntity": True},
    )
    assert answer.status == 200, answer.body
    return list(answer.body["results"])


def test_increments_cannot_take_a_quantity_past_the_ceiling(server: str) -> None:
    api = Api(server)
    item = api.create(variantId="ceiling", quantity=0)
    # The probe: one request of many large increments of one item once passed any bound.
    results = _increment(api, "ceiling", *[MAX_QUANTITY] * 5)
    assert [r["itemMetadata"]["success"] for r in results] == [True, False, False, False, False]
    error = results[1]["itemMetadata"]["error"]
    assert error["code"] == "MAX_QUANTITY_LIMIT_REACHED"
    assert error["data"]["available"] == 0 and error["data"]["quantity"] == MAX_QUANTITY
    after = api.item(item["id"])
    assert after["quantity"] == MAX_QUANTITY and after["revision"] == "2"
    # Still within the bounds update validates against: the count can be restated.
    restated = api.post(
        "/stores/v3/bulk/inventory-items/update",
        {"inventoryItems": [{"inventoryItem": {"id": item["id"], "revision": "2", "quantity": 5}}]},
    )
    assert restated.status == 200 and restated.body["results"][0]["itemMetadata"]["success"], restated.body


def test_an_increment_up_to_the_ceiling_exactly_is_applied(server: str) -> None:
    api = Api(server)
    item = api.create(variantId="near-ceiling", quantity=MAX_QUANTITY - 10)
    [refused] = _increment(api, "near-ceiling", 11)
    assert refused["itemMetadata"]["error"]["data"]["available"] == 10
    [applied] = _increment(api, "near-ceiling", 10)
    assert applied["item"]["quantity"] == MAX_QUANTITY
    assert api.item(item["id"])["quantity"] == MAX_QUANTITY


def test_a_decrement_allowed_below_zero_stops_at_the_floor(server: str) -> None:
    """restrictInventory false lets stock go negative, down to Wix's -99,999 and not one unit further."""
    api = Api(server)
    item = api.create(variantId="floor", quantity=1)
    lines = [{"variantId": "floor", "decrementBy": MAX_QUANTITY}, {"variantId": "floor", "decrementBy": 1}]
    answer = api.decrement(*lines, restrictInventory=False)
    # 1 - 99,999, then -99,999 exactly: the floor itself is allowed.
    assert [r["itemMetadata"]["success"] for r in answer.body["results"]] == [True, True]
    one_more = {"variantId": "floor", "decrementBy": 1}
    [refused] = api.decrement(one_more, restrictInventory=False).body["results"]
    assert refused["itemMetadata"]["error"]["code"] == "MIN_QUANTITY_LIMIT_REACHED"
    assert api.item(item["id"])["quantity"] == MIN_QUANTITY
