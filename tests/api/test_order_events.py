"""OrderPlacedFunction over the embedded engine: orders from SQS applied all or nothing, exactly once, and
their outcomes published on the bus (read back through a rule and a queue, as a subscriber would)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

import boto3
import pytest

from stockroom.adapters import eventbridge as bus
from stockroom.adapters.dynamodb.inventory import DynamoDBInventoryRepository
from stockroom.adapters.dynamodb.layout import item_pk, order_pk, table_name
from stockroom.core.domain import IncrementLine, ItemKey
from stockroom.core.errors import StorageUnavailable
from stockroom.core.service import InventoryService
from stockroom.events.orders import MAX_ORDER_LINES
from stockroom_local.invoke import ExecutionEnvironments, invoke
from stockroom_local.template import Template, load_template
from tests.conftest import InvokeFunction, PublishedEvents
from tests.support import DEMO_DEFAULT_LOCATION_ID, DEMO_STORE_ID, SOCKS_B_VARIANT, eventually

pytestmark = pytest.mark.usefixtures("seeded", "stream_pump")

SIMPLE = "63e4f4fabf61b3a5047d9da4"  # 20 units
COMBINATION = "63e64f99ca104a61440fd50b"  # 10 units


def order(order_id: str, *lines: dict[str, Any], **detail: Any) -> dict[str, Any]:
    """An OrderPlaced event as EventBridge puts it in the queue."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "OrderPlaced",
        "source": "orders.example",  # the template's OrderEventSource
        "account": "123456789012",
        "detail": {"storeId": DEMO_STORE_ID, "orderId": order_id, "lines": list(lines), **detail},
    }


def line(variant_id: str, quantity: Any) -> dict[str, Any]:
    return {"variantId": variant_id, "quantity": quantity}


def batch(*bodies: Any) -> dict[str, Any]:
    """An SQS event; a body that is not a string is sent as its JSON. Message ids are m0, m1..."""
    return {
        "Records": [
            {
                "messageId": f"m{i}",
                "receiptHandle": f"r{i}",
                "body": body if isinstance(body, str) else json.dumps(body),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:OrderPlacedQueue",
                "awsRegion": "us-east-1",
            }
            for i, body in enumerate(bodies)
        ]
    }


def deliver(invoke_function: InvokeFunction, *bodies: Any) -> list[str]:
    """Deliver a batch; returns the message ids reported as failed."""
    result = invoke_function("OrderPlacedFunction", batch(*bodies))
    return [failure["itemIdentifier"] for failure in result["batchItemFailures"]]


def stock(*variant_ids: str) -> list[int | None]:
    keys = [ItemKey(DEMO_STORE_ID, v, DEMO_DEFAULT_LOCATION_ID) for v in variant_ids]
    items = DynamoDBInventoryRepository().get_items(keys)
    return [items[k].quantity for k in keys]


def decrements(variant_id: str) -> int:
    """How many DECREMENT records the item's ledger has, once the ledger (written from the stream) has
    caught up with the item: it holds one record per revision."""
    dynamodb = boto3.client("dynamodb")
    pk = item_pk(ItemKey(DEMO_STORE_ID, variant_id, DEMO_DEFAULT_LOCATION_ID))

    def caught_up() -> list[dict[str, Any]] | None:
        item = dynamodb.get_item(
            TableName=table_name(), Key={"pk": {"S": pk}, "sk": {"S": "ITEM"}}, ConsistentRead=True
        )["Item"]
        records: list[dict[str, Any]] = dynamodb.query(
            TableName=table_name(),
            KeyConditionExpression="pk = :pk AND begins_with(sk, :adj)",
            ExpressionAttributeValues={":pk": {"S": pk}, ":adj": {"S": "ADJ#"}},
            ConsistentRead=True,
        )["Items"]
        return records if len(records) == int(item["revision"]["N"]) else None

    records = eventually(caught_up, what=f"the ledger of {variant_id}")
    return sum(1 for record in records if record["kind"]["S"] == "DECREMENT")


