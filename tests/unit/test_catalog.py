"""Create, read, update, query and the audit trail through the service, on the in-memory repository."""

from __future__ import annotations

import pytest

from stockroom.adapters.memory import InMemoryInventoryRepository
from stockroom.core.domain import (
    AdjustmentKind,
    AvailabilityStatus,
    IncrementLine,
    ItemChanges,
    ItemDraft,
    LineErrorCode,
    UpdateLine,
)
from stockroom.core.errors import InvalidRequest, ItemAlreadyExists, ItemNotFound
from stockroom.core.service import InventoryService
from tests.unit.conftest import LOCATION, STORE, Make, audit


def test_create_fills_in_location_product_and_revision(service: InventoryService, make: Make) -> None:
    item = service.get_item(STORE, make("sock", 3))
    assert (item.location_id, item.product_id, item.revision, item.quantity) == (LOCATION, "sock", 1, 3)
    assert item.availability_status is AvailabilityStatus.IN_STOCK


def test_create_refuses_a_duplicate_variant_and_location(service: InventoryService, make: Make) -> None:
    make("sock", 3)
    with pytest.raises(ItemAlreadyExists):
        make("sock", 9)
    assert service.get_items([service.item_key(STORE, "sock", None)])


def test_create_needs_exactly_one_tracking_method(service: InventoryService) -> None:
    with pytest.raises(InvalidRequest) as raised:
        service.create_item(STORE, ItemDraft(variant_id="x"), audit(service))
    assert raised.value.loc == ("item",)  # neutral: each dialect names it in its own words


def test_bulk_create_fails_duplicates_one_by_one_first_wins(service: InventoryService) -> None:
    drafts = [
        ItemDraft(variant_id="a", quantity=1),
        ItemDraft(variant_id="a", quantity=2),
        ItemDraft("b", quantity=3),
    ]
    results = service.create_items(STORE, drafts, audit(service), return_entity=True)
    assert [r.success for r in results] == [True, False, True]
    assert results[1].error is not None and results[1].error.code is LineErrorCode.ALREADY_EXISTS
    assert results[0].item is not None and results[0].item.quantity == 1


def test_get_of_an_unknown_or_foreign_item_is_not_found(service: InventoryService, make: Make) -> None:
    item_id = make("sock", 3)
    with pytest.raises(ItemNotFound):
        service.get_item("other-store", item_id)
    with pytest.raises(ItemNotFound):
        service.get_item(STORE, "nope")


def test_a_store_without_settings_gets_a_stable_default_location() -> None:
    service = InventoryService(InMemoryInventoryRepository())
    first = service.default_location("new-store")
    assert first == InventoryService(InMemoryInventoryRepository()).default_location("new-store")
    assert first != service.default_location("another-store")


def test_update_at_the_current_revision_applies(service: InventoryService, make: Make) -> None:
    item_id = make("sock", 3)
    [result] = service.update_items(
        STORE, [UpdateLine(0, item_id, 1, ItemChanges(quantity=10))], audit(service), return_entity=True
    )
    assert result.success and result.item is not None
    assert (result.item.quantity, result.item.revision) == (10, 2)


def test_update_at_a_stale_revision_changes_nothing(service: InventoryService, make: Make) -> None:
    item_id = make("sock", 3)
    [result] = service.update_items(
        STORE, [UpdateLine(0, item_id, 7, ItemChanges(quantity=10))], audit(service), return_entity=False
    )
    assert result.error is not None and result.error.code is LineErrorCode.REVISION_MISMATCH
    assert result.error.data["currentRevision"] == "1"
    assert service.get_item(STORE, item_id).quantity == 3


def test_update_can_switch_tracking_method(service: InventoryService, make: Make) -> None:
    item_id = make("sock", 3)
    service.update_items(
        STORE, [UpdateLine(0, item_id, 1, ItemChanges(in_stock=True))], audit(service), False
    )
    item = service.get_item(STORE, item_id)
    assert not item.track_quantity and item.in_stock and item.quantity is None


def test_update_of_an_unknown_id_is_not_found(service: InventoryService) -> None:
    [result] = service.update_items(
        STORE, [UpdateLine(0, "nope", 1, ItemChanges(quantity=1))], audit(service), return_entity=False
    )
    assert result.error is not None and result.error.code is LineErrorCode.INVENTORY_ITEM_NOT_FOUND


def test_product_stock_sums_tracked_variants(service: InventoryService, make: Make) -> None:
    make("shirt-s", 2, product="shirt")
    make("shirt-m", 3, product="shirt")
    make("shirt-l", in_stock=True, product="shirt")
    stock = service.product_stock(STORE, "shirt")
    assert stock.quantity == 5
    assert sorted((v.variant_id, v.quantity) for v in stock.variants) == [
        ("shirt-l", None),
        ("shirt-m", 3),
        ("shirt-s", 2),
    ]


def test_product_stock_of_a_product_without_variants_is_its_own(
    service: InventoryService, make: Make
) -> None:
    make("mug", 4)
    stock = service.product_stock(STORE, "mug")
    assert (stock.quantity, stock.variants) == (4, ())
    with pytest.raises(ItemNotFound):
        service.product_stock(STORE, "nothing")


def test_adjustments_are_newest_first_and_paged(service: InventoryService, make: Make) -> None:
    item_id = make("sock", 10)
    key = service.item_key(STORE, "sock", None)
    for n in range(4):
        service.increment(
            [IncrementLine(0, key, n + 1)],
            audit=service.audit_context(f"inc-{n}", "RESTOCK"),
            return_entity=False,
        )
    first = service.adjustments(STORE, item_id, limit=3, cursor=None, cursor_field="cursor")
    rest = service.adjustments(STORE, item_id, limit=3, cursor=first.next_cursor, cursor_field="cursor")
    kinds = [a.kind for a in first.entries + rest.entries]
    assert kinds == [AdjustmentKind.INCREMENT] * 4 + [AdjustmentKind.CREATE]
    assert [a.delta for a in first.entries] == [4, 3, 2]
    assert rest.next_cursor is None


def test_adjustments_of_an_unknown_item_are_not_found(service: InventoryService) -> None:
    with pytest.raises(ItemNotFound):
        service.adjustments(STORE, "nope", limit=5, cursor=None, cursor_field="cursor")
