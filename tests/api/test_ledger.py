"""The exact ledger over HTTP (SPEC §8): written from the table's stream, a chain per item under any
concurrency, a store-wide feed, and the query's updatedDate filter."""

from __future__ import annotations

import itertools
import json
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from stockroom.adapters.dynamodb.layout import feed_pk
from tests.conftest import InvokeFunction
from tests.support import DEMO_STORE_ID, SOCKS_A_ITEM, Api, eventually, ledger

pytestmark = pytest.mark.usefixtures("seeded")

INCREMENT = "/stores/v3/bulk/inventory-items/increment-by-variant-and-location"
FEED = "/stores/v3/inventory-adjustments"


@pytest.fixture
def api(server: str) -> Api:
    return Api(server)


def assert_chain(records: list[dict[str, Any]], quantity: int) -> None:
    """Revisions 1..N with no gap, each record starting where the one before ended, the last at `quantity`."""
    oldest_first = list(reversed(records))
    assert [int(r["revision"]) for r in oldest_first] == list(range(1, len(records) + 1))
    for before, after in itertools.pairwise(oldest_first):
        assert after["quantityBefore"] == before["quantityAfter"], (before, after)
    assert oldest_first[-1]["quantityAfter"] == quantity


def all_records(api: Api, item_id: str) -> list[dict[str, Any]]:
    """Every record of an item's ledger, newest first, once the ledger has caught up with the item."""
    ledger(api, item_id, limit=1)
    records: list[dict[str, Any]] = []
    page = api.get(f"/stores/v3/inventory-items/{item_id}/adjustments?limit=100").body
    while True:
        records += page["adjustments"]
        cursor = page["pagingMetadata"]["cursors"].get("next")
        if cursor is None:
            return records
        page = api.get(f"/stores/v3/inventory-items/{item_id}/adjustments?limit=100&cursor={cursor}").body


def test_racing_writers_leave_an_exact_chain(server: str) -> None:
    Api(server).create(variantId="raced", quantity=60)
    applied: list[str] = []

    def writer(n: int) -> None:
        api = Api(server)
        for i in range(15):
            line = {"variantId": "raced"}
            if (n + i) % 3:
                answer = api.decrement({**line, "decrementBy": 1})
                kind = "DECREMENT"
            else:
                answer = api.post(INCREMENT, {"incrementData": [{**line, "incrementBy": 1}]})
                kind = "INCREMENT"
            assert answer.status == 200, answer.body
            if answer.body["results"][0]["itemMetadata"]["success"]:
                applied.append(kind)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    api = Api(server)
    found = api.post("/stores/v3/inventory-items/query", {"query": {"filter": {"variantId": "raced"}}})
    [raced] = found.body["inventoryItems"]
    records = all_records(api, raced["id"])
    assert len(records) == 1 + len(applied)  # one record per applied change, and the CREATE
    assert sorted(r["kind"] for r in records[:-1]) == sorted(applied)
    assert_chain(records, raced["quantity"])
    assert raced["quantity"] == 60 - applied.count("DECREMENT") + applied.count("INCREMENT")


def test_the_feed_is_the_stores_ledger_oldest_first(api: Api) -> None:
    # After the seed's records: the feed from here holds this test's changes only.
    start = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    time.sleep(0.002)
    api.create(variantId="fed", quantity=3)
    api.decrement({"variantId": "fed", "decrementBy": 1})
    api.decrement({"variantId": "4d9126f7-6fcb-423a-89df-bd5e61b83b01", "decrementBy": 1})

    def three() -> list[dict[str, Any]] | None:
        answer = api.get(f"{FEED}?since={start}&limit=2")
        assert answer.status == 200, answer.body
        records = answer.body["adjustments"]
        cursor = answer.body["pagingMetadata"]["cursors"].get("next")
        while cursor:
            page = api.get(f"{FEED}?since={start}&limit=2&cursor={cursor}").body
            records += page["adjustments"]
            cursor = page["pagingMetadata"]["cursors"].get("next")
        return records if len(records) == 3 else None

    records = eventually(three, what="three records in the feed")
    assert [r["kind"] for r in records] == ["CREATE", "DECREMENT", "DECREMENT"]
    assert [r["createdDate"] for r in records] == sorted(r["createdDate"] for r in records)
    assert records[2]["inventoryItemId"] == SOCKS_A_ITEM


@pytest.mark.parametrize("params", ["since=yesterday", "since=2026-01-01T00:00:00", "limit=0", "cursor=zz"])
def test_the_feed_refuses_bad_paging(api: Api, params: str) -> None:
    answer = api.get(f"{FEED}?{params}")
    assert answer.status == 400, answer.body


def test_the_feed_is_only_the_callers_store(server: str) -> None:
    answer = Api(server, key="second-store-key").get(FEED)
    assert answer.status == 200 and answer.body["adjustments"] == []


def test_query_filters_on_updated_date(api: Api) -> None:
    before = api.item(SOCKS_A_ITEM)["updatedDate"]
    time.sleep(0.01)
    api.decrement({"variantId": "4d9126f7-6fcb-423a-89df-bd5e61b83b01", "decrementBy": 1})
    changed = api.item(SOCKS_A_ITEM)["updatedDate"]

    def ids(condition: dict[str, str]) -> set[str]:
        answer = api.post(
            "/stores/v3/inventory-items/query", {"query": {"filter": {"updatedDate": condition}}}
        )
        assert answer.status == 200, answer.body
        return {item["id"] for item in answer.body["inventoryItems"]}

    assert ids({"$gt": before}) == {SOCKS_A_ITEM}
    assert SOCKS_A_ITEM in ids({"$gte": changed})
    assert SOCKS_A_ITEM not in ids({"$gt": changed})
    assert SOCKS_A_ITEM not in ids({"$lt": changed})
    assert SOCKS_A_ITEM in ids({"$lte": changed})
    bad = api.post(
        "/stores/v3/inventory-items/query", {"query": {"filter": {"updatedDate": {"$gt": "soon"}}}}
    )
    assert bad.status == 400


def test_a_redelivered_stream_record_writes_the_same_record(
    api: Api, invoke_function: InvokeFunction
) -> None:
    sample = Path(__file__).resolve().parents[2] / "events" / "LedgerFunction" / "decrement.json"
    event = json.loads(sample.read_text())
    item = event["Records"][0]["dynamodb"]["NewImage"]
    for _ in range(2):  # the stream delivers at least once
        assert invoke_function("LedgerFunction", event) == {"batchItemFailures": []}
    pk = item["pk"]["S"]
    records = boto3.client("dynamodb").query(
        TableName="InventoryTable",
        KeyConditionExpression="pk = :pk AND sk = :sk",
        ExpressionAttributeValues={":pk": {"S": pk}, ":sk": {"S": f"ADJ#{item['id']['S']}#000000000004"}},
    )["Items"]
    assert len(records) == 1
    record = records[0]
    exact = (record["kind"]["S"], record["quantityBefore"]["N"], record["quantityAfter"]["N"])
    assert exact == ("DECREMENT", "2", "0")
    assert record["feedPk"]["S"] == feed_pk(DEMO_STORE_ID, record["inventoryItemId"]["S"])
