"""Decrements, increments and all-or-nothing orders through the service, on the in-memory repository."""

from __future__ import annotations

import threading

import pytest

from stockroom.adapters.memory import InMemoryInventoryRepository
from stockroom.core.domain import (
    AdjustmentKind,
    DecrementById,
    DecrementLine,
    IncrementById,
    IncrementLine,
    ItemDraft,
    ItemKey,
    LineErrorCode,
)
from stockroom.core.errors import InvalidRequest
from stockroom.core.ports import OrderMarker, WritesRefused
from stockroom.core.service import InventoryService
from stockroom.core.stock import max_order_items
from stockroom.core.writes import MAX_WRITE_ATTEMPTS
from tests.unit.conftest import LOCATION, STORE, Make, audit


def key(variant: str) -> ItemKey:
    return ItemKey(STORE, variant, LOCATION)


def dec(index: int, variant: str, n: int, preorder: bool = False) -> DecrementLine:
    return DecrementLine(index, key(variant), n, preorder)


def quantity(service: InventoryService, variant: str) -> int | None:
    return service.get_items([key(variant)])[key(variant)].quantity


def decrement(service: InventoryService, *lines: DecrementLine, restrict: bool = True, entity: bool = False):
    return service.decrement(lines, restrict_inventory=restrict, audit=audit(service), return_entity=entity)


def test_a_line_takes_stock_and_names_its_item(service: InventoryService, make: Make) -> None:
    item_id = make("a", 5)
    [result] = decrement(service, dec(0, "a", 2))
    assert result.success and result.kind is AdjustmentKind.DECREMENT and result.item_id == item_id
    assert quantity(service, "a") == 3


def test_return_entity_shows_the_item_after_the_change(service: InventoryService, make: Make) -> None:
    make("a", 5)
    [result] = decrement(service, dec(0, "a", 2), entity=True)
    assert result.item is not None and result.item.quantity == 3 and result.item.revision == 2


def test_insufficient_stock_is_refused_with_what_was_there(service: InventoryService, make: Make) -> None:
    make("a", 1)
    [result] = decrement(service, dec(0, "a", 2))
    assert result.error is not None and result.error.code is LineErrorCode.INSUFFICIENT_INVENTORY
    assert result.error.data["requested"] == 2 and result.error.data["available"] == 1
    assert quantity(service, "a") == 1


def test_restrict_inventory_false_may_go_negative(service: InventoryService, make: Make) -> None:
    make("a", 1)
    [result] = decrement(service, dec(0, "a", 3), restrict=False)
    assert result.success and quantity(service, "a") == -2


def test_missing_item_is_not_found(service: InventoryService) -> None:
    [result] = decrement(service, dec(0, "ghost", 1))
    assert result.error is not None and result.error.code is LineErrorCode.INVENTORY_ITEM_NOT_FOUND


def test_untracked_item_cannot_be_decremented(service: InventoryService, make: Make) -> None:
    make("gift", in_stock=True)
    [result] = decrement(service, dec(0, "gift", 1))
    assert result.error is not None and result.error.code is LineErrorCode.TRACK_QUANTITY_DISABLED


def test_preorder_counts_once_sold_out(service: InventoryService, make: Make) -> None:
    make("p", 0, preorder=True, limit=5)
    [result] = decrement(service, dec(0, "p", 2, preorder=True))
    assert result.success and result.kind is AdjustmentKind.PREORDER
    item = service.get_items([key("p")])[key("p")]
    assert item.quantity == 0 and item.preorder.counter == 2


def test_preorder_limit_is_enforced(service: InventoryService, make: Make) -> None:
    make("p", 0, preorder=True, limit=3)
    results = decrement(service, dec(0, "p", 2, preorder=True), dec(1, "p", 2, preorder=True))
    assert results[0].success
    assert results[1].error is not None and results[1].error.code is LineErrorCode.PREORDER_LIMIT_EXCEEDED


def test_preorder_request_takes_stock_while_in_stock(service: InventoryService, make: Make) -> None:
    make("p", 2, preorder=True)
    [result] = decrement(service, dec(0, "p", 1, preorder=True))
    assert result.kind is AdjustmentKind.DECREMENT and quantity(service, "p") == 1


def test_lines_for_one_item_run_in_request_order(service: InventoryService, make: Make) -> None:
    make("a", 5)
    results = decrement(service, dec(0, "a", 3), dec(1, "a", 3), dec(2, "a", 2))
    assert [r.success for r in results] == [True, False, True]
    assert quantity(service, "a") == 0