def test_an_order_is_applied_and_its_outcome_arrives(
    invoke_function: InvokeFunction, published_events: PublishedEvents
) -> None:
    assert deliver(invoke_function, order("o-1", line(SIMPLE, 2), line(COMBINATION, 3))) == []
    assert stock(SIMPLE, COMBINATION) == [18, 7]
    [(detail_type, detail)] = published_events()
    assert detail_type == "InventoryDecremented"
    assert (detail["storeId"], detail["orderId"], detail["replay"]) == (DEMO_STORE_ID, "o-1", False)
    assert [(x["variantId"], x["quantity"], x["quantityAfter"]) for x in detail["lines"]] == [
        (SIMPLE, 2, 18),
        (COMBINATION, 3, 7),
    ]
    assert detail["lines"][0]["locationId"] == DEMO_DEFAULT_LOCATION_ID
    assert detail["lines"][0]["availabilityStatus"] == "IN_STOCK"


def test_a_replayed_order_is_applied_once_and_its_outcome_published_again(
    invoke_function: InvokeFunction, published_events: PublishedEvents
) -> None:
    placed = order("o-2", line(SIMPLE, 5))
    for _ in range(3):
        assert deliver(invoke_function, placed) == []
    assert stock(SIMPLE) == [15]
    assert decrements(SIMPLE) == 1
    published = published_events()
    assert [(t, d["replay"], d["lines"][0]["quantityAfter"]) for t, d in published] == [
        ("InventoryDecremented", False, 15),
        ("InventoryDecremented", True, 15),
        ("InventoryDecremented", True, 15),
    ]


