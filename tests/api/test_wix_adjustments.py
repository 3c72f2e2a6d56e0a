"""An item's audit trail (its adjustments) over real HTTP: every kind of change, newest first, paged."""

from __future__ import annotations

import pytest

from tests.api.wix_helpers import (
    DECREMENT_BY_ID,
    INCREMENT_BY_ID,
    SECOND_STORE,
    adjustments,
    assert_400,
    error_of,
    ok,
    update,
)
from tests.support import (
    SOCKS_A_ITEM,
    SOCKS_A_VARIANT,
    SOCKS_B_ITEM,
    Api,
    ledger,
)

pytestmark = pytest.mark.usefixtures("seeded")


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


def test_the_audit_trail_refuses_a_bad_item_id(api: Api) -> None:
    assert_400(api.get(f"/stores/v3/inventory-items/{'x' * 129}/adjustments"))
