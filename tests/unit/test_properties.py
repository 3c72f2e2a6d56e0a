"""Properties of the stock changes over any mix of lines, checked against a one-line-at-a-time model."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from stockroom.adapters.memory import InMemoryInventoryRepository
from stockroom.core.domain import DecrementLine, InventoryItem, ItemDraft, ItemKey, PreorderSettings
from stockroom.core.rules import Apply, apply_decrement, judge_decrement
from stockroom.core.service import InventoryService
from tests.unit.conftest import LOCATION, STORE, ticking_clock

VARIANTS = ["a", "b", "c", "missing"]

stock = st.fixed_dictionaries(
    {
        "quantity": st.integers(min_value=0, max_value=6),
        "tracked": st.booleans(),
        "preorder": st.booleans(),
        "limit": st.none() | st.integers(min_value=0, max_value=5),
    }
)
lines = st.lists(
    st.tuples(st.sampled_from(VARIANTS), st.integers(min_value=1, max_value=4), st.booleans()), max_size=24
)


def check_against_one_at_a_time(
    service: InventoryService,
    store: str,
    items: list[dict[str, object]],
    requested: list[tuple[str, int, bool]],
    restrict: bool,
) -> None:
    """Create `items` (the last variant stays missing), decrement `requested` through the service, and
    compare each line's result and every final item with applying the lines one at a time by the rules.
    Shared with the adapter tier, which runs it on DynamoDB (the local engine, over HTTP)."""
    location = service.default_location(store)
    created = {}
    for variant, spec in zip(VARIANTS, items, strict=False):
        tracked = bool(spec["tracked"])
        limit = spec["limit"]
        created[variant] = service.create_item(
            store,
            ItemDraft(
                variant_id=variant,
                quantity=int(spec["quantity"]) if tracked else None,  # type: ignore[call-overload]
                in_stock=None if tracked else True,
                # A limit counts units: an item that does not count them has none.
                preorder=PreorderSettings(
                    enabled=bool(spec["preorder"]),
                    limit=limit if tracked else None,  # type: ignore[arg-type]
                ),
            ),
            service.audit_context(f"create-{variant}", None),
        )
    model: dict[ItemKey, InventoryItem] = {item.key: item for item in created.values()}
    decrement_lines = [
        DecrementLine(i, ItemKey(store, v, location), n, preorder)
        for i, (v, n, preorder) in enumerate(requested)
    ]

    results = service.decrement(
        decrement_lines,
        restrict_inventory=restrict,
        audit=service.audit_context(f"r-{uuid.uuid4()}", "T"),
        return_entity=False,
    )

    expected = []
    for line in decrement_lines:
        item = model.get(line.key)
        decision = judge_decrement(
            item, line.quantity, preorder_request=line.preorder_request, restrict_inventory=restrict
        )
        if isinstance(decision, Apply) and item is not None:
            model[line.key] = apply_decrement(item, decision.path, line.quantity)
            expected.append(None)
        else:
            expected.append(decision.error.code)  # type: ignore[union-attr]
    assert [r.index for r in results] == list(range(len(requested)))
    assert [r.error.code if r.error else None for r in results] == expected
    stored = service.get_items(model)
    for key, item in model.items():
        assert (stored[key].quantity, stored[key].preorder.counter, stored[key].revision) == (
            item.quantity,
            item.preorder.counter,
            item.revision,
        )


@settings(max_examples=150, deadline=None)
@given(items=st.lists(stock, min_size=3, max_size=3), requested=lines, restrict=st.booleans())
def test_decrement_equals_applying_lines_one_at_a_time(
    items: list[dict[str, object]], requested: list[tuple[str, int, bool]], restrict: bool
) -> None:
    repository = InMemoryInventoryRepository()
    repository.put_store(STORE, LOCATION)
    service = InventoryService(repository, max_parallel_writes=3, clock=ticking_clock())
    check_against_one_at_a_time(service, STORE, items, requested, restrict)
