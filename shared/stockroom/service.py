"""The inventory logic: turns requests into conditional writes by the rules, line by line.

It takes its repository in its constructor, so tests can swap storage, and knows nothing of HTTP.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Hashable, Iterable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from stockroom.domain import (
    Adjustment,
    AdjustmentKind,
    AuditContext,
    DecrementLine,
    IncrementLine,
    InventoryItem,
    ItemKey,
    ItemQuery,
    LineError,
    LineErrorCode,
    LineResult,
    OrderOutcome,
    PreorderSettings,
    UpdateLine,
)
from stockroom.dynamodb import MAX_POOL_CONNECTIONS
from stockroom.errors import InvalidRequest, ItemAlreadyExists, ItemNotFound, StorageUnavailable
from stockroom.fields import ID_PATTERN
from stockroom.repository import (
    ConditionNotMet,
    InventoryRepository,
    OrderAlreadyApplied,
    OrderItemWrite,
    OrderMarker,
    OrderRefused,
)
from stockroom.rules import (
    Reject,
    WritePath,
    apply_update,
    judge_decrement,
    judge_increment,
    revision_mismatch,
)

T = TypeVar("T")
Line = TypeVar("Line")

# A line tries at most this many write paths; more means the item changed under it every time.
MAX_WRITE_ATTEMPTS = 4
# DynamoDB's limit on one transaction.
MAX_TRANSACTION_ITEMS = 100


def max_order_items(*, with_marker: bool) -> int:
    """How many items one all-or-nothing order may name: each takes two operations of the transaction (its
    update and its audit record), and an order marker one more."""
    return (MAX_TRANSACTION_ITEMS - int(with_marker)) // 2


DEFAULT_LOCATION_TTL_SECONDS = 300.0
# Stores with no settings record still get a stable default location of their own.
_DEFAULT_LOCATION_NAMESPACE = uuid.UUID("4f1b2a6e-8f3c-4c8e-9d0a-5b7e2c1d3f60")

_shared_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def shared_executor() -> ThreadPoolExecutor:
    """One pool per process, sized to the client's connection pool, reused across invocations."""
    global _shared_executor
    with _executor_lock:
        if _shared_executor is None:
            _shared_executor = ThreadPoolExecutor(MAX_POOL_CONNECTIONS, thread_name_prefix="stockroom-line")
        return _shared_executor


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class ItemDraft:
    """What a caller gives to create an item; the service fills in id, location, revision and dates."""

    variant_id: str
    location_id: str | None = None
    product_id: str | None = None
    quantity: int | None = None
    in_stock: bool | None = None
    preorder: PreorderSettings = field(default_factory=PreorderSettings)
    product_name: str | None = None
    category_ids: tuple[str, ...] = ()
    low_stock_threshold: int | None = None
    item_id: str | None = None  # chosen by the caller only for seeding and imports


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    entries: list[T]
    next_cursor: str | None  # None: this is the last page


# --- cursors: opaque to callers, bound to the store and filter they were issued for ----------------------


def cursor_scope(*parts: Any) -> str:
    """A hash of what a cursor is valid for (the call, the store, the filter)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=sorted).encode()).hexdigest()[:16]


def encode_cursor(position: Any, scope: str) -> str:
    raw = json.dumps({"after": position, "scope": scope}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, scope: str, field_name: str) -> Any:
    """The position a cursor resumes after; a cursor that is not ours, or of another store or filter,
    is the caller's mistake (400), never a query of something else."""
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        raise InvalidRequest(field_name, "The cursor is not one this API issued.") from None
    if not isinstance(decoded, dict) or decoded.get("scope") != scope:
        raise InvalidRequest(field_name, "The cursor belongs to another store or another filter.")
    return decoded.get("after")


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(ID_PATTERN, value) is not None


def _failed(index: int, code: LineErrorCode, description: str, item_id: str | None = None) -> LineResult:
    return LineResult(index, item_id, error=LineError(code, description))


_WRITE_PATH_KIND = {
    WritePath.STOCK: AdjustmentKind.DECREMENT,
    WritePath.PREORDER_WITHIN_LIMIT: AdjustmentKind.PREORDER,
    WritePath.PREORDER_UNLIMITED: AdjustmentKind.PREORDER,
}


