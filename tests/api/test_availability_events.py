"""AvailabilityFunction on the table's real stream (moto's, over HTTP): one event per crossing."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import pytest

from stockroom.adapters.dynamodb.layout import table_name
from stockroom.core.domain import DecrementLine, IncrementLine, InventoryItem, ItemDraft, ItemKey
from stockroom.core.rules import Crossing, availability_crossings
from stockroom.wiring import inventory_service
from tests.conftest import InvokeFunction, PublishedEvents
from tests.support import DEMO_DEFAULT_LOCATION_ID, DEMO_STORE_ID

pytestmark = pytest.mark.usefixtures("clean_tables")


class StreamReader:
    """Reads the table's stream from now on, each record once, as Lambda's event source would."""

    def __init__(self) -> None:
        self.streams = boto3.client("dynamodbstreams")
        arn = boto3.client("dynamodb").describe_table(TableName=table_name())["Table"]["LatestStreamArn"]
        shard = self.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        self.iterator = self.streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST"
        )["ShardIterator"]

    def batch(self) -> dict[str, Any]:
        answer = self.streams.get_records(ShardIterator=self.iterator)
        self.iterator = answer["NextShardIterator"]
        return {"Records": answer["Records"]}


def create(variant_id: str, quantity: int, **fields: Any) -> ItemKey:
    service = inventory_service()
    draft = ItemDraft(
        variant_id=variant_id, quantity=quantity, location_id=DEMO_DEFAULT_LOCATION_ID, **fields
    )
    return service.create_item(DEMO_STORE_ID, draft, service.audit_context("create", None)).key


def sell(key: ItemKey, units: int, *, restrict: bool = True) -> None:
    service = inventory_service()
    [result] = service.decrement(
        [DecrementLine(0, key, units)],
        restrict_inventory=restrict,
        # A request id of its own: DynamoDB refuses a transaction token reused with other parameters.
        audit=service.audit_context(f"sell-{units}-{uuid.uuid4().hex[:8]}", None),
        return_entity=False,
    )
    assert result.success


def restock(key: ItemKey, quantity: int) -> None:
    """Bring the item to `quantity` by an increment (the counts stay consistent: `available` follows)."""
    service = inventory_service()
    current = service.get_items([key])[key].quantity or 0
    [result] = service.increment(
        [IncrementLine(0, key, quantity - current)],
        audit=service.audit_context(f"restock-{uuid.uuid4().hex[:8]}", None),
        return_entity=False,
    )
    assert result.success


def run(invoke_function: InvokeFunction, stream: StreamReader) -> None:
    result = invoke_function("AvailabilityFunction", stream.batch())
    assert result == {"batchItemFailures": []}


def test_going_out_of_stock_twice_publishes_once(
    invoke_function: InvokeFunction, published_events: PublishedEvents
) -> None:
    stream = StreamReader()
    key = create("socks", 10, low_stock_threshold=3)
    sell(key, 8)  # 10 -> 2: under the threshold
    sell(key, 1)  # 2 -> 1: still low, no new crossing
    sell(key, 1)  # 1 -> 0: out of stock
    sell(key, 2, restrict=False)  # 0 -> -2: further below zero, no new crossing
    run(invoke_function, stream)  # the stream also holds the audit records and the pointer: ignored
    published = published_events()
    assert [(t, d["previousQuantity"], d["quantity"]) for t, d in published] == [
        ("InventoryItemLowStock", 10, 2),
        ("InventoryItemOutOfStock", 1, 0),
    ]
    assert published[0][1]["lowStockThreshold"] == 3
    assert published[1][1]["availabilityStatus"] == "OUT_OF_STOCK"


def test_back_in_stock_publishes_once_and_low_stock_uses_the_default_threshold(
    invoke_function: InvokeFunction, published_events: PublishedEvents
) -> None:
    key = create("hat", 1)
    sell(key, 1)
    stream = StreamReader()
    restock(key, 20)  # 0 -> 20: back in stock
    restock(key, 30)  # still in stock: nothing
    sell(key, 25)  # 30 -> 5: at the template's default threshold (5)
    run(invoke_function, stream)
    assert [(t, d["quantity"]) for t, d in published_events()] == [
        ("InventoryItemBackInStock", 20),
        ("InventoryItemLowStock", 5),
    ]


def test_a_failed_publish_is_a_batch_item_failure(
    invoke_function: InvokeFunction, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stockroom.adapters import eventbridge as bus

    class Down:
        def put_events(self, **kwargs: Any) -> dict[str, Any]:
            return {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure"}]}

    key = create("scarf", 1)
    stream = StreamReader()
    sell(key, 1)
    monkeypatch.setattr(bus, "events_client", Down)
    event = stream.batch()
    modify = [r for r in event["Records"] if r["eventName"] == "MODIFY"]
    result = invoke_function("AvailabilityFunction", event)
    assert [f["itemIdentifier"] for f in result["batchItemFailures"]] == [
        r["dynamodb"]["SequenceNumber"] for r in modify
    ]


ITEM = InventoryItem("i", "s", "v", "l", "p", track_quantity=True, quantity=10)


@pytest.mark.parametrize(
    ("before", "after", "crossings"),
    [
        ({"quantity": 10}, {"quantity": 9}, []),
        ({"quantity": 10}, {"quantity": 5}, [Crossing.LOW_STOCK]),
        ({"quantity": 5}, {"quantity": 4}, []),
        ({"quantity": 10}, {"quantity": 0}, [Crossing.OUT_OF_STOCK]),
        ({"quantity": 0}, {"quantity": -1}, []),
        ({"quantity": 0}, {"quantity": 2}, [Crossing.BACK_IN_STOCK]),  # lands low: the event has its count
        (
            {"quantity": 6, "low_stock_threshold": 5},
            {"quantity": 6, "low_stock_threshold": 8},
            [Crossing.LOW_STOCK],
        ),
        (
            {"track_quantity": False, "quantity": None, "in_stock": True},
            {"track_quantity": False, "quantity": None, "in_stock": False},
            [Crossing.OUT_OF_STOCK],
        ),
    ],
)
def test_crossings(before: dict[str, Any], after: dict[str, Any], crossings: list[Crossing]) -> None:
    from dataclasses import replace

    assert (
        availability_crossings(replace(ITEM, **before), replace(ITEM, **after), default_threshold=5)
        == crossings
    )
