"""The Wix V3 calls on one item over real HTTP: PATCH with its revision, DELETE and bulk delete; an item
created again for a deleted variant and location; the ledger and the feed of deleted items; holds."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest

from stockroom_local.seed import DEMO_DEFAULT_LOCATION_ID
from tests.support import SOCKS_A_ITEM, SOCKS_A_VARIANT, Api, eventually, ledger

pytestmark = pytest.mark.usefixtures("seeded")

ITEM = "/stores/v3/inventory-items"
BULK_DELETE = "/stores/v3/bulk/inventory-items/delete"
FEED = "/stores/v3/inventory-adjustments"


@pytest.fixture
def api(server: str) -> Api:
    return Api(server)


def patch(api: Api, item_id: str, body: dict[str, Any]) -> Any:
    return api.call("PATCH", f"{ITEM}/{item_id}", body)


def delete(api: Api, item_id: str) -> Any:
    return api.call("DELETE", f"{ITEM}/{item_id}")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def assert_400(answer: Any) -> None:
    assert answer.status == 400, answer.body
    assert answer.body["details"]["validationError"]["fieldViolations"], answer.body


# --- PATCH ------------------------------------------------------------------------------------------------


def test_patch_updates_the_item_at_its_revision(api: Api) -> None:
    before = api.item(SOCKS_A_ITEM)
    answer = patch(
        api,
        SOCKS_A_ITEM,
        {"inventoryItem": {"revision": before["revision"], "quantity": 42}, "reason": "STOCKTAKE"},
    )
    assert answer.status == 200, answer.body
    item = answer.body["inventoryItem"]
    assert item["quantity"] == 42 and int(item["revision"]) == int(before["revision"]) + 1
    assert api.item(SOCKS_A_ITEM) == item
    [record] = ledger(api, SOCKS_A_ITEM, limit=1)
    assert (record["kind"], record["reason"], record["delta"]) == (
        "UPDATE",
        "STOCKTAKE",
        42 - before["quantity"],
    )
    assert (record["quantityBefore"], record["quantityAfter"]) == (before["quantity"], 42)


def test_patch_with_a_stale_revision_is_409_and_changes_nothing(api: Api) -> None:
    stale = api.item(SOCKS_A_ITEM)["revision"]
    api.decrement({"variantId": SOCKS_A_VARIANT, "decrementBy": 1})
    before = api.item(SOCKS_A_ITEM)
    answer = patch(api, SOCKS_A_ITEM, {"inventoryItem": {"revision": stale, "quantity": 1}})
    assert answer.status == 409, answer.body
    error = answer.body["details"]["applicationError"]
    assert error["code"] == "REVISION_MISMATCH"
    assert error["data"]["currentRevision"] == before["revision"]
    assert api.item(SOCKS_A_ITEM) == before


@pytest.mark.parametrize(
    "body",
    [
        {"inventoryItem": {"revision": "1"}},  # nothing to change
        {"inventoryItem": {"revision": "1", "quantity": -100_000}},
        {"inventoryItem": {"revision": "1", "quantity": 1.5}},
        {"inventoryItem": {"revision": "1", "quantity": "3"}},
        {"inventoryItem": {"revision": 1, "quantity": 3}},
        {"inventoryItem": {"revision": "1", "quantity": 3, "id": "another-item"}},
        {"inventoryItem": {"revision": "1", "quantity": 3, "extendedFields": {}}},
        {"inventoryItem": {"quantity": 3}},
    ],
)
def test_patch_refuses_bad_input_and_changes_nothing(api: Api, body: dict[str, Any]) -> None:
    before = api.item(SOCKS_A_ITEM)
    assert_400(patch(api, SOCKS_A_ITEM, body))
    assert api.item(SOCKS_A_ITEM) == before


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        # A count below zero is what sales may leave, not one an update sets lower than the item's own.
        ({"quantity": -1}, "REQUESTED_QUANTITY_MUST_BE_NON_NEGATIVE_DECREASING"),
        ({"variantId": "another-variant", "quantity": 3}, "IMMUTABLE_FIELD"),
        ({"inStock": True, "preorderInfo": {"enabled": True, "limit": 4}}, "PRE_ORDER_VALIDATION"),
    ],
)
def test_patch_refuses_what_the_item_cannot_take(api: Api, changes: dict[str, Any], code: str) -> None:
    before = api.item(SOCKS_A_ITEM)
    answer = patch(api, SOCKS_A_ITEM, {"inventoryItem": {"revision": "1", **changes}})
    assert answer.status == 409, answer.body
    assert answer.body["details"]["applicationError"]["code"] == code
    assert api.item(SOCKS_A_ITEM) == before


def test_an_item_read_with_the_sdk_can_be_sent_back_whole(api: Api) -> None:
    """Wix's read-only fields (dates, availability, counters, product) are accepted and ignored."""
    item = api.item(SOCKS_A_ITEM)
    answer = patch(api, SOCKS_A_ITEM, {"inventoryItem": {**item, "quantity": 4}, "reason": "MANUAL"})
    assert answer.status == 200, answer.body
    after = answer.body["inventoryItem"]
    assert (after["quantity"], after["revision"], after["product"]) == (4, "2", item["product"])