class InventoryService:
    def __init__(
        self,
        repository: InventoryRepository,
        executor: Executor | None = None,
        clock: Callable[[], str] = utc_now,
    ) -> None:
        self._repository = repository
        self._executor = executor
        self._clock = clock
        self._default_locations: dict[str, tuple[str, float]] = {}

    def audit_context(self, request_id: str, reason: str | None) -> AuditContext:
        return AuditContext(request_id=request_id, reason=reason or "UNSPECIFIED", created_date=self._clock())

    # --- locations --------------------------------------------------------------------------------------

    def default_location(self, store_id: str) -> str:
        cached = self._default_locations.get(store_id)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        location = self._repository.default_location(store_id) or str(
            uuid.uuid5(_DEFAULT_LOCATION_NAMESPACE, store_id)
        )
        self._default_locations[store_id] = (location, time.monotonic() + DEFAULT_LOCATION_TTL_SECONDS)
        return location

    def item_key(self, store_id: str, variant_id: str, location_id: str | None) -> ItemKey:
        return ItemKey(store_id, variant_id, location_id or self.default_location(store_id))

    # --- create and read --------------------------------------------------------------------------------

    def create_item(self, store_id: str, draft: ItemDraft, audit: AuditContext) -> InventoryItem:
        if (draft.quantity is None) == (draft.in_stock is None):
            raise InvalidRequest("inventoryItem", "Give exactly one of quantity and inStock.")
        item = InventoryItem(
            id=draft.item_id or str(uuid.uuid4()),
            store_id=store_id,
            variant_id=draft.variant_id,
            location_id=draft.location_id or self.default_location(store_id),
            # A product without variants is its own single variant.
            product_id=draft.product_id or draft.variant_id,
            track_quantity=draft.quantity is not None,
            quantity=draft.quantity,
            in_stock=draft.in_stock,
            preorder=replace(draft.preorder, counter=0),
            revision=1,
            created_date=audit.created_date,
            updated_date=audit.created_date,
            product_name=draft.product_name,
            category_ids=draft.category_ids,
            low_stock_threshold=draft.low_stock_threshold,
        )
        self._repository.create_item(item, audit)
        return item

    def get_item(self, store_id: str, item_id: str) -> InventoryItem:
        item = self._repository.get_item(store_id, item_id)
        if item is None:
            raise ItemNotFound(f"Inventory item {item_id} was not found.", {"inventoryItemId": item_id})
        return item

    def create_items(
        self, store_id: str, drafts: Sequence[ItemDraft], audit: AuditContext, return_entity: bool
    ) -> list[LineResult]:
        """Create independent items; a duplicate fails its own result (ALREADY_EXISTS), never overwrites.
        Drafts for the same (variant, location) run in request order, so the first one wins."""

        def create(indexed: tuple[int, ItemDraft]) -> LineResult:
            index, draft = indexed
            try:
                item = self.create_item(store_id, draft, audit)
            except ItemAlreadyExists as taken:
                return LineResult(
                    index, None, error=LineError(LineErrorCode.ALREADY_EXISTS, taken.description, taken.data)
                )
            except StorageUnavailable as busy:
                return _failed(index, LineErrorCode.TEMPORARILY_UNAVAILABLE, busy.description)
            return LineResult(
                index, item.id, kind=AdjustmentKind.CREATE, item=item if return_entity else None
            )

        located = [replace(d, location_id=d.location_id or self.default_location(store_id)) for d in drafts]
        return self._run_grouped(
            list(enumerate(located)), lambda line: (line[1].variant_id, line[1].location_id), create
        )

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
                    LineErrorCode.INVENTORY_ITEM_NOT_FOUND,
                    "No such inventory item in this store.",
                    {"inventoryItemId": item_id},
                ),
            )
            for index, item_id in requested
            if item_id not in keys
        ]
        return found, missing

    # --- update -------------------------------------------------------------------------------------------

    def update_items(
        self, store_id: str, lines: Sequence[UpdateLine], audit: AuditContext, return_entity: bool
    ) -> list[LineResult]:
        """Optimistic concurrency: each item is changed only if it is still at the revision the caller
        read; a stale revision fails that item and changes nothing."""
        keys, missing = self.keys_by_id(store_id, [(line.index, line.item_id) for line in lines])

        def update(line: UpdateLine) -> LineResult:
            try:
                before = self._repository.get_items([keys[line.index]]).get(keys[line.index])
                if before is None:
                    return _failed(
                        line.index,
                        LineErrorCode.INVENTORY_ITEM_NOT_FOUND,
                        "No such inventory item in this store.",
                    )
                if before.revision != line.revision:
                    return LineResult(line.index, before.id, error=revision_mismatch(before, line.revision))
                after = apply_update(before, line.changes, audit.created_date)
                # The write's condition is the revision just read: `after` is exact, or nothing is written.
                self._repository.update(before, after, line_index=line.index, audit=audit)
            except ConditionNotMet as refused:
                if refused.item is None:
                    return _failed(
                        line.index,
                        LineErrorCode.INVENTORY_ITEM_NOT_FOUND,
                        "No such inventory item in this store.",
                    )
                return LineResult(
                    line.index, refused.item.id, error=revision_mismatch(refused.item, line.revision)
                )
            except StorageUnavailable as busy:
                return _failed(line.index, LineErrorCode.TEMPORARILY_UNAVAILABLE, busy.description)
            return LineResult(
                line.index, after.id, kind=AdjustmentKind.UPDATE, item=after if return_entity else None
            )

        found = [line for line in lines if line.index in keys]
        results = self._run_grouped(found, lambda line: keys[line.index], update)
        return sorted([*results, *missing], key=lambda r: r.index)

    # --- increment ----------------------------------------------------------------------------------------

    def increment(
        self, lines: Sequence[IncrementLine], *, audit: AuditContext, return_entity: bool
    ) -> list[LineResult]:
        """Apply independent lines, as decrement does: concurrently across items, in order within one."""
        results = self._run_grouped(
            lines, lambda line: line.key, lambda line: self._increment_line(line, audit)
        )
        return self._with_items(results, lines, return_entity)

    def _increment_line(self, line: IncrementLine, audit: AuditContext) -> LineResult:
        for attempt in range(MAX_WRITE_ATTEMPTS):
            try:
                self._repository.increment(line, audit=audit, attempt=attempt)
                return LineResult(line.index, None, kind=AdjustmentKind.INCREMENT)
            except ConditionNotMet as refused:
                error = judge_increment(refused.item, line.quantity)
                if error is not None:
                    return LineResult(line.index, refused.item.id if refused.item else None, error=error)
                # The item started tracking quantity under this line: try again.
            except StorageUnavailable as busy:
                return _failed(line.index, LineErrorCode.TEMPORARILY_UNAVAILABLE, busy.description)
        return _failed(
            line.index,
            LineErrorCode.TEMPORARILY_UNAVAILABLE,
            "The item kept changing under this line; nothing was applied.",
        )

    # --- query and audit trail ----------------------------------------------------------------------------

    def query_items(
        self, store_id: str, query: ItemQuery, *, limit: int, cursor: str | None, cursor_field: str
    ) -> Page[InventoryItem]:
        scope = cursor_scope(
            "items", store_id, query.product_ids, query.variant_ids, query.location_ids, query.statuses
        )
        after = None
        if cursor is not None:
            position = decode_cursor(cursor, scope, cursor_field)
            if not (isinstance(position, list) and len(position) == 3 and all(map(_is_id, position))):
                raise InvalidRequest(cursor_field, "The cursor is not one this API issued.")
            after = (position[0], position[1], position[2])
        # One more than the page, to know whether there is a next page without another round trip.
        found = self._repository.query_items(store_id, query, after=after, limit=limit + 1)
        page = found[:limit]
        last = page[-1] if page else None
        has_next = len(found) > limit and last is not None
        return Page(
            page,
            encode_cursor([last.product_id, last.variant_id, last.location_id], scope)
            if has_next and last
            else None,
        )

    def product_items(
        self, store_id: str, product_id: str, location_id: str | None = None
    ) -> list[InventoryItem]:
        """Every item of a product at one location (default: the store's), all pages of the index read."""
        query = ItemQuery(
            product_ids=frozenset({product_id}),
            location_ids=frozenset({location_id or self.default_location(store_id)}),
        )
        items: list[InventoryItem] = []
        cursor: str | None = None
        while True:
            page = self.query_items(store_id, query, limit=100, cursor=cursor, cursor_field="cursor")
            items += page.entries
            if page.next_cursor is None:
                return items
            cursor = page.next_cursor

    def adjustments(
        self, store_id: str, item_id: str, *, limit: int, cursor: str | None, cursor_field: str
    ) -> Page[Adjustment]:
        """An item's audit trail, newest first."""
        key = self._repository.resolve_ids(store_id, [item_id]).get(item_id)
        if key is None:
            raise ItemNotFound(f"Inventory item {item_id} was not found.", {"inventoryItemId": item_id})
        scope = cursor_scope("adjustments", store_id, item_id)
        after = None
        if cursor is not None:
            after = decode_cursor(cursor, scope, cursor_field)
            if not (isinstance(after, str) and after.startswith("ADJ#")):
                raise InvalidRequest(cursor_field, "The cursor is not one this API issued.")
        found = self._repository.list_adjustments(key, after=after, limit=limit + 1)
        page = found[:limit]
        return Page(
            [adjustment for _, adjustment in page],
            encode_cursor(page[-1][0], scope) if len(found) > limit else None,
        )

    def get_items(self, keys: Iterable[ItemKey]) -> dict[ItemKey, InventoryItem]:
        """Strongly consistent reads of many items at once; missing keys are left out."""
        return self._repository.get_items(keys)

    # --- decrement --------------------------------------------------------------------------------------

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

    def _run_grouped(
        self,
        lines: Sequence[Line],
        item_of: Callable[[Line], Hashable],
        run_one: Callable[[Line], LineResult],
    ) -> list[LineResult]:
        """Run lines for different items concurrently through the pool, and lines for the same item one
        after the other in request order; results sorted by line index."""
        by_item: dict[Hashable, list[Line]] = {}
        for line in lines:
            by_item.setdefault(item_of(line), []).append(line)

        def run(lane: list[list[Line]]) -> list[LineResult]:
            return [run_one(line) for group in lane for line in group]

        groups = list(by_item.values())
        if len(groups) <= 1:
            outcomes = [run(groups)]
        else:
            # Deal the items into as many lanes as there are connections, each lane one thread: 300 items
            # over 150 lanes are two writes in sequence, whatever order the engine answers in. (A shared
            # queue would let a thread that happens to finish early take a third and a fourth.)
            lane_count = min(len(groups), MAX_POOL_CONNECTIONS)
            lanes = [groups[i::lane_count] for i in range(lane_count)]
            executor = self._executor or shared_executor()
            outcomes = list(executor.map(run, lanes))
        return sorted((r for lane in outcomes for r in lane), key=lambda r: r.index)

    def _decrement_line(
        self, line: DecrementLine, restrict_inventory: bool, audit: AuditContext
    ) -> LineResult:
        # The common path: stock, with no read first. A refusal returns the item it judged.
        path = WritePath.STOCK
        for attempt in range(MAX_WRITE_ATTEMPTS):
            try:
                self._repository.decrement(
                    line, path, restrict_inventory=restrict_inventory, audit=audit, attempt=attempt
                )
                return LineResult(line.index, None, kind=_WRITE_PATH_KIND[path])
            except ConditionNotMet as refused:
                decision = judge_decrement(
                    refused.item,
                    line.quantity,
                    preorder_request=line.preorder_request,
                    restrict_inventory=restrict_inventory,
                )
                if isinstance(decision, Reject):
                    item_id = refused.item.id if refused.item else None
                    return LineResult(line.index, item_id, error=decision.error)
                path = decision.path  # the item changed, or rule 3 applies: try the path the rules chose
            except StorageUnavailable as busy:
                return LineResult(
                    line.index, None, error=LineError(LineErrorCode.TEMPORARILY_UNAVAILABLE, busy.description)
                )
        return LineResult(
            line.index,
            None,
            error=LineError(
                LineErrorCode.TEMPORARILY_UNAVAILABLE,
                "The item kept changing under this line; nothing was applied.",
            ),
        )

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
                    f"lines[{line.index}]", "Lines for one item must agree on whether they are preorders."
                )
            merged[line.key] = (
                line if first is None else replace(first, quantity=first.quantity + line.quantity)
            )
            indexes.setdefault(line.key, []).append(line.index)
        most_items = max_order_items(with_marker=marker is not None)
        if len(merged) > most_items:
            raise InvalidRequest("lines", f"An order may name at most {most_items} different items.")

        writes = [OrderItemWrite(line, WritePath.STOCK) for line in merged.values()]
        for attempt in range(MAX_WRITE_ATTEMPTS):
            try:
                self._repository.decrement_all(
                    writes, restrict_inventory=restrict_inventory, audit=audit, marker=marker, attempt=attempt
                )
                return OrderOutcome(applied=True)
            except OrderAlreadyApplied:
                return OrderOutcome(applied=True, already_applied=True)
            except OrderRefused as refused:
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
                    return OrderOutcome(
                        applied=False, failures=tuple(sorted(failures, key=lambda r: r.index))
                    )
        raise StorageUnavailable("The order's items kept changing under it; nothing was applied.")

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
