"""Finding items by filter, sort and free text (core/filters, core/finding), on the in-memory repository."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stockroom.adapters.memory import InMemoryInventoryRepository
from stockroom.core import finding
from stockroom.core.domain import DecrementLine, InventoryItem, ItemDraft, PreorderSettings
from stockroom.core.errors import InvalidRequest
from stockroom.core.filters import (
    MATCH_ALL,
    And,
    Cond,
    Field,
    Filter,
    Not,
    Op,
    Or,
    Search,
    SortKey,
    TextSearch,
    matches,
    maybe_matches,
)
from stockroom.core.service import InventoryService
from tests.unit.conftest import STORE, Make, audit


def everything(service: InventoryService, search: Search, limit: int) -> list[InventoryItem]:
    """Every page, following the positions the finder hands back."""
    seen: list[InventoryItem] = []
    after = None
    while True:
        found = service.find_items(STORE, search, limit=limit, after=after)
        seen += found.items
        if found.next is None:
            return seen
        after = found.next


def test_and_or_not_and_field_operators(service: InventoryService, make: Make) -> None:
    make("a", 5, product="p1")
    make("b", 0, product="p1", preorder=True)
    make("c", in_stock=True, product="p2")
    make("d", 12, product="p2")

    def variants(f: Filter) -> list[str]:
        return [i.variant_id for i in everything(service, Search(f), 10)]

    quantity = Field.QUANTITY
    assert variants(Cond(quantity, Op.GT, 4)) == ["a", "d"]
    assert variants(Cond(quantity, Op.EXISTS, False)) == ["c"]
    assert variants(Cond(quantity, Op.NE, 5)) == ["b", "c", "d"]  # no value is not 5 either
    assert variants(Cond(quantity, Op.EQ, None)) == ["c"]
    assert variants(Cond(Field.AVAILABILITY_STATUS, Op.IN, ["PREORDER", "OUT_OF_STOCK"])) == ["b"]
    assert variants(Cond(Field.VARIANT_ID, Op.STARTS_WITH, "A")) == ["a"]  # case-insensitive, as Wix
    assert variants(Or((Cond(quantity, Op.LTE, 0), Cond(Field.IN_STOCK, Op.EQ, True)))) == ["b", "c"]
    assert variants(Not(Cond(Field.PRODUCT_ID, Op.EQ, "p1"))) == ["c", "d"]
    assert variants(And((Cond(Field.PRODUCT_ID, Op.EQ, "p2"), Cond(quantity, Op.GTE, 12)))) == ["d"]
    assert variants(And((Cond(Field.ID, Op.IN, ["nope"]),))) == []


def test_the_index_decides_only_what_it_holds(make: Make, service: InventoryService) -> None:
    entry = replace(service.get_item(STORE, make("a", 5, product="p")), quantity=None)
    on_count = Cond(Field.QUANTITY, Op.GT, 1)
    on_product = Cond(Field.PRODUCT_ID, Op.EQ, "q")
    assert maybe_matches(on_count, entry) is None
    assert maybe_matches(And((on_count, on_product)), entry) is False  # decided by the product alone
    assert maybe_matches(Or((on_count, on_product)), entry) is None
    assert maybe_matches(Not(on_count), entry) is None
    assert maybe_matches(Or((on_count, Not(on_product))), entry) is True


items = st.fixed_dictionaries(
    {
        "quantity": st.none() | st.integers(min_value=0, max_value=6),
        "product": st.sampled_from(["p1", "p2", "p3"]),
        "preorder": st.booleans(),
    }
)
conditions = st.one_of(
    st.builds(Cond, st.just(Field.QUANTITY), st.sampled_from([Op.GT, Op.LTE, Op.NE]), st.integers(-2, 5)),
    st.builds(
        Cond, st.just(Field.PRODUCT_ID), st.sampled_from([Op.EQ, Op.NE]), st.sampled_from(["p1", "p2"])
    ),
    st.builds(Cond, st.just(Field.PREORDER_ENABLED), st.just(Op.EQ), st.booleans()),
    st.builds(Cond, st.just(Field.QUANTITY), st.just(Op.EXISTS), st.booleans()),
)
filters = st.recursive(
    conditions,
    lambda inner: st.one_of(
        st.builds(lambda parts: And(tuple(parts)), st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda parts: Or(tuple(parts)), st.lists(inner, min_size=1, max_size=3)),
        st.builds(Not, inner),
    ),
    max_leaves=6,
)


@settings(max_examples=120, deadline=None)
@given(
    specs=st.lists(items, min_size=1, max_size=9),
    f=filters,
    limit=st.integers(min_value=1, max_value=4),
    sort=st.sampled_from([(), (SortKey(Field.QUANTITY, True),), (SortKey(Field.PRODUCT_NAME),)]),
)
def test_pages_hold_exactly_the_matches_once_in_order(
    specs: list[dict[str, object]], f: Filter, limit: int, sort: tuple[SortKey, ...]
) -> None:
    """Whatever the filter, page size and order: every page together is exactly the items that match."""
    repository = InMemoryInventoryRepository()
    service = InventoryService(repository, max_parallel_writes=2)
    for n, spec in enumerate(specs):
        quantity = spec["quantity"]
        service.create_item(
            STORE,
            _draft(f"v{n}", quantity, str(spec["product"]), bool(spec["preorder"])),  # type: ignore[arg-type]
            audit(service),
        )
    every = [i for i in repository.items.values() if matches(f, i)]
    seen = everything(service, Search(f, sort=sort), limit)
    assert sorted(i.id for i in seen) == sorted(i.id for i in every)
    assert len({i.id for i in seen}) == len(seen)
    if not sort:
        assert [(i.product_id, i.variant_id) for i in seen] == sorted(
            (i.product_id, i.variant_id) for i in seen
        )
    elif sort[0].field is Field.QUANTITY:
        quantities = [-1_000_000 if i.quantity is None else i.quantity for i in seen]
        assert quantities == sorted(quantities, reverse=True)  # no value sorts last descending


def _draft(variant: str, quantity: int | None, product: str, preorder: bool) -> ItemDraft:
    return ItemDraft(
        variant_id=variant,
        product_id=product,
        quantity=quantity,
        in_stock=True if quantity is None else None,
        preorder=PreorderSettings(enabled=preorder),
        product_name=f"name {variant}",
    )


def test_a_page_reads_no_more_than_its_bounds(
    service: InventoryService, make: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A filter that matches nothing the index can rule out still answers, within the bounds: a short
    (here empty) page and a position to go on from, never a read of the whole store."""
    for n in range(9):
        make(f"v{n}", 0)
    make("z", 5)
    monkeypatch.setattr(finding, "INDEX_PAGE", 2)
    monkeypatch.setattr(finding, "MAX_ENTRIES_READ", 4)
    search = Search(Cond(Field.QUANTITY, Op.GT, 0))
    first = service.find_items(STORE, search, limit=3, after=None)
    assert first.items == [] and first.next == ["v3", "v3", "loc-1"]
    assert [i.variant_id for i in everything(service, search, 3)] == ["z"]