@pytest.mark.parametrize("item_id", ["x" * 129, "a*b", "unknown-item"])
def test_patch_of_a_bad_or_unknown_id(api: Api, item_id: str) -> None:
    answer = patch(api, item_id, {"inventoryItem": {"revision": "1", "quantity": 3}})
    assert answer.status == (404 if item_id == "unknown-item" else 400), answer.body


# --- DELETE -----------------------------------------------------------------------------------------------


def test_a_deleted_item_is_gone_and_its_variant_and_location_can_be_created_again(api: Api) -> None:
    start = now()
    old = api.create(variantId="doomed", quantity=7)
    api.decrement({"variantId": "doomed", "decrementBy": 2})
    ledger(api, old["id"])  # its ledger caught up: CREATE, DECREMENT

    answer = delete(api, old["id"])
    assert (answer.status, answer.body) == (200, {})
    assert api.get(f"{ITEM}/{old['id']}").status == 404
    [line] = api.decrement({"variantId": "doomed", "decrementBy": 1}).body["results"]
    assert line["itemMetadata"]["error"]["code"] == "NOT_FOUND"
    assert delete(api, old["id"]).status == 404  # deleted once
    assert api.get(f"{ITEM}/{old['id']}/adjustments").status == 404

    again = api.create(variantId="doomed", quantity=3)
    assert again["id"] != old["id"] and again["revision"] == "1"
    assert again["locationId"] == old["locationId"] == DEMO_DEFAULT_LOCATION_ID
    api.decrement({"variantId": "doomed", "decrementBy": 1})
    records = ledger(api, again["id"])  # the new item's own chain, from revision 1
    assert [(r["kind"], r["revision"]) for r in records] == [("DECREMENT", "2"), ("CREATE", "1")]

    def history() -> list[dict[str, Any]] | None:
        found = api.get(f"{FEED}?since={start}").body["adjustments"]
        mine = [r for r in found if r["inventoryItemId"] == old["id"]]
        return mine if len(mine) == 3 else None

    # The feed still shows the deleted item's whole history, its DELETE last: units leave the books.
    old_records = eventually(history, what="the deleted item's history in the feed")
    assert [r["kind"] for r in old_records] == ["CREATE", "DECREMENT", "DELETE"]
    deletion = old_records[-1]
    assert (deletion["revision"], deletion["quantityBefore"], deletion["quantityAfter"]) == ("3", 5, 0)
    assert deletion["delta"] == -5 and deletion["reason"] == "DELETE"
    for before, after in itertools.pairwise(old_records):
        assert after["quantityBefore"] == before["quantityAfter"]
    assert sum(r["delta"] for r in old_records) == 0