def test_one_failing_line_does_not_stop_the_others(service: InventoryService, make: Make) -> None:
    make("a", 5)
    make("b", 0)
    results = decrement(service, dec(0, "a", 1), dec(1, "b", 1), dec(2, "ghost", 1))
    assert [r.index for r in results] == [0, 1, 2]
    assert [r.success for r in results] == [True, False, False]


def test_a_keyed_retry_of_an_applied_line_is_applied_once(service: InventoryService, make: Make) -> None:
    make("a", 5)
    for _ in range(2):  # the same keyed request sent again: the retry finds the first attempt's change
        context = service.audit_context("idem-same-request", None, keyed=True)
        [result] = service.decrement(
            [dec(0, "a", 1)], restrict_inventory=True, audit=context, return_entity=False
        )
        assert result.success
    assert quantity(service, "a") == 4


def test_a_keyed_retry_of_a_line_never_applied_applies_it(service: InventoryService, make: Make) -> None:
    make("a", 5)
    repository = service._repository
    first = service.audit_context("idem-lost", None, keyed=True)
    repository.begin_attempt(key("a"), first.request_id, 0, first.created_date)  # tried, never landed
    retry = service.audit_context("idem-lost", None, keyed=True)
    service.decrement([dec(0, "a", 1)], restrict_inventory=True, audit=retry, return_entity=False)
    assert quantity(service, "a") == 4


def test_an_item_that_keeps_changing_gives_up(make: Make) -> None:
    class AlwaysChanging(InMemoryInventoryRepository):
        def write_together(self, writes, **kwargs):  # type: ignore[no-untyped-def]
            # Refused with the item in stock, so the rules say "try again", every time.
            raise WritesRefused({0: self.items[writes[0].line.key]})

        def write_alone(self, write, **kwargs):  # type: ignore[no-untyped-def]
            raise WritesRefused({0: self.items[write.line.key]})

    repository = AlwaysChanging()
    service = InventoryService(repository)
    service.create_item(STORE, ItemDraft(variant_id="a", quantity=5), audit(service))
    [result] = service.decrement(
        [DecrementLine(0, ItemKey(STORE, "a", service.default_location(STORE)), 1)],
        restrict_inventory=True,
        audit=audit(service),
        return_entity=False,
    )
    assert result.error is not None and result.error.code is LineErrorCode.TEMPORARILY_UNAVAILABLE
    assert repository.items[ItemKey(STORE, "a", service.default_location(STORE))].quantity == 5
    assert MAX_WRITE_ATTEMPTS > 1


