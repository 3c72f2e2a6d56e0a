"""The collector: TTL deletes an expired reservation's record (its TTL is its expiry while ACTIVE), and
ReservationExpiryFunction, fed the REMOVE from the table's real stream, frees the holds, records EXPIRE,
publishes the event and keeps the reservation as EXPIRED. The local TTL (stockroom_local.ttl) stands in
for DynamoDB's."""

from __future__ import annotations

import time
from typing import Any

import boto3
import pytest

from stockroom.adapters.dynamodb.inventory import DynamoDBInventoryRepository
from stockroom.adapters.dynamodb.layout import table_name
from stockroom.core.domain import ItemKey
from stockroom_local.streams import matches, subscriptions
from stockroom_local.template import Template
from stockroom_local.ttl import reap_expired
from tests.api.test_availability_events import StreamReader
from tests.api.test_reservations import RESERVATIONS, new_item, reserve, seconds_until
from tests.conftest import InvokeFunction, PublishedEvents
from tests.support import DEMO_STORE_ID, Api, ledger

# Seeded: the demo store has its default location (a handler caches it for minutes).
pytestmark = pytest.mark.usefixtures("seeded")


def timer_records(template: Template, batch: dict[str, Any]) -> dict[str, Any]:
    """The records the function's FilterCriteria let through, as Lambda's event source mapping would."""
    [subscription] = subscriptions(template, {"ReservationExpiryFunction"})
    return {"Records": [r for r in batch["Records"] if any(matches(p, r) for p in subscription.patterns)]}


def stored_reserved(item: dict[str, Any]) -> int:
    key = ItemKey(DEMO_STORE_ID, item["variantId"], item["locationId"])
    return DynamoDBInventoryRepository().get_items([key])[key].reserved


def test_ttl_and_the_stream_collect_an_expired_reservation(
    server: str,
    template: Template,
    invoke_function: InvokeFunction,
    published_events: PublishedEvents,
) -> None:
    api = Api(server)
    shirt = new_item(api, 5)
    reservation = reserve(api, (shirt, 2), ttl=1).body["reservation"]
    stream = StreamReader()
    time.sleep(max(0.0, seconds_until(reservation["expiresAt"])) + 1.0)  # TTL counts whole seconds
    assert stored_reserved(shirt) == 2  # nothing has reclaimed it yet (a read leaves it out, though)
    assert reap_expired(boto3.client("dynamodb"), table_name()) >= 1
    event = timer_records(template, stream.batch())
    assert len(event["Records"]) == 1
    for _ in range(2):  # a redelivered record changes nothing more
        assert invoke_function("ReservationExpiryFunction", event)["batchItemFailures"] == []
    assert stored_reserved(shirt) == 0
    assert api.get(f"{RESERVATIONS}/{reservation['id']}").body["reservation"]["status"] == "EXPIRED"
    assert [r["kind"] for r in ledger(api, shirt["id"])] == ["EXPIRE", "RESERVE", "CREATE"]
    published = published_events()
    assert {t for t, _ in published} == {"InventoryReservationExpired"}
    detail = published[0][1]
    assert (detail["reservationId"], detail["lines"][0]["quantity"]) == (reservation["id"], 2)


def test_a_confirmed_reservation_deleted_after_its_retention_changes_nothing(
    server: str,
    template: Template,
    invoke_function: InvokeFunction,
    published_events: PublishedEvents,
) -> None:
    api = Api(server)
    shirt = new_item(api, 5)
    reservation = reserve(api, (shirt, 2)).body["reservation"]
    stream = StreamReader()
    assert api.post(f"{RESERVATIONS}/{reservation['id']}/confirm", {}).status == 200
    # Its retention over, TTL deletes the record: a REMOVE the collector must skip.
    key = {"pk": {"S": f"STORE#{DEMO_STORE_ID}#RES#{reservation['id']}"}, "sk": {"S": "RESERVATION"}}
    boto3.client("dynamodb").delete_item(TableName=table_name(), Key=key)
    event = timer_records(template, stream.batch())
    assert len(event["Records"]) == 1
    assert invoke_function("ReservationExpiryFunction", event)["batchItemFailures"] == []
    assert published_events() == []
    assert api.item(shirt["id"])["quantity"] == 3
