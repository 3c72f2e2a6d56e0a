"""A stock change writes no index entry: the store is not one write partition.

DynamoDB writes a global secondary index only where a write changes an attribute the index holds. The item
indexes hold only what a stock change never writes: this runs every kind of stock change through the real
adapters (on the local engine), records every request they send, and checks that none of them sets or
removes an attribute of ByStoreItems or ByVariant, or puts a whole item. And the template's projection is
the adapter's list.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from stockroom.adapters.dynamodb.client import TableClient
from stockroom.adapters.dynamodb.holds import DynamoDBReservationRepository
from stockroom.adapters.dynamodb.inventory import DynamoDBInventoryRepository
from stockroom.adapters.dynamodb.item_index import STORE_INDEX_ATTRIBUTES
from stockroom.core.domain import DecrementLine, IncrementLine, ItemDraft, PreorderSettings
from stockroom.core.holds import HoldRequest
from stockroom.core.reservations import ReservationService
from stockroom.core.service import InventoryService
from stockroom.core.transfers import TransferLine
from stockroom_local.template import Template

STORE = "index-store"


def index_attributes(template: Template) -> dict[str, set[str]]:
    """Each item index's attributes (its keys, and what it projects), as the template declares them."""
    table = template.tables["InventoryTable"]
    found = {}
    for index in table["GlobalSecondaryIndexes"]:
        projected = index["Projection"].get("NonKeyAttributes", [])
        found[index["IndexName"]] = {k["AttributeName"] for k in index["KeySchema"]} | set(projected)
    return found


def test_the_template_projects_what_the_adapter_reads(template: Template) -> None:
    indexes = index_attributes(template)
    table = template.tables["InventoryTable"]
    by_store = next(i for i in table["GlobalSecondaryIndexes"] if i["IndexName"] == "ByStoreItems")
    assert tuple(by_store["Projection"]["NonKeyAttributes"]) == STORE_INDEX_ATTRIBUTES
    assert indexes["ByVariant"] == {"variantId", "storeId", "locationId"}


def written_attributes(update: dict[str, Any]) -> set[str]:
    """The top-level attributes an UpdateExpression sets, removes, adds or deletes."""
    names = update.get("ExpressionAttributeNames", {})
    written = set()
    for clause in re.split(r"\b(?=SET |REMOVE |ADD |DELETE )", update["UpdateExpression"]):
        for part in clause.split(" ", 1)[1].split(",") if " " in clause else []:
            path = part.split("=")[0].strip().split()[0]
            top = re.split(r"[.\[]", path)[0]
            written.add(names.get(top, top))
    return written


@pytest.fixture
def sent(clean_tables: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    recorded: list[tuple[str, dict[str, Any]]] = []
    original = TableClient._send

    def recording(self: TableClient, operation: str, kwargs: dict[str, Any]) -> Any:
        recorded.append((operation, kwargs))
        return original(self, operation, kwargs)

    monkeypatch.setattr(TableClient, "_send", recording)
    yield recorded


def writes(sent: list[tuple[str, dict[str, Any]]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every write operation sent: ("Update" | "Put" | ..., its parameters)."""
    for operation, kwargs in sent:
        if operation == "transact_write_items":
            for item in kwargs["TransactItems"]:
                yield from item.items()
        elif operation == "update_item":
            yield "Update", kwargs
        elif operation == "put_item":
            yield "Put", kwargs


def test_no_stock_change_writes_an_index_attribute(
    template: Template, sent: list[tuple[str, dict[str, Any]]]
) -> None:
    inventory = DynamoDBInventoryRepository()
    service = InventoryService(inventory)
    reservations = ReservationService(inventory, DynamoDBReservationRepository())
    audit = service.audit_context("index-test", "TEST")
    service.create_items(
        STORE,
        [
            ItemDraft("a", location_id="one", quantity=10),
            ItemDraft("a", location_id="two", quantity=0),
            ItemDraft("b", location_id="one", quantity=0, preorder=PreorderSettings(enabled=True, limit=5)),
            ItemDraft("c", location_id="one", quantity=0, preorder=PreorderSettings(enabled=True)),
        ],
        audit,
        False,
    )
    key = lambda variant, location="one": service.item_key(STORE, variant, location)  # noqa: E731
    sent.clear()  # creating items writes their index entries: what follows must write none

    def change(request: str) -> Any:
        return service.audit_context(request, "TEST")

    service.decrement(
        [DecrementLine(0, key("a"), 1)], restrict_inventory=True, audit=change("d1"), return_entity=False
    )
    service.decrement(
        [DecrementLine(0, key("a"), 1)], restrict_inventory=False, audit=change("d2"), return_entity=False
    )
    service.decrement([DecrementLine(0, key("b"), 2, True), DecrementLine(1, key("c"), 1, True)],
                      restrict_inventory=True, audit=change("pre"), return_entity=False)  # fmt: skip
    service.increment([IncrementLine(0, key("a"), 3)], audit=change("inc"), return_entity=False)
    service.transfer(
        [TransferLine(0, key("a"), key("a", "two"), 2)], audit=change("move"), return_entity=False
    )
    for request, finish in (("held-1", reservations.confirm), ("held-2", reservations.release)):
        held = reservations.create(STORE, [HoldRequest(0, key("a"), 1)], audit=change(request))
        finish(STORE, held.id, change(f"{request}-end"))
    expiring = reservations.create(STORE, [HoldRequest(0, key("a"), 1)], ttl_seconds=1, audit=change("x"))
    later = service.audit_context("reclaim", "TEST")
    stored = inventory.get_items([key("a")])[key("a")]  # as stored: its hold tags, the expired one too
    inventory.reclaim_expired(stored, type(later)(later.request_id, later.reason, expiring.expires_at))

    indexed = set().union(*index_attributes(template).values()) - {"pk", "sk"}
    seen = list(writes(sent))
    assert {kind for kind, _ in seen} >= {"Update", "Put"}  # the workload wrote (and its witnesses)
    for kind, operation in seen:
        if kind == "Update" and operation["Key"]["sk"]["S"] == "ITEM":
            assert not written_attributes(operation) & indexed, operation["UpdateExpression"]
        if kind == "Put":
            assert operation["Item"]["sk"]["S"] != "ITEM", "a stock change put a whole item"
    assert inventory.get_items([key("a")])[key("a")].revision > 5
