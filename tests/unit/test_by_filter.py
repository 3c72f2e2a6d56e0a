"""The by-filter calls and upsert (core/by_filter, core/upserts), on the in-memory repository."""

from __future__ import annotations

import pytest

from stockroom.adapters.memory import InMemoryInventoryRepository
from stockroom.core import by_filter
from stockroom.core.by_filter import (
    Adjustment,
    adjust_by_filter,
    delete_by_filter,
    update_by_filter,
)
from stockroom.core.domain import ItemChanges, ItemDraft, LineResult
from stockroom.core.errors import InvalidRequest
from stockroom.core.filters import MATCH_ALL, Cond, Field, Op, Search
from stockroom.core.rules import MAX_QUANTITY
from stockroom.core.service import InventoryService
from stockroom.core.upserts import UpsertLine, upsert_items
from tests.unit.conftest import STORE, Make, audit

PRODUCT_P = Search(Cond(Field.PRODUCT_ID, Op.EQ, "p"))


def codes(results: list[LineResult]) -> list[str | None]:
    return [None if r.error is None else r.error.code.value for r in results]


def quantities(repository: InMemoryInventoryRepository) -> dict[str, int | None]:
    return {
        k.variant_id: i.quantity for k, i in sorted(repository.items.items(), key=lambda kv: kv[0].variant_id)
    }


def test_adjust_applies_the_stock_rules_to_each_item(
    service: InventoryService, make: Make, repository: InMemoryInventoryRepository
) -> None:
    make("a", 5, product="p")
    make("b", 1, product="p")
    make("c", in_stock=True, product="p")
    make("d", 9, product="other")
    results = adjust_by_filter(service, STORE, PRODUCT_P, Adjustment(-3), audit(service), clamp=False)
    assert codes(results) == [None, "INSUFFICIENT_INVENTORY", "TRACK_QUANTITY_DISABLED"]
    assert quantities(repository) == {"a": 2, "b": 1, "c": None, "d": 9}


def test_set_or_adjust_sets_the_bound_where_the_change_would_pass_it(
    service: InventoryService, make: Make, repository: InMemoryInventoryRepository
) -> None:
    make("a", 5, product="p")
    make("b", 1, product="p")
    make("c", 0, product="p")
    results = adjust_by_filter(service, STORE, PRODUCT_P, Adjustment(-3), audit(service), clamp=True)
    assert codes(results) == [None, None, "INSUFFICIENT_INVENTORY"]  # nothing left to take from c
    assert quantities(repository) == {"a": 2, "b": 0, "c": 0}
    make("full", MAX_QUANTITY - 2, product="q")
    [result] = adjust_by_filter(
        service,
        STORE,
        Search(Cond(Field.PRODUCT_ID, Op.EQ, "q")),
        Adjustment(5),
        audit(service, "r2"),
        clamp=True,
    )
    assert result.success and repository.items[service.item_key(STORE, "full", None)].quantity == MAX_QUANTITY


def test_adjust_may_start_counting_an_untracked_item(
    service: InventoryService, make: Make, repository: InMemoryInventoryRepository
) -> None:
    make("c", in_stock=True, product="p")
    results = adjust_by_filter(
        service, STORE, PRODUCT_P, Adjustment(4), audit(service), clamp=False, start_tracking=True
    )
    assert codes(results) == [None]
    item = repository.items[service.item_key(STORE, "c", None)]
    assert (item.track_quantity, item.quantity) == (True, 4)


def test_update_by_filter_updates_each_item_at_its_revision(
    service: InventoryService, make: Make, repository: InMemoryInventoryRepository
) -> None:
    make("a", 5, product="p")
    make("b", 1, product="p")
    results = update_by_filter(service, STORE, PRODUCT_P, ItemChanges(quantity=7), audit(service))
    assert codes(results) == [None, None]
    assert quantities(repository) == {"a": 7, "b": 7}
    assert {i.revision for i in repository.items.values()} == {2}


def test_delete_by_filter(
    service: InventoryService, make: Make, repository: InMemoryInventoryRepository
) -> None:
    make("a", 5, product="p")
    make("d", 9, product="other")
    assert codes(delete_by_filter(service, STORE, PRODUCT_P, audit(service))) == [None]
    assert quantities(repository) == {"d": 9}


def test_more_matches_than_the_bound_change_nothing(
    service: InventoryService,
    make: Make,
    repository: InMemoryInventoryRepository,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for n in range(3):
        make(f"v{n}", 5)
    monkeypatch.setattr(by_filter, "MAX_BY_FILTER_ITEMS", 2)
    with pytest.raises(InvalidRequest) as refused:
        adjust_by_filter(service, STORE, Search(MATCH_ALL), Adjustment(-1), audit(service), clamp=False)
    assert "at most 2" in refused.value.description
    assert set(quantities(repository).values()) == {5}


def test_upsert_creates_or_updates_and_refuses_a_negative_target(
    service: InventoryService, make: Make, repository: InMemoryInventoryRepository
) -> None:
    make("old", 5)
    lines = [
        UpsertLine(0, ItemDraft("old", quantity=9), ItemChanges(quantity=9)),
        UpsertLine(1, ItemDraft("new", quantity=3), ItemChanges(quantity=3)),
        UpsertLine(2, ItemDraft("neg", quantity=-1), ItemChanges(quantity=-1)),
        UpsertLine(3, ItemDraft("old2", quantity=1), ItemChanges(quantity=1), revision=7),
    ]
    make("old2", 2)
    results = upsert_items(service, STORE, lines, audit(service), return_entity=True)
    assert codes(results) == [None, None, "NEGATIVE_QUANTITY", "REVISION_MISMATCH"]
    assert results[1].item is not None and results[1].item.quantity == 3
    assert quantities(repository) == {"new": 3, "old": 9, "old2": 2}