def test_ten_copies_delivered_at_once_apply_once(
    environments: ExecutionEnvironments, published_events: PublishedEvents
) -> None:
    # Ten execution environments (worker processes) race, as ten Lambda instances would.
    placed = order("o-race", line(SIMPLE, 1), line(COMBINATION, 1))
    failures: list[list[str]] = []
    start = threading.Barrier(10)

    def copy() -> None:
        start.wait()
        failures.append(deliver(environments, placed))

    threads = [threading.Thread(target=copy) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == [[]] * 10
    assert stock(SIMPLE, COMBINATION) == [19, 9]
    assert decrements(SIMPLE) == decrements(COMBINATION) == 1
    replays = sorted(d["replay"] for t, d in published_events() if t == "InventoryDecremented")
    assert replays == [False] + [True] * 9


def test_one_short_line_changes_nothing_and_publishes_a_rejection(
    invoke_function: InvokeFunction, published_events: PublishedEvents
) -> None:
    assert deliver(invoke_function, order("o-3", line(SIMPLE, 2), line(COMBINATION, 11))) == []
    assert stock(SIMPLE, COMBINATION) == [20, 10]
    [(detail_type, detail)] = published_events()
    assert detail_type == "InventoryDecrementRejected"
    assert detail["orderId"] == "o-3"
    [failure] = detail["failures"]
    assert (failure["index"], failure["variantId"], failure["code"]) == (
        1,
        COMBINATION,
        "INSUFFICIENT_INVENTORY",
    )
    assert (failure["requested"], failure["available"]) == (11, 10)


def test_a_rejected_order_redelivered_after_a_restock_is_rejected_again(
    invoke_function: InvokeFunction, published_events: PublishedEvents
) -> None:
    placed = order("o-restock", line(SIMPLE, 2), line(COMBINATION, 11))
    assert deliver(invoke_function, placed) == []
    service = InventoryService(DynamoDBInventoryRepository())
    restock = IncrementLine(0, ItemKey(DEMO_STORE_ID, COMBINATION, DEMO_DEFAULT_LOCATION_ID), 5)
    assert service.increment([restock], audit=service.audit_context("restock", None), return_entity=False)[
        0
    ].success
    # The redelivery (SQS at least once, or a DLQ redrive) gets the answer the order got: its marker.
    assert deliver(invoke_function, placed) == []
    assert stock(SIMPLE, COMBINATION) == [20, 15]
    first, again = published_events()
    assert [first[0], again[0]] == ["InventoryDecrementRejected"] * 2
    assert (first[1]["replay"], again[1]["replay"]) == (False, True)
    assert again[1]["failures"] == first[1]["failures"]


def test_unknown_items_are_named_in_the_rejection(
    invoke_function: InvokeFunction, published_events: PublishedEvents
) -> None:
    assert deliver(invoke_function, order("o-4", line("no-such-variant", 1), line(SIMPLE, 1))) == []
    [(_, detail)] = published_events()
    assert [(f["index"], f["code"]) for f in detail["failures"]] == [(0, "INVENTORY_ITEM_NOT_FOUND")]
    assert stock(SIMPLE) == [20]


def test_restrict_inventory_false_is_refused_unless_the_deployment_allows_it(
    invoke_function: InvokeFunction, template: Template
) -> None:
    oversell = order("o-5", line(COMBINATION, 12), restrictInventory=False)
    assert deliver(invoke_function, oversell) == ["m0"]  # to the DLQ, never applied
    assert stock(COMBINATION) == [10]
    allowing = load_template(template.path, parameter_overrides={"OrdersMayOversell": "true"})
    result = invoke("OrderPlacedFunction", batch(oversell), allowing)
    assert result["batchItemFailures"] == [] and stock(COMBINATION) == [-2]


@pytest.mark.parametrize(
    "envelope",
    [
        {"source": "someone.else"},
        {"source": "stockroom.inventory"},
        {"account": "999999999999"},
        {"source": None},
    ],
)
def test_an_order_from_another_source_or_account_is_never_applied(
    invoke_function: InvokeFunction, published_events: PublishedEvents, envelope: dict[str, Any]
) -> None:
    forged = {**order("o-forged", line(SIMPLE, 1)), **envelope}
    forged = {k: v for k, v in forged.items() if v is not None}
    assert deliver(invoke_function, forged) == ["m0"]
    assert stock(SIMPLE) == [20] and published_events() == []


def test_a_duplicate_key_in_an_order_event_is_malformed(invoke_function: InvokeFunction) -> None:
    body = json.dumps(order("o-dup", line(SIMPLE, 1))).replace(
        '"quantity": 1', '"quantity": 1, "quantity": 15'
    )
    assert deliver(invoke_function, body) == ["m0"]
    assert stock(SIMPLE) == [20]


def test_a_batch_of_one_poison_message_and_one_good_one_reports_only_the_poison(
    invoke_function: InvokeFunction, published_events: PublishedEvents
) -> None:
    assert deliver(invoke_function, "not json", order("o-6", line(SIMPLE, 1))) == ["m0"]
    assert stock(SIMPLE) == [19]
    assert [t for t, _ in published_events()] == ["InventoryDecremented"]


BAD_BODIES: list[tuple[str, Any]] = [
    ("not JSON", "{not json"),
    ("a JSON array", "[]"),
    ("NaN", '{"detail-type": "OrderPlaced", "detail": NaN}'),
    ("no detail-type", {"detail": order("x", line(SIMPLE, 1))["detail"]}),
    ("no detail", {"detail-type": "OrderPlaced"}),
    ("detail null", {"detail-type": "OrderPlaced", "detail": None}),
    ("zero quantity", order("x", line(SIMPLE, 1), line(COMBINATION, 0))),
    ("negative quantity", order("x", line(SIMPLE, -1))),
    ("a string quantity", order("x", line(SIMPLE, "1"))),
    ("a fractional quantity", order("x", line(SIMPLE, 1.5))),
    ("no lines", order("x")),
    ("too many lines", order("x", *[line(f"v{i}", 1) for i in range(MAX_ORDER_LINES + 1)])),
    ("no store", {**order("x", line(SIMPLE, 1)), "detail": {"orderId": "x", "lines": [line(SIMPLE, 1)]}}),
    ("a bad order id", order("has#hash", line(SIMPLE, 1))),
    ("preorder and not, one item", order("x", line(SIMPLE, 1), {**line(SIMPLE, 1), "preorder": True})),
]


@pytest.mark.parametrize(("case", "body"), BAD_BODIES, ids=[c for c, _ in BAD_BODIES])
def test_a_malformed_message_is_a_batch_item_failure_and_touches_nothing(
    invoke_function: InvokeFunction, published_events: PublishedEvents, case: str, body: Any
) -> None:
    assert deliver(invoke_function, body) == ["m0"]
    assert stock(SIMPLE, COMBINATION) == [20, 10]
    assert published_events() == []


def test_an_unknown_detail_type_is_ignored(
    invoke_function: InvokeFunction, published_events: PublishedEvents
) -> None:
    other = {**order("o-7", line(SIMPLE, 1)), "detail-type": "OrderShipped"}
    assert deliver(invoke_function, other) == []
    assert stock(SIMPLE) == [20]
    assert published_events() == []


def test_an_always_in_stock_item_is_accepted_and_left_as_it_is(
    invoke_function: InvokeFunction, published_events: PublishedEvents
) -> None:
    from stockroom.core.domain import ItemDraft
    from stockroom.wiring import inventory_service

    service = inventory_service()
    service.create_item(
        DEMO_STORE_ID, ItemDraft(variant_id="gift-card", in_stock=True), service.audit_context("t", None)
    )
    assert deliver(invoke_function, order("o-8", line("gift-card", 3), line(SIMPLE, 1))) == []
    [(_, detail)] = published_events()
    assert [x["quantityAfter"] for x in detail["lines"]] == [None, 19]


class FailingEvents:
    """An EventBridge client whose first PutEvents calls fail as the real one may."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.real = boto3.client("events")

    def put_events(self, **kwargs: Any) -> dict[str, Any]:
        if self.failures:
            self.failures -= 1
            return {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure"}]}
        return dict(self.real.put_events(**kwargs))


def test_an_outcome_that_could_not_be_published_is_published_by_the_redelivery(
    invoke_function: InvokeFunction, published_events: PublishedEvents, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = FailingEvents(1)
    monkeypatch.setattr(bus, "events_client", lambda: failing)
    placed = order("o-9", line(SIMPLE, 4))
    assert deliver(invoke_function, placed) == ["m0"]  # applied, but the event is not out: it returns
    assert stock(SIMPLE) == [16]
    assert published_events() == []
    assert deliver(invoke_function, placed) == []  # the redelivery: the marker is there, stock stays
    assert stock(SIMPLE) == [16]
    assert [(t, d["replay"]) for t, d in published_events()] == [("InventoryDecremented", True)]


def test_storage_unavailable_is_a_batch_item_failure(
    invoke_function: InvokeFunction, published_events: PublishedEvents, monkeypatch: pytest.MonkeyPatch
) -> None:
    def busy(*args: Any, **kwargs: Any) -> None:
        raise StorageUnavailable("throttled")

    monkeypatch.setattr(DynamoDBInventoryRepository, "write_together", busy)
    assert deliver(
        invoke_function, order("o-10", line(SIMPLE, 1)), order("o-11", line(SOCKS_B_VARIANT, 1))
    ) == [
        "m0",
        "m1",
    ]
    monkeypatch.undo()
    assert stock(SIMPLE) == [20]
    assert published_events() == []


def test_an_order_marker_expires_by_the_tables_ttl_after_every_redelivery(
    invoke_function: InvokeFunction, template: Template
) -> None:
    assert deliver(invoke_function, order("o-ttl", line(SIMPLE, 1))) == []
    marker = boto3.client("dynamodb").get_item(
        TableName=table_name(), Key={"pk": {"S": order_pk(DEMO_STORE_ID, "o-ttl")}, "sk": {"S": "ORDER"}}
    )["Item"]
    ttl_attribute = template.tables["InventoryTable"]["TimeToLiveSpecification"]["AttributeName"]
    days_left = (int(marker[ttl_attribute]["N"]) - time.time()) / 86400
    # Past SQS's longest retention (14 days) plus the DLQ's (14 days), after which no copy can arrive.
    assert 28 < days_left <= 35