def test_sorts_and_counts_past_their_bounds_are_refused(
    service: InventoryService, make: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(5):
        make(f"v{n}", n)
    monkeypatch.setattr(finding, "INDEX_PAGE", 2)
    monkeypatch.setattr(finding, "MAX_ENTRIES_READ", 4)
    with pytest.raises(InvalidRequest) as refused:
        service.find_items(STORE, Search(sort=(SortKey(Field.QUANTITY),)), limit=2, after=None)
    assert refused.value.loc == ("filter",)
    with pytest.raises(InvalidRequest):
        service.count_items(STORE, Search(Cond(Field.QUANTITY, Op.GT, 1)))
    assert service.count_items(STORE, Search(Cond(Field.VARIANT_ID, Op.IN, ["v1", "v2"]))) == 2


def test_ids_and_variants_are_read_by_key_not_from_the_store_list(
    service: InventoryService, make: Make, repository: InMemoryInventoryRepository
) -> None:
    first = make("shared", 1, location="a")
    make("shared", 2, location="b")
    make("other", 3)
    read = []
    original = repository.index_entries

    def counted(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        read.append(1)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    repository.index_entries = counted  # type: ignore[method-assign]
    by_variant = service.find_items(
        STORE, Search(Cond(Field.VARIANT_ID, Op.EQ, "shared")), limit=5, after=None
    )
    by_id = service.find_items(STORE, Search(Cond(Field.ID, Op.IN, [first, "nope"])), limit=5, after=None)
    assert [i.location_id for i in by_variant.items] == ["a", "b"] and by_variant.next is None
    assert [i.id for i in by_id.items] == [first]
    assert read == []


def test_filters_judge_live_counts(service: InventoryService, make: Make) -> None:
    make("a", 3)
    service.decrement([DecrementLine(0, service.item_key(STORE, "a", None), 3)], restrict_inventory=True,
                      audit=audit(service), return_entity=False)  # fmt: skip
    search = Search(Cond(Field.AVAILABILITY_STATUS, Op.EQ, "OUT_OF_STOCK"))
    assert [i.variant_id for i in service.find_items(STORE, search, limit=5, after=None).items] == ["a"]


def test_free_text_matches_terms_in_the_product_name(service: InventoryService, make: Make) -> None:
    make("a", 1, product="sock", name="Sports Socks")
    make("b", 1, product="shoe", name="Running Shoes")
    make("c", 1, product="none")

    def found(text: TextSearch) -> list[str]:
        return [i.variant_id for i in everything(service, Search(MATCH_ALL, text), 5)]

    assert found(TextSearch(("socks",))) == ["a"]
    assert found(TextSearch(("sports", "running"))) == ["b", "a"]  # OR: either term (product order)
    assert found(TextSearch(("sports", "running"), every_term=True)) == []
    assert service.count_items(STORE, Search(MATCH_ALL, TextSearch(("s",)))) == 2