def test_concurrent_decrements_never_oversell(service: InventoryService, make: Make) -> None:
    make("hot", 50)
    applied: list[bool] = []

    def buyer(n: int) -> None:
        for i in range(10):
            [result] = service.decrement(
                [dec(0, "hot", 1)],
                restrict_inventory=True,
                audit=service.audit_context(f"buyer-{n}-{i}", "ORDER"),
                return_entity=False,
            )
            applied.append(result.success)

    threads = [threading.Thread(target=buyer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(applied) == 50 and quantity(service, "hot") == 0


def test_increment_adds_and_refuses_untracked(service: InventoryService, make: Make) -> None:
    make("a", 1)
    make("gift", in_stock=True)
    results = service.increment(
        [IncrementLine(0, key("a"), 4), IncrementLine(1, key("gift"), 1), IncrementLine(2, key("nope"), 1)],
        audit=audit(service),
        return_entity=False,
    )
    assert results[0].success and quantity(service, "a") == 5
    assert results[1].error is not None and results[1].error.code is LineErrorCode.TRACK_QUANTITY_DISABLED
    assert results[2].error is not None and results[2].error.code is LineErrorCode.INVENTORY_ITEM_NOT_FOUND


def test_by_id_lines_resolve_ids_and_name_missing_ones(service: InventoryService, make: Make) -> None:
    item_id = make("a", 5)
    results = service.decrement_by_id(
        STORE,
        [DecrementById(0, item_id, 2), DecrementById(1, "no-such-id", 1)],
        restrict_inventory=True,
        audit=audit(service),
        return_entity=False,
    )
    assert results[0].success and results[0].item_id == item_id
    assert results[1].error is not None and results[1].error.code is LineErrorCode.INVENTORY_ITEM_NOT_FOUND
    assert results[1].error.data == {"inventoryItemId": "no-such-id"}
    results = service.increment_by_id(
        STORE, [IncrementById(0, item_id, 7)], audit=audit(service, "another-request"), return_entity=False
    )
    assert results[0].success and quantity(service, "a") == 10


def test_by_id_never_reaches_another_stores_item(service: InventoryService, make: Make) -> None:
    item_id = make("a", 5)
    [result] = service.decrement_by_id(
        "other-store",
        [DecrementById(0, item_id, 1)],
        restrict_inventory=True,
        audit=audit(service),
        return_entity=False,
    )
    assert result.error is not None and result.error.code is LineErrorCode.INVENTORY_ITEM_NOT_FOUND
    assert quantity(service, "a") == 5


# --- all or nothing ----------------------------------------------------------------------------------------


def order(service: InventoryService, *lines: DecrementLine, **options):  # type: ignore[no-untyped-def]
    return service.decrement_all_or_nothing(lines, restrict_inventory=True, audit=audit(service), **options)


def test_an_order_applies_every_line(service: InventoryService, make: Make) -> None:
    make("a", 5)
    make("b", 5)
    outcome = order(service, dec(0, "a", 2), dec(1, "b", 3))
    assert outcome.applied and quantity(service, "a") == 3 and quantity(service, "b") == 2


def test_an_order_with_one_bad_line_applies_none_and_names_it(service: InventoryService, make: Make) -> None:
    make("a", 5)
    make("b", 1)
    outcome = order(service, dec(0, "a", 2), dec(1, "b", 3), dec(2, "ghost", 1))
    assert not outcome.applied
    assert [(f.index, f.error.code if f.error else None) for f in outcome.failures] == [
        (1, LineErrorCode.INSUFFICIENT_INVENTORY),
        (2, LineErrorCode.INVENTORY_ITEM_NOT_FOUND),
    ]
    assert quantity(service, "a") == 5 and quantity(service, "b") == 1


def test_an_orders_lines_for_one_item_are_merged(service: InventoryService, make: Make) -> None:
    make("a", 5)
    outcome = order(service, dec(0, "a", 3), dec(1, "a", 3))
    assert not outcome.applied and [f.index for f in outcome.failures] == [0, 1]
    assert order(service, dec(0, "a", 2), dec(1, "a", 3)).applied and quantity(service, "a") == 0


def test_an_order_may_accept_untracked_items(service: InventoryService, make: Make) -> None:
    make("a", 5)
    make("gift", in_stock=True)
    refused = order(service, dec(0, "a", 1), dec(1, "gift", 1))
    assert not refused.applied and refused.failures[0].error is not None
    assert refused.failures[0].error.code is LineErrorCode.TRACK_QUANTITY_DISABLED
    assert order(service, dec(0, "a", 1), dec(1, "gift", 1), accept_untracked=True).applied
    assert quantity(service, "a") == 4


def test_an_order_marker_makes_a_redelivery_change_nothing(service: InventoryService, make: Make) -> None:
    make("a", 5)
    marker = OrderMarker(STORE, "order-1")
    first = order(service, dec(0, "a", 2), marker=marker)
    again = order(service, dec(0, "a", 2), marker=marker)
    assert first.applied and not first.already_applied
    assert again.applied and again.already_applied and quantity(service, "a") == 3


def test_a_rejected_order_stays_rejected_after_a_restock(service: InventoryService, make: Make) -> None:
    make("a", 1)
    marker = OrderMarker(STORE, "order-2")
    first = order(service, dec(0, "a", 2), marker=marker)
    service.increment([IncrementLine(0, key("a"), 5)], audit=audit(service), return_entity=False)
    again = order(service, dec(0, "a", 2), marker=marker)
    assert not first.applied and not first.already_applied
    assert not again.applied and again.already_applied and again.failures == first.failures
    assert quantity(service, "a") == 6


def test_an_order_names_too_many_items_in_neutral_words(service: InventoryService) -> None:
    lines = [dec(i, f"v{i}", 1) for i in range(max_order_items(with_marker=False) + 1)]
    with pytest.raises(InvalidRequest) as raised:
        order(service, *lines)
    assert raised.value.loc == ("lines",)


def test_an_order_refuses_lines_disagreeing_on_preorder(service: InventoryService, make: Make) -> None:
    make("a", 5)
    with pytest.raises(InvalidRequest) as raised:
        order(service, dec(0, "a", 1), dec(1, "a", 1, preorder=True))
    assert raised.value.loc == ("lines", 1)


def test_an_order_takes_preorders_of_a_sold_out_item(service: InventoryService, make: Make) -> None:
    make("p", 0, preorder=True, limit=4)
    assert order(service, dec(0, "p", 3, preorder=True)).applied
    assert service.get_items([key("p")])[key("p")].preorder.counter == 3
