"""Transfers and deletes on the in-memory repository: all or nothing per line, order per shared item, and
the ledger of a deleted item and of one created again in its place."""

from __future__ import annotations

import pytest

from stockroom.adapters.memory import InMemoryInventoryRepository
from stockroom.core.domain import AdjustmentKind, ItemDraft, ItemKey, LineErrorCode
from stockroom.core.errors import InvalidRequest, ItemAlreadyExists
from stockroom.core.service import InventoryService
from stockroom.core.transfers import TransferLine
from tests.unit.conftest import STORE, Make, audit


def at(variant: str, location: str) -> ItemKey:
    return ItemKey(STORE, variant, location)


def test_a_refused_half_leaves_both_ends_as_they_were(
    service: InventoryService, repository: InMemoryInventoryRepository, make: Make
) -> None:
    make("v", 2, location="a")
    make("v", 99_998, location="b")  # two more units would pass the most an item may hold (99,999)
    [short] = service.transfer(
        [TransferLine(0, at("v", "a"), at("v", "b"), 3)], audit=audit(service), return_entity=False
    )
    [full] = service.transfer(
        [TransferLine(0, at("v", "a"), at("v", "b"), 2)], audit=audit(service), return_entity=False
    )
    assert short.error is not None and short.error.code is LineErrorCode.INSUFFICIENT_INVENTORY
    assert full.error is not None and full.error.code is LineErrorCode.QUANTITY_LIMIT_EXCEEDED
    assert full.error.data["side"] == "to"
    assert repository.items[at("v", "a")].quantity == 2
    assert repository.items[at("v", "b")].quantity == 99_998


def test_chained_lines_run_in_request_order(
    service: InventoryService, repository: InMemoryInventoryRepository, make: Make
) -> None:
    for location, quantity in (("a", 3), ("b", 0), ("c", 0)):
        make("v", quantity, location=location)
    lines = [
        TransferLine(0, at("v", "a"), at("v", "b"), 3),
        TransferLine(1, at("v", "b"), at("v", "c"), 3),
        TransferLine(2, at("v", "c"), at("v", "a"), 1),
    ]
    results = service.transfer(lines, audit=audit(service), return_entity=True)
    assert all(r.success for r in results)
    assert [r.item.quantity if r.item else None for r in results] == [1, 0, 2]
    assert [repository.items[at("v", loc)].quantity for loc in "abc"] == [1, 0, 2]
    kinds = [a.kind for a in repository.ledger[at("v", "b")].values()]
    assert kinds == [AdjustmentKind.CREATE, AdjustmentKind.TRANSFER_IN, AdjustmentKind.TRANSFER_OUT]


def test_a_transfer_to_its_own_location_is_refused(service: InventoryService, make: Make) -> None:
    make("v", 3, location="a")
    with pytest.raises(InvalidRequest):
        service.transfer(
            [TransferLine(0, at("v", "a"), at("v", "a"), 1)], audit=audit(service), return_entity=False
        )


def test_a_deleted_item_keeps_its_ledger_and_its_id(
    service: InventoryService, repository: InMemoryInventoryRepository, make: Make
) -> None:
    old = make("v", 4, location="a")
    [deleted] = service.delete_items(STORE, [old], audit(service, "delete"))
    assert deleted.success and deleted.kind is AdjustmentKind.DELETE
    assert service.delete_items(STORE, [old], audit(service))[0].error is not None
    new = make("v", 1, location="a")
    records = repository.list_adjustments(at("v", "a"), old, after=None, limit=10)
    assert [(a.kind, a.revision, a.delta, a.quantity_after) for _, a in records] == [
        (AdjustmentKind.DELETE, 2, -4, 0),
        (AdjustmentKind.CREATE, 1, 4, 4),
    ]
    [(_, created)] = repository.list_adjustments(at("v", "a"), new, after=None, limit=10)
    assert (created.kind, created.revision) == (AdjustmentKind.CREATE, 1)
    with pytest.raises(ItemAlreadyExists):  # a deleted item's id is never given out again
        service.create_item(STORE, ItemDraft("w", "a", quantity=1, item_id=old), audit(service))
