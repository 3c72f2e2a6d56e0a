"""Transfers between locations over real HTTP: each line -n at the source and +n at the destination in one
transaction, or nothing; TRANSFER_OUT and TRANSFER_IN in the ledger; lines sharing an item in request
order; 12 racing transfers of 5 units."""

from __future__ import annotations

import itertools
import threading
from typing import Any

import pytest

from tests.support import Api, ledger

pytestmark = pytest.mark.usefixtures("seeded")

TRANSFER = "/stores/v3/bulk/inventory-items/transfer"


@pytest.fixture
def api(server: str) -> Api:
    return Api(server)


def line(variant: str, source: str, destination: str, quantity: Any = 1) -> dict[str, Any]:
    return {"variantId": variant, "fromLocationId": source, "toLocationId": destination, "quantity": quantity}


def transfer(api: Api, *lines: dict[str, Any], **options: Any) -> list[dict[str, Any]]:
    answer = api.post(TRANSFER, {"transferData": list(lines), **options})
    assert answer.status == 200, answer.body
    results: list[dict[str, Any]] = answer.body["results"]
    return results


def quantities(api: Api, *items: dict[str, Any]) -> list[int]:
    return [api.item(item["id"])["quantity"] for item in items]


def test_a_transfer_moves_units_and_records_both_halves(api: Api) -> None:
    source = api.create(variantId="moved", locationId="shop", quantity=5)
    destination = api.create(variantId="moved", locationId="store-room", quantity=1)
    [result] = transfer(api, line("moved", "shop", "store-room", 3), reason="RESTOCK", returnEntity=True)
    assert result["itemMetadata"] == {"id": source["id"], "originalIndex": 0, "success": True}
    assert result["item"]["quantity"] == 2 and result["item"]["locationId"] == "shop"
    assert quantities(api, source, destination) == [2, 4]
    [out, _] = ledger(api, source["id"])
    [into, _] = ledger(api, destination["id"])
    assert (out["kind"], out["delta"], out["quantityBefore"], out["quantityAfter"]) == (
        "TRANSFER_OUT",
        -3,
        5,
        2,
    )
    assert (into["kind"], into["delta"], into["quantityBefore"], into["quantityAfter"]) == (
        "TRANSFER_IN",
        3,
        1,
        4,
    )
    assert out["reason"] == into["reason"] == "RESTOCK" and out["requestId"] == into["requestId"]


@pytest.mark.parametrize(
    ("source_fields", "destination_fields", "code", "side"),
    [
        ({"quantity": 2}, {"quantity": 0}, "INSUFFICIENT_INVENTORY", "from"),
        # Stockroom's own call speaks Wix's words for what Wix has words for (by variant and location).
        (None, {"quantity": 0}, "NOT_FOUND", "from"),
        ({"quantity": 5}, None, "NOT_FOUND", "to"),
        ({"inStock": True}, {"quantity": 0}, "INVENTORY_QUANTITY_NOT_TRACKED", "from"),
        ({"quantity": 5}, {"inStock": False}, "INVENTORY_QUANTITY_NOT_TRACKED", "to"),
        ({"quantity": 5}, {"quantity": 99_998}, "MAX_QUANTITY_LIMIT_REACHED", "to"),
    ],
)
def test_a_refused_line_changes_neither_end(
    api: Api,
    source_fields: dict[str, Any] | None,
    destination_fields: dict[str, Any] | None,
    code: str,
    side: str,
) -> None:
    made = [
        api.create(variantId="refused", locationId=location, **fields) if fields is not None else None
        for location, fields in (("a", source_fields), ("b", destination_fields))
    ]
    before = [api.item(item["id"]) if item else None for item in made]
    [result] = transfer(api, line("refused", "a", "b", 3))
    metadata = result["itemMetadata"]
    assert metadata["success"] is False
    assert (metadata["error"]["code"], metadata["error"]["data"]["side"]) == (code, side)
    assert [api.item(item["id"]) if item else None for item in made] == before


