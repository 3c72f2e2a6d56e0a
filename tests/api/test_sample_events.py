"""Every sample event in events/<FunctionLogicalId>/ runs, as `sam local invoke` would run it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stockroom_local.template import load_template

InvokeFunction = Callable[[str, Any], Any]
EVENTS = Path(__file__).resolve().parents[2] / "events"

# The status each API sample answers on the seeded engine (kept here: the event files stay plain events).
EXPECTED_STATUS = {
    "WixInventoryFunction/decrement-by-variant-and-location.json": 200,
    "WixInventoryFunction/create-inventory-item.json": 200,
    "WixInventoryFunction/get-inventory-item.json": 200,
    "ProspernaStockFunction/decrease-stock-quantity.json": 200,
    "ProspernaStockFunction/get-stock-quantity.json": 200,
    "ApiDocsFunction/openapi-document.json": 200,
    "WixInventoryFunction/bulk-create-inventory-items.json": 200,
    "WixInventoryFunction/bulk-update-inventory-items.json": 200,
    "WixInventoryFunction/increment-by-variant-and-location.json": 200,
    "WixInventoryFunction/increment.json": 200,
    "WixInventoryFunction/decrement.json": 200,
    "WixInventoryFunction/query-inventory-items.json": 200,
    # As Wix's SDK sends a query: GET, the request in `.r` (base64url JSON).
    "WixInventoryFunction/query-inventory-items-by-get.json": 200,
    "WixInventoryFunction/list-adjustments.json": 200,
    "WixInventoryFunction/list-store-adjustments.json": 200,
    "WixReservationsFunction/create-reservation.json": 201,
}

# The batch item failures each event-source sample reports (message ids of the poison messages).
EXPECTED_BATCH_ITEM_FAILURES = {
    "OrderPlacedFunction/order-placed.json": [],
    "OrderPlacedFunction/poison-and-good.json": ["2e1424d4-f796-459a-8184-9c92662be6da"],
    "AvailabilityFunction/out-of-stock.json": [],
    "LedgerFunction/decrement.json": [],
    # A confirmed reservation's record deleted after its retention: nothing to do, nothing failed.
    "ReservationExpiryFunction/reservation-removed.json": [],
    "ItemEventsFunction/decrement.json": [],
}

SAMPLES = sorted(
    f"{logical_id}/{path.name}"
    for logical_id in load_template().functions
    for path in (EVENTS / logical_id).glob("*.json")
)


def test_every_sample_has_an_expected_result() -> None:
    expected = set(EXPECTED_STATUS) | set(EXPECTED_BATCH_ITEM_FAILURES)
    assert {s for s in SAMPLES if not s.startswith("AuthorizerFunction/")} == expected


@pytest.mark.parametrize("sample", SAMPLES)
def test_sample_event(sample: str, seeded: object, invoke_function: InvokeFunction) -> None:
    logical_id = sample.split("/")[0]
    result = invoke_function(logical_id, json.loads((EVENTS / sample).read_text()))
    if logical_id == "AuthorizerFunction":
        statement = result["policyDocument"]["Statement"][0]
        assert (statement["Effect"], statement["Action"]) == ("Allow", "execute-api:Invoke")
        assert result["context"]["stores"] == '["639749a5cb1db88617891bf0"]'
    elif sample in EXPECTED_BATCH_ITEM_FAILURES:
        failed = [failure["itemIdentifier"] for failure in result["batchItemFailures"]]
        assert failed == EXPECTED_BATCH_ITEM_FAILURES[sample]
    else:
        assert result["statusCode"] == EXPECTED_STATUS[sample], result["body"]
        json.loads(result["body"])  # every answer is JSON


def test_sample_decrement_gives_the_spec_results(seeded: object, invoke_function: InvokeFunction) -> None:
    event = json.loads((EVENTS / "WixInventoryFunction/decrement-by-variant-and-location.json").read_text())
    body = json.loads(invoke_function("WixInventoryFunction", event)["body"])
    items = [r["item"] for r in body["results"]]
    assert [i["quantity"] for i in items] == [8, 7, 0]
    assert items[2]["preorderInfo"]["counter"] == 2


@pytest.mark.parametrize(
    "sample",
    [s for s in EXPECTED_STATUS if s.startswith("WixInventoryFunction/bulk") or "crement" in s],
)
def test_every_bulk_sample_applies_every_line(
    sample: str, seeded: object, invoke_function: InvokeFunction
) -> None:
    body = json.loads(
        invoke_function("WixInventoryFunction", json.loads((EVENTS / sample).read_text()))["body"]
    )
    assert body["bulkActionMetadata"]["totalFailures"] == 0, body