def test_bulk_delete_answers_each_id_in_wix_bulk_shape(api: Api) -> None:
    first = api.create(variantId="bulk-gone-1", quantity=1)
    second = api.create(variantId="bulk-gone-2", inStock=True)
    ids = [first["id"], "unknown-item", second["id"], first["id"]]
    answer = api.post(BULK_DELETE, {"inventoryItemIds": ids})
    assert answer.status == 200, answer.body
    results = answer.body["results"]
    assert [r["itemMetadata"]["originalIndex"] for r in results] == [0, 1, 2, 3]
    assert [r["itemMetadata"]["success"] for r in results] == [True, False, True, False]
    assert results[0]["itemMetadata"]["id"] == first["id"]
    assert results[1]["itemMetadata"]["error"]["code"] == "INVENTORY_ITEM_NOT_FOUND"
    assert results[3]["itemMetadata"]["error"]["code"] == "INVENTORY_ITEM_NOT_FOUND"  # deleted once
    assert answer.body["bulkActionMetadata"] == {
        "totalSuccesses": 2,
        "totalFailures": 2,
        "undetailedFailures": 0,
    }
    assert api.get(f"{ITEM}/{first['id']}").status == 404
    assert api.get(f"{ITEM}/{second['id']}").status == 404


@pytest.mark.parametrize(
    "ids",
    [[], [""], ["x" * 129], [SOCKS_A_ITEM, 7], "not-a-list", [SOCKS_A_ITEM] * 1001],
)
def test_bulk_delete_refuses_bad_input_and_deletes_nothing(api: Api, ids: Any) -> None:
    assert_400(api.post(BULK_DELETE, {"inventoryItemIds": ids}))
    assert api.item(SOCKS_A_ITEM)["id"] == SOCKS_A_ITEM


def test_bulk_delete_takes_1000_ids(api: Api) -> None:
    answer = api.post(BULK_DELETE, {"inventoryItemIds": [f"none-{i}" for i in range(1000)]})
    assert answer.status == 200, answer.body
    assert answer.body["bulkActionMetadata"]["totalFailures"] == 1000


def test_another_stores_item_is_not_deleted(server: str) -> None:
    answer = Api(server, key="second-store-key").call("DELETE", f"{ITEM}/{SOCKS_A_ITEM}")
    assert answer.status == 404, answer.body
    assert Api(server).item(SOCKS_A_ITEM)["id"] == SOCKS_A_ITEM


def test_an_item_that_holds_units_for_reservations_is_not_deleted(api: Api) -> None:
    """Decision: a delete would lose live holds, so it is refused (409 INVENTORY_ITEM_RESERVED) while a
    reservation holds units of the item; the refusal is the delete's own condition. Released, it goes."""
    item = api.create(variantId="held", quantity=5)
    held = api.post(
        "/stores/v3/inventory-reservations",
        {"reservation": {"lines": [{"variantId": "held", "quantity": 2}]}},
    )
    assert held.status == 201, held.body
    answer = delete(api, item["id"])
    assert answer.status == 409, answer.body
    error = answer.body["details"]["applicationError"]
    assert error["code"] == "INVENTORY_ITEM_RESERVED" and error["data"]["reservedQuantity"] == 2
    [result] = api.post(BULK_DELETE, {"inventoryItemIds": [item["id"]]}).body["results"]
    assert result["itemMetadata"]["error"]["code"] == "INVENTORY_ITEM_RESERVED"
    assert api.item(item["id"])["reservedQuantity"] == 2  # nothing changed
    reservation_id = held.body["reservation"]["id"]
    assert api.post(f"/stores/v3/inventory-reservations/{reservation_id}/release").status == 200
    assert delete(api, item["id"]).status in (200, 204)
    assert api.get(f"{ITEM}/{item['id']}").status == 404


def test_delete_refuses_a_bad_id(api: Api) -> None:
    assert delete(api, "x" * 129).status == 400
    assert api.item(SOCKS_A_ITEM)["variantId"] == SOCKS_A_VARIANT
