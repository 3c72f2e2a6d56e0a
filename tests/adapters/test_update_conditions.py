"""An update's conditional write stores exactly the item `rules.apply_update` computes (tracking switch,
preorder remainder, removed fields), and only while the item is at the revision it was computed from."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stockroom.adapters.dynamodb.codec import item_to_attributes
from stockroom.adapters.dynamodb.inventory import DynamoDBInventoryRepository
from stockroom.core.domain import KEEP, InventoryItem, ItemChanges
from stockroom.core.ports import ConditionNotMet
from stockroom.core.rules import apply_update
from tests.adapters.test_conditions import audit, stored_items

changes = st.builds(
    ItemChanges,
    quantity=st.none() | st.integers(min_value=0, max_value=20),
    in_stock=st.none() | st.booleans(),
    preorder_enabled=st.none() | st.booleans(),
    preorder_message=st.just(KEEP) | st.none() | st.text("abc ", max_size=5),
    preorder_limit=st.just(KEEP) | st.none() | st.integers(min_value=0, max_value=8),
).filter(lambda c: c.quantity is None or c.in_stock is None)


@pytest.mark.usefixtures("clean_tables")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(item=stored_items(), change=changes)
def test_an_update_stores_exactly_the_updated_item(item: InventoryItem, change: ItemChanges) -> None:
    repository = DynamoDBInventoryRepository()
    repository.create_item(item, audit())
    after = apply_update(item, change, "2026-01-01T00:00:02.000Z")
    repository.update(item, after, line_index=0, audit=audit())
    stored = repository.get_items([item.key])[item.key]
    assert stored == after
    # Every attribute, derived ones included (preorderRemaining), is what a fresh write of `after` has.
    raw = repository.client.get_item(
        TableName="InventoryTable",
        Key={"pk": {"S": item_to_attributes(item)["pk"]["S"]}, "sk": {"S": "ITEM"}},
    )
    # ...and the change it carries for the ledger (the stream's consumer reads it off the new image).
    change = raw["Item"].pop("change")["M"]
    assert raw["Item"] == item_to_attributes(after)
    assert change["kind"] == {"S": "UPDATE"}
    # The revision read is gone now: the same update again is refused and changes nothing.
    with pytest.raises(ConditionNotMet) as refused:
        repository.update(item, replace(after, quantity=99), line_index=1, audit=audit())
    assert refused.value.item == after
    assert repository.get_items([item.key])[item.key] == after


@pytest.mark.usefixtures("local_engine")
def test_an_update_of_a_missing_item_is_refused_with_no_snapshot() -> None:
    repository = DynamoDBInventoryRepository()
    item = InventoryItem(
        id=str(uuid.uuid4()),
        store_id="s",
        variant_id="gone",
        location_id="l",
        product_id="p",
        track_quantity=True,
        quantity=1,
    )
    with pytest.raises(ConditionNotMet) as refused:
        repository.update(item, replace(item, quantity=2), line_index=0, audit=audit())
    assert refused.value.item is None
    assert repository.get_items([item.key]) == {}
