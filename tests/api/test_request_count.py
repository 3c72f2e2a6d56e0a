"""Regression guard for the round-trip budget: DynamoDB requests per line of a full bulk decrement.

A count is stable where a time is not: lines are written 50 to a transaction (each line is the item's
update and the witness of its change), then read back in batches of 100 keys for the results, so 300 lines
cost 6 + 3 = 9 requests (0.03 a line).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from stockroom.adapters.dynamodb.client import dynamodb_client
from stockroom.adapters.dynamodb.codec import item_to_attributes, profile_to_attributes
from stockroom.adapters.dynamodb.layout import table_name
from stockroom.core.domain import InventoryItem
from stockroom.core.packs import PACK_LINES
from stockroom_local.engine import Engine
from stockroom_local.gateway import make_server
from stockroom_local.seed import DEMO_DEFAULT_LOCATION_ID, DEMO_STORE_ID
from stockroom_local.template import Template
from tests.support import Api

LINES = 300
MAX_REQUESTS_PER_LINE = 0.05


def put_items(variant_ids: list[str]) -> None:
    items = [
        InventoryItem(
            id=v, store_id=DEMO_STORE_ID, variant_id=v, location_id=DEMO_DEFAULT_LOCATION_ID,
            product_id=v, track_quantity=True, quantity=5,
        )
        for v in variant_ids
    ]  # fmt: skip
    client = dynamodb_client()
    # An item is two records: its stock and its profile.
    records = [attrs for item in items for attrs in (item_to_attributes(item), profile_to_attributes(item))]
    for i in range(0, len(records), 25):
        client.batch_write_item(
            RequestItems={table_name(): [{"PutRequest": {"Item": attrs}} for attrs in records[i : i + 25]]}
        )


@pytest.fixture
def in_process_server(seeded: Engine, template: Template) -> Iterator[str]:
    """The gateway with handlers in this process, so the test can count their client's requests."""
    httpd = make_server(template, port=0, verbose=False, environments=0)
    thread = httpd.start_background()
    yield httpd.url
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_a_300_line_decrement_costs_at_most_0_05_requests_a_line(in_process_server: str) -> None:
    variant_ids = [f"guard-{i:03d}" for i in range(LINES)]
    put_items(variant_ids)
    api = Api(in_process_server)
    api.decrement({"variantId": variant_ids[0], "decrementBy": 1})  # warm: the store's default location

    requests: Counter[str] = Counter()

    def count(request: Any, **_: Any) -> None:
        requests[request.headers["X-Amz-Target"].decode().rpartition(".")[2]] += 1

    events = dynamodb_client().meta.events  # the handlers' client, reused across invocations
    events.register("before-send.dynamodb", count, unique_id="request-count-guard")
    try:
        answer = api.decrement(*({"variantId": v, "decrementBy": 1} for v in variant_ids))
    finally:
        events.unregister("before-send.dynamodb", unique_id="request-count-guard")

    assert answer.status == 200
    assert answer.body["bulkActionMetadata"]["totalSuccesses"] == LINES
    assert sum(requests.values()) <= MAX_REQUESTS_PER_LINE * LINES, requests
    # Packed: six transactions of 50 lines (100 operations), no read before a write, three reads after.
    assert requests["TransactWriteItems"] == LINES // PACK_LINES, requests
    assert requests["BatchGetItem"] == 3, requests
