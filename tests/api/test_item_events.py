"""ItemEventsFunction on the table's real stream (moto's, over HTTP): Wix-shaped item events for a create,
changes with a reason, a stock status change, a transfer and a delete; a replayed batch is told apart."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from stockroom.core.domain import DecrementLine, ItemDraft, ItemKey
from stockroom.core.transfers import TransferLine
from stockroom.wiring import inventory_service
from tests.api.test_availability_events import StreamReader
from tests.conftest import InvokeFunction, PublishedEvents
from tests.support import DEMO_DEFAULT_LOCATION_ID, DEMO_STORE_ID

pytestmark = pytest.mark.usefixtures("clean_tables")


def audit(name: str) -> Any:
    # A request id of its own: DynamoDB refuses a transaction token reused with other parameters.
    return inventory_service().audit_context(f"{name}-{uuid.uuid4().hex[:8]}", name.upper())


def test_each_change_publishes_its_wix_events_and_a_replay_is_recognised(
    invoke_function: InvokeFunction, published_events: PublishedEvents
) -> None:
    service = inventory_service()
    stream = StreamReader()
    draft = ItemDraft(variant_id="evented", quantity=2, location_id=DEMO_DEFAULT_LOCATION_ID)
    item = service.create_item(DEMO_STORE_ID, draft, audit("create"))
    other = service.create_item(DEMO_STORE_ID, ItemDraft("evented", "annex", quantity=0), audit("create"))
    [sold] = service.decrement(
        [DecrementLine(0, item.key, 1)], restrict_inventory=True, audit=audit("order"), return_entity=False
    )
    [moved] = service.transfer(
        [TransferLine(0, item.key, ItemKey(DEMO_STORE_ID, "evented", "annex"), 1)],
        audit=audit("restock"),
        return_entity=False,
    )
    assert sold.success and moved.success
    service.delete_item(DEMO_STORE_ID, item.id, audit("delete"))

    batch = stream.batch()
    for _ in range(2):  # the stream delivers at least once: the same batch again
        assert invoke_function("ItemEventsFunction", batch) == {"batchItemFailures": []}
    received = published_events()

    # A consumer that keeps the (item id, revision, slug) it has handled sees each event once.
    seen: dict[tuple[str, str, str], dict[str, Any]] = {}
    for _, detail in received:
        key = (detail["entityId"], detail["revision"], detail["slug"])
        assert seen.setdefault(key, detail) == detail  # a repeat is the very same event
    assert len(received) == 2 * len(seen)

    mine = sorted(
        ((int(revision), slug) for item_id, revision, slug in seen if item_id == item.id),
    )
    assert mine == [
        (1, "created"),
        (2, "updated"),
        (2, "updated_with_reason"),
        (3, "stock_status_changed"),
        (3, "updated"),
        (3, "updated_with_reason"),
        (4, "deleted"),
    ]
    by_slug = {(int(k[1]), k[2]): v for k, v in seen.items() if k[0] == item.id}
    created = by_slug[(1, "created")]
    assert created["entityFqdn"] == "wix.stores.catalog.v3.inventory_item"
    assert created["storeId"] == DEMO_STORE_ID and created["createdEvent"]["entity"]["quantity"] == 2
    sale = by_slug[(2, "updated_with_reason")]["actionEvent"]["body"]
    assert (sale["reason"], sale["kind"], sale["delta"], sale["previousQuantity"], sale["quantity"]) == (
        "ORDER",
        "DECREMENT",
        -1,
        2,
        1,
    )
    transfer = by_slug[(3, "updated_with_reason")]["actionEvent"]["body"]
    assert (transfer["reason"], transfer["kind"], transfer["delta"]) == ("RESTOCK", "TRANSFER_OUT", -1)
    status = by_slug[(3, "stock_status_changed")]["actionEvent"]["body"]
    assert (status["previousAvailabilityStatus"], status["availabilityStatus"]) == (
        "IN_STOCK",
        "OUT_OF_STOCK",
    )
    assert by_slug[(3, "updated")]["updatedEvent"]["currentEntity"]["quantity"] == 0
    gone = by_slug[(4, "deleted")]
    assert gone["entityId"] == item.id and "deletedEvent" in gone and "createdEvent" not in gone

    annex = {(int(r), s) for i, r, s in seen if i == other.id}
    assert annex == {(1, "created"), (2, "updated"), (2, "stock_status_changed"), (2, "updated_with_reason")}
    detail_types = {detail_type for detail_type, _ in received}
    assert detail_types == {
        "InventoryItemCreated",
        "InventoryItemUpdated",
        "InventoryItemStockStatusChanged",
        "InventoryItemUpdatedWithReason",
        "InventoryItemDeleted",
    }
