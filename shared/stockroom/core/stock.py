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
    AdjustmentKind,
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
from stockroom.core.errors import InvalidRequest, StorageUnavailable
from stockroom.core.lanes import run_grouped
from stockroom.core.ports import (
    ConditionNotMet,
    InventoryRepository,
    OrderAlreadyApplied,
    OrderItemWrite,
    OrderMarker,
    OrderRefused,
)
from stockroom.core.rules import Reject, WritePath, judge_decrement, judge_increment
from stockroom.core.writes import Retry, write_by_rules

# DynamoDB's limit on one transaction.
MAX_TRANSACTION_ITEMS = 100
# Lines of one request in flight at once (the adapter's connection pool is sized to match).
DEFAULT_PARALLEL_WRITES = 150

_WRITE_PATH_KIND = {
    WritePath.STOCK: AdjustmentKind.DECREMENT,
    WritePath.PREORDER_WITHIN_LIMIT: AdjustmentKind.PREORDER,
    WritePath.PREORDER_UNLIMITED: AdjustmentKind.PREORDER,
}
NOT_FOUND = "No such inventory item in this store."
_KEPT_CHANGING = "The item kept changing under this line; nothing was applied."


def max_order_items(*, with_marker: bool) -> int:
    """How many items one all-or-nothing order may name: each takes two operations of the transaction (its
    update and its audit record), and an order marker one more."""
    return (MAX_TRANSACTION_ITEMS - int(with_marker)) // 2


def failed(index: int, code: LineErrorCode, description: str, item_id: str | None = None) -> LineResult:
    return LineResult(index, item_id, error=LineError(code, description))


def busy(index: int, unavailable: StorageUnavailable) -> LineResult:
    return failed(index, LineErrorCode.TEMPORARILY_UNAVAILABLE, unavailable.description)


class _ById(Protocol):
    @property
    def index(self) -> int: ...

    @property
    def item_id(self) -> str: ...


ById = TypeVar("ById", bound=_ById)
Writes = list[OrderItemWrite]
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
        """Apply independent lines, as decrement does: concurrently across items, in order within one."""
        results = self._run_grouped(
            lines, lambda line: line.key, lambda line: self._increment_line(line, audit)
        )
        return self._with_items(results, lines, return_entity)

    def _increment_line(self, line: IncrementLine, audit: AuditContext) -> LineResult:
        def write(_: None, attempt: int) -> LineResult:
            self._repository.increment(line, audit=audit, attempt=attempt)
            return LineResult(line.index, None, kind=AdjustmentKind.INCREMENT)

        def judge(refused: ConditionNotMet, _: None) -> LineResult | Retry[None]:
            error = judge_increment(refused.item)
            if error is None:
                return Retry(None)  # the item started tracking quantity under this line: again
            return LineResult(line.index, refused.item.id if refused.item else None, error=error)

        try:
            return write_by_rules(
                None, write, ConditionNotMet, judge, lambda: self._kept_changing(line.index)
            )
        except StorageUnavailable as unavailable:
            return busy(line.index, unavailable)

    def decrement(
        self,
        lines: Sequence[DecrementLine],
        *,
        restrict_inventory: bool,
        audit: AuditContext,
        return_entity: bool,
    ) -> list[LineResult]:
        """Apply independent lines; one result per line, in request order.

        Lines for different items are written concurrently. Lines for the same item run one after the
        other in request order, so each is judged on the stock the previous one left.
        """
        results = self._run_grouped(
            lines, lambda line: line.key, lambda line: self._decrement_line(line, restrict_inventory, audit)
        )
        return self._with_items(results, lines, return_entity)

    def _decrement_line(
        self, line: DecrementLine, restrict_inventory: bool, audit: AuditContext
    ) -> LineResult:
        def write(path: WritePath, attempt: int) -> LineResult:
            self._repository.decrement(
                line, path, restrict_inventory=restrict_inventory, audit=audit, attempt=attempt
            )
            return LineResult(line.index, None, kind=_WRITE_PATH_KIND[path])

        def judge(refused: ConditionNotMet, _: WritePath) -> LineResult | Retry[WritePath]:
            decision = judge_decrement(
                refused.item,
                line.quantity,
                preorder_request=line.preorder_request,
                restrict_inventory=restrict_inventory,
            )
            if isinstance(decision, Reject):
                return LineResult(line.index, refused.item.id if refused.item else None, error=decision.error)
            return Retry(decision.path)  # the item changed, or rule 3 applies: the path the rules chose

        try:
            # The common path first: stock, with no read before it. A refusal returns the item it judged.
            return write_by_rules(
                WritePath.STOCK, write, ConditionNotMet, judge, lambda: self._kept_changing(line.index)
            )
        except StorageUnavailable as unavailable:
            return busy(line.index, unavailable)

    @staticmethod
    def _kept_changing(index: int) -> LineResult:
        return failed(index, LineErrorCode.TEMPORARILY_UNAVAILABLE, _KEPT_CHANGING)

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

        def write(writes: list[OrderItemWrite], attempt: int) -> OrderOutcome:
            try:
                self._repository.decrement_all(
                    writes, restrict_inventory=restrict_inventory, audit=audit, marker=marker, attempt=attempt
                )
            except OrderAlreadyApplied:
                return OrderOutcome(applied=True, already_applied=True)
            return OrderOutcome(applied=True)

        def judge(
            refused: OrderRefused, writes: list[OrderItemWrite]
        ) -> OrderOutcome | Retry[list[OrderItemWrite]]:
            writes = list(writes)
            failures: list[LineResult] = []
            for position, item in refused.items.items():
                line = writes[position].line
                if accept_untracked and item is not None and not item.track_quantity:
                    writes[position] = OrderItemWrite(line, None)
                    continue
                decision = judge_decrement(
                    item,
                    line.quantity,
                    preorder_request=line.preorder_request,
                    restrict_inventory=restrict_inventory,
                )
                if isinstance(decision, Reject):
                    item_id = item.id if item else None
                    failures += [LineResult(i, item_id, error=decision.error) for i in indexes[line.key]]
                else:
                    writes[position] = OrderItemWrite(line, decision.path)
            if failures:
                return OrderOutcome(applied=False, failures=tuple(sorted(failures, key=lambda r: r.index)))
            return Retry(writes)

        def exhausted() -> OrderOutcome:
            raise StorageUnavailable("The order's items kept changing under it; nothing was applied.")

        blind = [OrderItemWrite(line, WritePath.STOCK) for line in merged.values()]
        return write_by_rules(blind, write, OrderRefused, judge, exhausted)

    def _with_items(
        self,
        results: list[LineResult],
        lines: Sequence[DecrementLine] | Sequence[IncrementLine],
        return_entity: bool,
    ) -> list[LineResult]:
        """Fill in applied lines' ids (and items, if asked) with one batched read after the writes."""
        key_of = {line.index: line.key for line in lines}
        applied_keys = [key_of[r.index] for r in results if r.success]
        if not applied_keys:
            return results
        try:
            items = self._repository.get_items(applied_keys)
        except StorageUnavailable:
            return results  # the lines were applied; an answer without ids beats a retry that applies twice
        return [
            replace(r, item_id=item.id, item=item if return_entity else None)
            if r.success and (item := items.get(key_of[r.index])) is not None
            else r
            for r in results
        ]
