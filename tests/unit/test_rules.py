"""SPEC §2's rules, judged on snapshots: each rule, and properties over any sequence of lines."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from stockroom.core.domain import AvailabilityStatus, InventoryItem, LineErrorCode, PreorderSettings
from stockroom.core.rules import Apply, Reject, WritePath, apply_decrement, judge_decrement


def tracked(
    quantity: int, *, enabled: bool = False, limit: int | None = None, counter: int = 0
) -> InventoryItem:
    return InventoryItem(
        id="item",
        store_id="s",
        variant_id="v",
        location_id="l",
        product_id="p",
        track_quantity=True,
        quantity=quantity,
        preorder=PreorderSettings(enabled=enabled, limit=limit, counter=counter),
    )


def judge(item: InventoryItem | None, units: int, *, preorder: bool = False, restrict: bool = True):
    return judge_decrement(item, units, preorder_request=preorder, restrict_inventory=restrict)


def error_code(decision: Apply | Reject) -> LineErrorCode:
    assert isinstance(decision, Reject), decision
    return decision.error.code


def test_rule_1_missing_item_is_not_found() -> None:
    assert error_code(judge(None, 1)) is LineErrorCode.INVENTORY_ITEM_NOT_FOUND


def test_rule_2_untracked_item_cannot_be_decremented() -> None:
    untracked = replace(tracked(0), track_quantity=False, quantity=None, in_stock=True)
    assert error_code(judge(untracked, 1)) is LineErrorCode.TRACK_QUANTITY_DISABLED
    assert (
        error_code(judge(untracked, 1, preorder=True, restrict=False))
        is LineErrorCode.TRACK_QUANTITY_DISABLED
    )


def test_rule_3_preorder_counts_instead_of_stock_when_sold_out() -> None:
    assert judge(tracked(0, enabled=True, limit=10), 2, preorder=True) == Apply(
        WritePath.PREORDER_WITHIN_LIMIT
    )
    assert judge(tracked(0, enabled=True), 2, preorder=True) == Apply(WritePath.PREORDER_UNLIMITED)
    assert judge(tracked(-3, enabled=True), 2, preorder=True) == Apply(WritePath.PREORDER_UNLIMITED)


def test_rule_3_limit_is_checked_against_counter_plus_request() -> None:
    assert judge(tracked(0, enabled=True, limit=10, counter=8), 2, preorder=True) == Apply(
        WritePath.PREORDER_WITHIN_LIMIT
    )
    refused = judge(tracked(0, enabled=True, limit=10, counter=8), 3, preorder=True)
    assert error_code(refused) is LineErrorCode.PREORDER_LIMIT_EXCEEDED
    assert isinstance(refused, Reject)
    assert refused.error.data["available"] == 2


def test_rule_3_does_not_apply_without_preorder_request_or_while_in_stock() -> None:
    sold_out = tracked(0, enabled=True, limit=10)
    assert error_code(judge(sold_out, 1)) is LineErrorCode.INSUFFICIENT_INVENTORY
    # In stock: a preorder request takes stock like any other line.
    assert judge(tracked(5, enabled=True), 2, preorder=True) == Apply(WritePath.STOCK)


def test_rule_3_exhausted_limit_falls_through_to_rule_4() -> None:
    exhausted = tracked(0, enabled=True, limit=4, counter=4)
    assert exhausted.availability_status is AvailabilityStatus.OUT_OF_STOCK
    assert error_code(judge(exhausted, 1, preorder=True)) is LineErrorCode.INSUFFICIENT_INVENTORY
    assert judge(exhausted, 1, preorder=True, restrict=False) == Apply(WritePath.STOCK)


def test_rule_4_restricted_stock_never_goes_below_zero() -> None:
    assert judge(tracked(3), 3) == Apply(WritePath.STOCK)
    refused = judge(tracked(3), 4)
    assert error_code(refused) is LineErrorCode.INSUFFICIENT_INVENTORY
    assert isinstance(refused, Reject)
    assert refused.error.data == {"inventoryItemId": "item", "requested": 4, "available": 3}


def test_rule_4_unrestricted_may_go_negative() -> None:
    decision = judge(tracked(1), 5, restrict=False)
    assert decision == Apply(WritePath.STOCK)
    assert apply_decrement(tracked(1), WritePath.STOCK, 5).quantity == -4


def test_availability_status_is_derived() -> None:
    assert tracked(1).availability_status is AvailabilityStatus.IN_STOCK
    assert tracked(0).availability_status is AvailabilityStatus.OUT_OF_STOCK
    assert tracked(0, enabled=True).availability_status is AvailabilityStatus.PREORDER
    assert tracked(0, enabled=True, limit=2, counter=1).availability_status is AvailabilityStatus.PREORDER
    untracked = replace(tracked(0), track_quantity=False, quantity=None, in_stock=False)
    assert untracked.availability_status is AvailabilityStatus.OUT_OF_STOCK
    assert replace(untracked, in_stock=True).availability_status is AvailabilityStatus.IN_STOCK
    assert (
        replace(untracked, preorder=PreorderSettings(enabled=True)).availability_status
        is AvailabilityStatus.PREORDER
    )


items = st.builds(
    tracked,
    st.integers(min_value=0, max_value=50),
    enabled=st.booleans(),
    limit=st.none() | st.integers(min_value=0, max_value=30),
)
lines = st.lists(
    st.tuples(st.integers(min_value=1, max_value=20), st.booleans(), st.booleans()), min_size=1, max_size=40
)


@given(items, lines)
def test_no_sequence_of_lines_oversells_or_passes_a_preorder_limit(
    item: InventoryItem, requested: list[tuple[int, bool, bool]]
) -> None:
    start = item.quantity or 0
    restricted_taken = 0
    for units, preorder, restrict in requested:
        before = item
        decision = judge(item, units, preorder=preorder, restrict=restrict)
        if isinstance(decision, Reject):
            continue
        item = apply_decrement(item, decision.path, units)
        if decision.path is WritePath.STOCK:
            if restrict:
                restricted_taken += units
                # A restricted line never takes stock it does not see.
                assert item.quantity is not None and item.quantity >= 0
            assert item.preorder == before.preorder
        else:
            assert preorder and (before.quantity or 0) <= 0
            assert item.quantity == before.quantity
        limit = item.preorder.limit
        assert limit is None or item.preorder.counter <= limit
        assert item.revision == before.revision + 1
    if all(restrict for _, _, restrict in requested):
        assert restricted_taken <= start
        assert item.quantity == start - restricted_taken


@given(items, st.integers(min_value=1, max_value=20), st.booleans(), st.booleans())
def test_a_refusal_names_the_rule_that_refused(
    item: InventoryItem, units: int, preorder: bool, restrict: bool
) -> None:
    decision = judge(item, units, preorder=preorder, restrict=restrict)
    if isinstance(decision, Apply):
        return
    if decision.error.code is LineErrorCode.PREORDER_LIMIT_EXCEEDED:
        assert preorder and item.availability_status is AvailabilityStatus.PREORDER
        assert item.preorder.limit is not None and item.preorder.counter + units > item.preorder.limit
    else:
        assert decision.error.code is LineErrorCode.INSUFFICIENT_INVENTORY
        assert restrict and (item.quantity or 0) < units