def test_lines_that_share_an_item_run_in_request_order(api: Api) -> None:
    a = api.create(variantId="chain", locationId="a", quantity=4)
    b = api.create(variantId="chain", locationId="b", quantity=0)
    c = api.create(variantId="chain", locationId="c", quantity=0)
    other = api.create(variantId="elsewhere", locationId="a", quantity=1)
    api.create(variantId="elsewhere", locationId="b", quantity=0)
    # The second line takes from b what the first brought it; the third from c what the second did.
    results = transfer(
        api,
        line("chain", "a", "b", 4),
        line("chain", "b", "c", 4),
        line("elsewhere", "a", "b", 1),
        line("chain", "c", "a", 1),
    )
    assert [r["itemMetadata"]["success"] for r in results] == [True] * 4
    assert quantities(api, a, b, c, other) == [1, 0, 3, 0]


def test_racing_transfers_never_move_more_than_there_is(server: str) -> None:
    api = Api(server)
    source = api.create(variantId="raced-transfer", locationId="from", quantity=5)
    destination = api.create(variantId="raced-transfer", locationId="to", quantity=0)
    outcomes: list[bool] = []

    def move() -> None:
        [result] = transfer(Api(server), line("raced-transfer", "from", "to", 1))
        metadata = result["itemMetadata"]
        assert metadata["success"] or metadata["error"]["code"] == "INSUFFICIENT_INVENTORY", metadata
        outcomes.append(metadata["success"])

    threads = [threading.Thread(target=move) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(outcomes) == 12 and outcomes.count(True) == 5
    assert quantities(api, source, destination) == [0, 5]
    # The ledgers balance: five records out, five in, each chain exact from its CREATE.
    for item, kind, quantity in ((source, "TRANSFER_OUT", 0), (destination, "TRANSFER_IN", 5)):
        records = list(reversed(ledger(api, item["id"])))
        assert [r["kind"] for r in records] == ["CREATE"] + [kind] * 5
        assert [int(r["revision"]) for r in records] == list(range(1, 7))
        for before, after in itertools.pairwise(records):
            assert after["quantityBefore"] == before["quantityAfter"]
        assert records[-1]["quantityAfter"] == quantity
    moved_out = sum(r["delta"] for r in ledger(api, source["id"]) if r["kind"] == "TRANSFER_OUT")
    moved_in = sum(r["delta"] for r in ledger(api, destination["id"]) if r["kind"] == "TRANSFER_IN")
    assert (moved_out, moved_in) == (-5, 5)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"transferData": [line("bad", "a", "a")]}, "transferData[0]"),
        ({"transferData": [line("bad", "a", "b", 0)]}, "transferData[0].quantity"),
        ({"transferData": [line("bad", "a", "b", -2)]}, "transferData[0].quantity"),
        ({"transferData": [line("bad", "a", "b", 1.5)]}, "transferData[0].quantity"),
        ({"transferData": [line("bad", "a", "b", "1")]}, "transferData[0].quantity"),
        ({"transferData": [line("", "a", "b")]}, "transferData[0].variantId"),
        ({"transferData": [line("bad", "x" * 129, "b")]}, "transferData[0].fromLocationId"),
        ({"transferData": [line("bad", "a", "")]}, "transferData[0].toLocationId"),
        ({"transferData": [{"variantId": "bad", "toLocationId": "b", "quantity": 1}]}, "transferData[0]"),
        ({"transferData": []}, "transferData"),
        ({"transferData": [line("bad", "a", "b")] * 301}, "transferData"),
        ({"transferData": [line("bad", "a", "b")], "reason": ""}, "reason"),
    ],
)
def test_bad_transfers_are_400_and_change_nothing(api: Api, body: dict[str, Any], field: str) -> None:
    a = api.create(variantId="bad", locationId="a", quantity=5)
    b = api.create(variantId="bad", locationId="b", quantity=0)
    # A good line beside the bad one: the whole request is refused, so it is not applied either.
    body = {**body, "transferData": [*body["transferData"], line("bad", "a", "b", 1)]}
    if field == "transferData" and len(body["transferData"]) == 1:
        body["transferData"] = []
    answer = api.post(TRANSFER, body)
    assert answer.status == 400, answer.body
    violations = answer.body["details"]["validationError"]["fieldViolations"]
    assert any(v["field"].startswith(field) for v in violations), violations
    assert quantities(api, a, b) == [5, 0]


def test_another_stores_items_are_not_found(server: str) -> None:
    Api(server).create(variantId="mine", locationId="a", quantity=5)
    Api(server).create(variantId="mine", locationId="b", quantity=0)
    [result] = transfer(Api(server, key="second-store-key"), line("mine", "a", "b", 1))
    assert result["itemMetadata"]["error"]["code"] == "NOT_FOUND"
