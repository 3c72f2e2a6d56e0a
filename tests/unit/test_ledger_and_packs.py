"""The exact ledger and packed writes, on the in-memory repository."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence
from typing import Any

from stockroom.adapters.memory import InMemoryInventoryRepository
from stockroom.core.domain import (
    AdjustmentKind,
    DecrementLine,
    IncrementLine,
    InventoryItem,
    ItemDraft,
    ItemKey,
)
from stockroom.core.packs import PACK_LINES
from stockroom.core.ports import StockWrite, WritesConflicted
from stockroom.core.service import InventoryService
from tests.unit.conftest import LOCATION, STORE, Make, ticking_clock


def key(variant: str) -> ItemKey:
    return ItemKey(STORE, variant, LOCATION)


def assert_chain(repository: InMemoryInventoryRepository, item_key: ItemKey) -> None:
    records = sorted(repository.ledger[item_key].values(), key=lambda a: a.revision)
    assert [a.revision for a in records] == list(range(1, len(records) + 1))
    for previous, record in itertools.pairwise(records):
        assert record.quantity_before == previous.quantity_after
    assert records[-1].quantity_after == repository.items[item_key].quantity


def test_every_change_has_one_exact_record(
    service: InventoryService, repository: InMemoryInventoryRepository, make: Make
) -> None:
    make("a", 5)
    service.decrement(
        [DecrementLine(0, key("a"), 2)],
        restrict_inventory=True,
        audit=service.audit_context("d", "ORDER"),
        return_entity=False,
    )
    service.increment(
        [IncrementLine(0, key("a"), 4)], audit=service.audit_context("i", "RESTOCK"), return_entity=False
    )
    records = sorted(repository.ledger[key("a")].values(), key=lambda a: a.revision)
    assert [(a.kind, a.quantity_before, a.quantity_after, a.delta, a.reason) for a in records] == [
        (AdjustmentKind.CREATE, None, 5, 5, "UNSPECIFIED"),
        (AdjustmentKind.DECREMENT, 5, 3, -2, "ORDER"),
        (AdjustmentKind.INCREMENT, 3, 7, 4, "RESTOCK"),
    ]
    assert_chain(repository, key("a"))


def test_a_preorder_record_carries_the_counter(
    service: InventoryService, repository: InMemoryInventoryRepository, make: Make
) -> None:
    make("p", 0, preorder=True, limit=9)
    service.decrement(
        [DecrementLine(0, key("p"), 3, True)],
        restrict_inventory=True,
        audit=service.audit_context("d", None),
        return_entity=False,
    )
    record = repository.ledger[key("p")][max(repository.ledger[key("p")])]
    assert (record.kind, record.counter_before, record.counter_after) == (AdjustmentKind.PREORDER, 0, 3)
    assert record.quantity_before == record.quantity_after == 0


def test_the_chain_holds_under_racing_writers(
    service: InventoryService, repository: InMemoryInventoryRepository, make: Make
) -> None:
    make("hot", 40)

    def writer(n: int) -> None:
        for i in range(15):
            audit = service.audit_context(f"w{n}-{i}", None)
            if (n + i) % 3:
                service.decrement(
                    [DecrementLine(0, key("hot"), 1)],
                    restrict_inventory=True,
                    audit=audit,
                    return_entity=False,
                )
            else:
                service.increment([IncrementLine(0, key("hot"), 1)], audit=audit, return_entity=False)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert_chain(repository, key("hot"))


def test_the_feed_is_the_stores_ledger_oldest_first_and_paged(service: InventoryService, make: Make) -> None:
    for variant in ("a", "b", "c"):
        make(variant, 3)
    service.decrement(
        [DecrementLine(0, key("b"), 1)],
        restrict_inventory=True,
        audit=service.audit_context("d", None),
        return_entity=False,
    )
    first = service.feed(STORE, since="", limit=3, cursor=None, cursor_field="cursor")
    rest = service.feed(STORE, since="", limit=3, cursor=first.next_cursor, cursor_field="cursor")
    entries = first.entries + rest.entries
    assert [a.kind for a in entries] == [AdjustmentKind.CREATE] * 3 + [AdjustmentKind.DECREMENT]
    assert [a.created_date for a in entries] == sorted(a.created_date for a in entries)
    assert rest.next_cursor is None
    later = service.feed(STORE, since=entries[2].created_date, limit=10, cursor=None, cursor_field="cursor")
    assert [a.kind for a in later.entries] == [AdjustmentKind.CREATE, AdjustmentKind.DECREMENT]


class Counting(InMemoryInventoryRepository):
    """Counts transactions and their sizes, and the lines written alone; can make chosen lines meet another
    writer once."""

    def __init__(self, conflict_once: set[int] | None = None) -> None:
        super().__init__()
        self.transactions: list[int] = []
        self.alone: list[int] = []  # the lines written alone, by index
        self._conflict_once = set(conflict_once or ())

    def write_alone(self, write: StockWrite, **kwargs: Any) -> InventoryItem:
        self.alone.append(write.line.index)
        return super().write_alone(write, **kwargs)

    def write_together(self, writes: Sequence[StockWrite], **kwargs: Any) -> None:
        self.transactions.append(len(writes))
        hit = {i for i, w in enumerate(writes) if w.line.index in self._conflict_once}
        if hit and len(writes) > 1:
            self._conflict_once -= {writes[i].line.index for i in hit}
            raise WritesConflicted(frozenset(hit))
        super().write_together(writes, **kwargs)


def packed_service(repository: InMemoryInventoryRepository, items: int) -> InventoryService:
    repository.put_store(STORE, LOCATION)
    service = InventoryService(repository, max_parallel_writes=8, clock=ticking_clock())
    drafts = [ItemDraft(variant_id=f"v{n}", quantity=2) for n in range(items)]
    service.create_items(STORE, drafts, service.audit_context("seed", None), False)
    return service


def test_three_hundred_lines_are_six_transactions() -> None:
    repository = Counting()
    service = packed_service(repository, 300)
    lines = [DecrementLine(n, key(f"v{n}"), 1) for n in range(300)]
    results = service.decrement(
        lines, restrict_inventory=True, audit=service.audit_context("r", None), return_entity=False
    )
    assert all(r.success for r in results)
    assert sorted(repository.transactions) == [PACK_LINES] * 6


def test_a_refused_line_never_fails_its_packmates() -> None:
    repository = Counting()
    service = packed_service(repository, 10)
    lines = [DecrementLine(n, key(f"v{n}"), 3 if n == 4 else 1) for n in range(10)]
    results = service.decrement(
        lines, restrict_inventory=True, audit=service.audit_context("r", None), return_entity=False
    )
    assert [r.success for r in results] == [n != 4 for n in range(10)]
    assert repository.transactions == [10, 9]  # refused once, then written without the refused line


def test_a_conflicted_line_goes_on_alone_and_its_packmates_are_written() -> None:
    repository = Counting(conflict_once={3})
    service = packed_service(repository, 6)
    lines = [DecrementLine(n, key(f"v{n}"), 1) for n in range(6)]
    results = service.decrement(
        lines, restrict_inventory=True, audit=service.audit_context("r", None), return_entity=False
    )
    assert all(r.success for r in results)
    # The conflicted line is one single-item write: it holds nothing, so it cannot conflict again.
    assert repository.transactions == [6, 5]
    assert repository.alone == [3]
    assert all(repository.items[key(f"v{n}")].quantity == 1 for n in range(6))


def test_a_keyed_request_of_several_lines_keeps_the_witness_of_a_lone_line() -> None:
    repository = Counting(conflict_once={3})
    service = packed_service(repository, 6)
    lines = [DecrementLine(n, key(f"v{n}"), 1) for n in range(6)]
    audit = service.audit_context("idem-r", None, keyed=True)
    results = service.decrement(lines, restrict_inventory=True, audit=audit, return_entity=False)
    assert all(r.success for r in results)
    # A retry under the key finds every line by its witness: none needs its ledger searched.
    assert repository.transactions == [6, 5, 1]
    assert repository.alone == []


def test_a_one_line_request_is_one_single_item_write_that_answers_with_its_item() -> None:
    repository = Counting()
    service = packed_service(repository, 1)
    [result] = service.decrement(
        [DecrementLine(0, key("v0"), 1)],
        restrict_inventory=True,
        audit=service.audit_context("r", None),
        return_entity=True,
    )
    assert result.success and result.item is not None and result.item.quantity == 1
    assert repository.transactions == [] and repository.alone == [0]


def test_lines_for_one_item_go_in_rounds_in_request_order() -> None:
    repository = Counting()
    service = packed_service(repository, 2)
    lines = [DecrementLine(0, key("v0"), 2), DecrementLine(1, key("v1"), 1), DecrementLine(2, key("v0"), 1)]
    results = service.decrement(
        lines, restrict_inventory=True, audit=service.audit_context("r", None), return_entity=False
    )
    assert [r.success for r in results] == [True, True, False]  # line 2 sees the stock line 0 left
    assert repository.transactions == [2]
    assert repository.alone == [2]  # a round of one line
