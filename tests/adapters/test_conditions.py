"""Every write path's DynamoDB condition is exactly the rule that chooses it.

For any item and any line, a path's conditional write (on the local engine, over HTTP) succeeds if and only
if `judge_decrement` chooses that path, and it leaves the item `apply_decrement` says. So a stale judgement
can make a write fail, never make it wrong.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stockroom.adapters.dynamodb.inventory import DynamoDBInventoryRepository
from stockroom.adapters.dynamodb.layout import item_key_attrs, table_name
from stockroom.core.domain import (
    AuditContext,
    DecrementLine,
    IncrementLine,
    InventoryItem,
    ItemKey,
    PreorderSettings,
)
from stockroom.core.ports import StockWrite, WritesRefused
from stockroom.core.rules import (
    MAX_QUANTITY,
    MIN_QUANTITY,
    Apply,
    WritePath,
    apply_decrement,
    judge_decrement,
    judge_increment,
)


@st.composite
def stored_items(draw: st.DrawFn) -> InventoryItem:
    track = draw(st.booleans())
    limit = draw(st.none() | st.integers(min_value=0, max_value=8))
    counter = draw(st.integers(min_value=0, max_value=limit if limit is not None else 8))
    return InventoryItem(
        id=str(uuid.uuid4()),
        store_id="conditions-store",
        variant_id=str(uuid.uuid4()),
        location_id="loc",
        product_id="p",
        track_quantity=track,
        # Near zero, and near Wix's floor of -99,999 (which a decrement allowed below zero stops at).
        quantity=draw(st.integers(-4, 12) | st.integers(MIN_QUANTITY, MIN_QUANTITY + 12)) if track else None,
        in_stock=None if track else draw(st.booleans()),
        preorder=PreorderSettings(enabled=draw(st.booleans()), limit=limit, counter=counter),
        # SPEC §7: units that reservations hold; every rule reads quantity - reserved.
        reserved=draw(st.integers(min_value=0, max_value=6)) if track else 0,
        created_date="2026-01-01T00:00:00.000Z",
        updated_date="2026-01-01T00:00:00.000Z",
    )


def write(repository: DynamoDBInventoryRepository, change: StockWrite, restrict: bool) -> None:
    """One line alone, as a pack of one."""
    context = audit()
    repository.write_together([change], restrict_inventory=restrict, audit=context, token=context.request_id)


def audit() -> AuditContext:
    return AuditContext(request_id=str(uuid.uuid4()), reason="TEST", created_date="2026-01-01T00:00:01.000Z")


@pytest.mark.usefixtures("clean_tables")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    item=stored_items(),
    units=st.integers(min_value=1, max_value=10),
    preorder=st.booleans(),
    restrict=st.booleans(),
)
def test_each_path_writes_exactly_when_the_rules_choose_it(
    item: InventoryItem, units: int, preorder: bool, restrict: bool
) -> None:
    repository = DynamoDBInventoryRepository()
    decision = judge_decrement(item, units, preorder_request=preorder, restrict_inventory=restrict)
    # Rule 3 is open to preorder requests only, so only they may take a preorder path.
    paths = list(WritePath) if preorder else [WritePath.STOCK]
    for path in paths:
        # A fresh copy of the item for each path, so one path's write cannot hide another's.
        copy = replace(item, id=str(uuid.uuid4()), variant_id=str(uuid.uuid4()))
        repository.create_item(copy, audit())
        line = DecrementLine(index=0, key=copy.key, quantity=units, preorder_request=preorder)
        chosen = decision == Apply(path)
        try:
            write(repository, StockWrite(line, path), restrict)
        except WritesRefused as refused:
            assert not chosen, f"{path} refused a line the rules apply by it"
            # The snapshot DynamoDB judged, with no read of ours: the item's stock record (the profile's
            # name, categories and date of creation are not what any rule reads).
            stock = replace(copy, created_date="", product_name=None, category_ids=())
            assert refused.items == {0: stock}
            continue
        assert chosen, f"{path} applied a line the rules decide as {decision}"
        after = repository.get_items([copy.key])[copy.key]
        expected = apply_decrement(copy, path, units)
        assert (after.quantity, after.reserved, after.preorder.counter, after.revision) == (
            expected.quantity,
            expected.reserved,
            expected.preorder.counter,
            expected.revision,
        )
        assert stored_available(repository, copy) == (expected.available if copy.track_quantity else None)


def stored_available(repository: DynamoDBInventoryRepository, item: InventoryItem) -> int | None:
    """The attribute the conditions read (the domain derives it; storage must keep it equal)."""
    raw = repository.client.get_item(
        TableName=table_name(), Key=item_key_attrs(item.key), ConsistentRead=True
    )["Item"]
    return int(raw["available"]["N"]) if "available" in raw else None


@pytest.mark.usefixtures("local_engine")
def test_a_missing_item_refuses_every_path_with_no_snapshot() -> None:
    repository = DynamoDBInventoryRepository()
    line = DecrementLine(
        index=0, key=ItemKey("conditions-store", "absent", "loc"), quantity=1, preorder_request=True
    )
    for path in WritePath:
        with pytest.raises(WritesRefused) as refused:
            write(repository, StockWrite(line, path), False)
        assert refused.value.items == {0: None}
    with pytest.raises(ValueError):
        write(
            repository, StockWrite(replace(line, preorder_request=False), WritePath.PREORDER_UNLIMITED), False
        )
    assert repository.get_items([line.key]) == {}


@pytest.mark.usefixtures("clean_tables")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    item=stored_items(),
    near_ceiling=st.integers(min_value=0, max_value=12),
    units=st.integers(min_value=1, max_value=10),
)
def test_an_increment_writes_exactly_when_the_rules_allow_it(
    item: InventoryItem, near_ceiling: int, units: int
) -> None:
    """Rules 1 and 2 and Wix's ceiling of 99,999: the increment's condition is exactly judge_increment."""
    repository = DynamoDBInventoryRepository()
    if item.track_quantity:
        item = replace(item, quantity=MAX_QUANTITY - near_ceiling, reserved=0)
    repository.create_item(item, audit())
    allowed = judge_increment(item, units) is None
    try:
        write(repository, StockWrite(IncrementLine(0, item.key, units), None), True)
    except WritesRefused as refused:
        # The item's stock record, as DynamoDB judged it (its profile's fields are not what rules read).
        stock = replace(item, created_date="", product_name=None, category_ids=())
        assert not allowed and refused.items == {0: stock}
        return
    assert allowed
    assert repository.get_items([item.key])[item.key].quantity == (item.quantity or 0) + units
