"""Packed writes on DynamoDB (the local engine, over HTTP): for any mix of lines (refused ones, several for
one item, missing items, preorders), the results and the final items are those of applying the lines one at
a time in request order. Small packs make every request several transactions, refusals among them."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stockroom.adapters.dynamodb.inventory import DynamoDBInventoryRepository
from stockroom.core import packs
from stockroom.core.service import InventoryService
from tests.unit.test_properties import check_against_one_at_a_time, lines, stock


@pytest.mark.usefixtures("local_engine")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(stock, min_size=3, max_size=3), requested=lines, restrict=st.booleans())
def test_packed_decrement_equals_one_line_at_a_time(
    items: list[dict[str, object]],
    requested: list[tuple[str, int, bool]],
    restrict: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(packs, "PACK_LINES", 2)  # many packs from few lines
    service = InventoryService(DynamoDBInventoryRepository(), max_parallel_writes=4)
    check_against_one_at_a_time(service, f"packing-{uuid.uuid4().hex[:12]}", items, requested, restrict)
