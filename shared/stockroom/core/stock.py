"""Stock changes: decrements, increments and all-or-nothing orders, each line a blind write guarded by
its rule (`stockroom.core.writes`), lines for different items in parallel lanes (`stockroom.core.lanes`).

`InventoryService` is this plus the catalog (create, read, update, query); this part needs only the
repository port, so it is written, and tested, on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Executor
from dataclasses import replace
from typing import Protocol, TypeVar

from stockroom.core.domain import (
    AuditContext,
    DecrementById,
    DecrementLine,
    IncrementById,
    IncrementLine,
    ItemKey,
    LineError,
    LineErrorCode,
    LineResult,
    OrderOutcome,
)
from stockroom.core.errors import IdempotencyConflict, InvalidRequest, StorageUnavailable
from stockroom.core.lanes import run_grouped
from stockroom.core.packs import PackWriter, judge_or_reclaim, unavailable
from stockroom.core.ports import (
    InventoryRepository,
    NotApplied,
    OrderAlreadyApplied,
    OrderMarker,
    StockWrite,
    WritesConflicted,
    WritesRefused,
)
from stockroom.core.rules import WritePath
from stockroom.core.writes import Retry, backoff, write_by_rules

NOT_FOUND = "No such inventory item in this store."
# DynamoDB's limit on one transaction.
MAX_TRANSACTION_ITEMS = 100
# Lines of one request in flight at once (the adapter's connection pool is sized to match).
DEFAULT_PARALLEL_WRITES = 150


def max_order_items(*, with_marker: bool) -> int:
    """How many items one all-or-nothing order may name: each takes two operations of the transaction (its
    update and its audit record), and an order marker one more."""
    return (MAX_TRANSACTION_ITEMS - int(with_marker)) // 2


def failed(index: int, code: LineErrorCode, description: str, item_id: str | None = None) -> LineResult:
    return LineResult(index, item_id, error=LineError(code, description))


def busy(index: int, error: StorageUnavailable | IdempotencyConflict) -> LineResult:
    return unavailable(index, error.description, error.code)


def _decided_before(decided: OrderAlreadyApplied) -> OrderOutcome:
    if decided.failures is None:
        return OrderOutcome(applied=True, already_applied=True)
    return OrderOutcome(applied=False, failures=decided.failures, already_applied=True)


class _ById(Protocol):
    @property
    def index(self) -> int: ...

    @property
    def item_id(self) -> str: ...


ById = TypeVar("ById", bound=_ById)
Line = TypeVar("Line")


class StockChanges:
    def __init__(
        self,
        repository: InventoryRepository,
        *,
        max_parallel_writes: int = DEFAULT_PARALLEL_WRITES,
        executor: Executor | None = None,
    ) -> None:
        self._repository = repository
        self._lanes = max_parallel_writes
        self._executor = executor
        self._packs = PackWriter(repository, lanes=max_parallel_writes, executor=executor)

    def _run_grouped(
        self,
        lines: Sequence[Line],
        item_of: Callable[[Line], Hashable],
        run_one: Callable[[Line], LineResult],
    ) -> list[LineResult]:
        return run_grouped(lines, item_of, run_one, lanes=self._lanes, executor=self._executor)

    # --- by id --------------------------------------------------------------------------------------------

    def keys_by_id(
        self, store_id: str, requested: Sequence[tuple[int, str]]
    ) -> tuple[dict[int, ItemKey], list[LineResult]]:
        """Each line's item key, from one batched read of the id pointers; lines naming an id this store
        does not have come back as INVENTORY_ITEM_NOT_FOUND results instead."""
        keys = self._repository.resolve_ids(store_id, [item_id for _, item_id in requested])
        found = {index: keys[item_id] for index, item_id in requested if item_id in keys}
        missing = [
            LineResult(
                index,
                None,
                error=LineError(
                    LineErrorCode.INVENTORY_ITEM_NOT_FOUND, NOT_FOUND, {"inventoryItemId": item_id}
                ),
            )
            for index, item_id in requested
            if item_id not in keys
        ]
        return found, missing

    def _by_id(
        self,
        store_id: str,
        requested: Sequence[ById],
        to_line: Callable[[ById, ItemKey], Line],
        apply: Callable[[list[Line]], list[LineResult]],
    ) -> list[LineResult]:
        """A by-id call: `apply` on the lines whose item exists, INVENTORY_ITEM_NOT_FOUND for the others."""
        keys, missing = self.keys_by_id(store_id, [(line.index, line.item_id) for line in requested])
        lines = [to_line(line, keys[line.index]) for line in requested if line.index in keys]
        return sorted([*apply(lines), *missing], key=lambda r: r.index)

    def decrement_by_id(
        self,
        store_id: str,
        lines: Sequence[DecrementById],
        *,
        restrict_inventory: bool,
        audit: AuditContext,
        return_entity: bool,
    ) -> list[LineResult]:
        """The same rules and writes as by variant and location: ids become keys, then `decrement`."""
        return self._by_id(
            store_id,
            lines,
            lambda line, key: DecrementLine(line.index, key, line.quantity, line.preorder_request),
            lambda found: self.decrement(
                found, restrict_inventory=restrict_inventory, audit=audit, return_entity=return_entity
            ),
        )

    def increment_by_id(
        self, store_id: str, lines: Sequence[IncrementById], *, audit: AuditContext, return_entity: bool
    ) -> list[LineResult]:
        return self._by_id(
            store_id,
            lines,
            lambda line, key: IncrementLine(line.index, key, line.quantity),
            lambda found: self.increment(found, audit=audit, return_entity=return_entity),
        )

    # --- stock changes ------------------------------------------------------------------------------------

    def increment(
        self, lines: Sequence[IncrementLine], *, audit: AuditContext, return_entity: bool
    ) -> list[LineResult]:
        """Apply independent lines, packed as decrement's are; rules 1 and 2 are all that can refuse one."""
        results = self._packs.write(
            [StockWrite(line, None) for line in lines], restrict_inventory=True, audit=audit
        )
        return self._with_items(results, lines, return_entity)

    def decrement(
        self,
        lines: Sequence[DecrementLine],
        *,
        restrict_inventory: bool,
        audit: AuditContext,
        return_entity: bool,
    ) -> list[LineResult]:
        """Apply independent lines; one result per line, in request order.

        Lines for different items are written together, in packs (`stockroom.core.packs`). Lines for the
        same item run one after the other in request order, so each is judged on the stock the previous one
        left. Every line's first write is blind, on the stock path: a refusal hands back the item it judged.
        """
        results = self._packs.write(
            [StockWrite(line, WritePath.STOCK) for line in lines],
            restrict_inventory=restrict_inventory,
            audit=audit,
        )
        return self._with_items(results, lines, return_entity)

    def decrement_all_or_nothing(
        self,
        lines: Sequence[DecrementLine],
        *,
        restrict_inventory: bool,
        audit: AuditContext,
        accept_untracked: bool = False,
        marker: OrderMarker | None = None,
    ) -> OrderOutcome:
        """Apply every line in one transaction, or none and name every line that failed.

        Lines for one item are merged first (a transaction touches an item once). Like `decrement`, the first
        attempt writes blind; a refusal returns each refused item, the rules judge it, and either the order
        fails with every rejected line, or the next attempt takes the paths the rules chose.
        """
        merged: dict[ItemKey, DecrementLine] = {}
        indexes: dict[ItemKey, list[int]] = {}
        for line in lines:
            first = merged.get(line.key)
            if first is not None and first.preorder_request != line.preorder_request:
                raise InvalidRequest(
                    ("lines", line.index), "Lines for one item must agree on whether they are preorders."
                )
            merged[line.key] = (
                line if first is None else replace(first, quantity=first.quantity + line.quantity)
            )
            indexes.setdefault(line.key, []).append(line.index)
        most_items = max_order_items(with_marker=marker is not None)
        if len(merged) > most_items:
            raise InvalidRequest("lines", f"An order may name at most {most_items} different items.")

        def write(writes: list[StockWrite], attempt: int) -> OrderOutcome:
            try:
                self._repository.write_together(
                    writes,
                    restrict_inventory=restrict_inventory,
                    audit=audit,
                    token=f"{audit.request_id}:all:{attempt}",
                    marker=marker,
                )
            except OrderAlreadyApplied as decided:
                return _decided_before(decided)
            return OrderOutcome(applied=True)

        def judge(refusal: NotApplied, planned: list[StockWrite]) -> OrderOutcome | Retry[list[StockWrite]]:
            if isinstance(refusal, WritesConflicted):
                backoff(len(planned))  # another writer on one of its items: the whole order again, shortly
                return Retry(planned)
            assert isinstance(refusal, WritesRefused)
            if refusal.recorded:
                return OrderOutcome(applied=True)  # an earlier attempt landed whole, its answer lost
            writes = list(planned)
            failures: list[LineResult] = []
            for position, item in refusal.items.items():
                line = writes[position].line
                assert isinstance(line, DecrementLine)
                if accept_untracked and item is not None and not item.track_quantity:
                    writes[position] = StockWrite(line, None)
                    continue
                # The same verdict as a packed line's: an error, or the path the rules chose next.
                verdict = judge_or_reclaim(
                    self._repository, writes[position], item, restrict_inventory, audit
                )
                if isinstance(verdict, LineError):
                    item_id = item.id if item else None
                    failures += [LineResult(i, item_id, error=verdict) for i in indexes[line.key]]
                else:
                    writes[position] = verdict
            if failures:
                rejected = tuple(sorted(failures, key=lambda r: r.index))
                if marker is not None:
                    # A redelivery after a restock must get this same answer, not apply the order.
                    try:
                        self._repository.record_order_rejection(marker, rejected, audit)
                    except OrderAlreadyApplied as decided:
                        return _decided_before(decided)  # a copy of the order was decided first
                return OrderOutcome(applied=False, failures=rejected)
            return Retry(writes)

        def exhausted(_: list[StockWrite]) -> OrderOutcome:
            raise StorageUnavailable("The order's items kept changing under it; nothing was applied.")

        blind = [StockWrite(line, WritePath.STOCK) for line in merged.values()]
        return write_by_rules(blind, write, NotApplied, judge, exhausted)

    def _with_items(
        self,
        results: list[LineResult],
        lines: Sequence[DecrementLine] | Sequence[IncrementLine],
        return_entity: bool,
    ) -> list[LineResult]:
        """Fill in applied lines' ids (and items, if asked) with one batched read after the writes. A line
        written alone answers with the item its write returned; that is the item after the request when the
        request is that one line, and saves the read."""
        if len(results) == 1 and results[0].item is not None:
            return results if return_entity else [replace(results[0], item=None)]
        results = [replace(r, item=None) if r.item is not None else r for r in results]
        key_of = {line.index: line.key for line in lines}
        applied_keys = [key_of[r.index] for r in results if r.success]
        if not applied_keys:
            return results
        try:
            items = self._repository.get_items(applied_keys, whole=return_entity)
        except StorageUnavailable:
            return results  # the lines were applied; an answer without ids beats a retry that applies twice
        return [
            replace(r, item_id=item.id, item=item if return_entity else None)
            if r.success and (item := items.get(key_of[r.index])) is not None
            else r
            for r in results
        ]
