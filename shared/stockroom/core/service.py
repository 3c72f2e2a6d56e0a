"""The inventory logic: turns requests into conditional writes by the rules, line by line.

It takes its repository (a port) in its constructor, so the unit tier runs it on the in-memory adapter,
and it knows nothing of HTTP, of any dialect or of DynamoDB. Field names in its errors are neutral
("item", "lines"); each dialect says them in its own words.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import replace
from datetime import UTC, datetime

from stockroom.core.domain import (
    Adjustment,
    AdjustmentKind,
    AuditContext,
    InventoryItem,
    ItemDraft,
    ItemKey,
    LineError,
    LineErrorCode,
    LineResult,
    ProductStock,
    UpdateLine,
    VariantStock,
)
from stockroom.core.errors import (
    IdempotencyConflict,
    InvalidRequest,
    ItemAlreadyExists,
    ItemNotFound,
    StorageUnavailable,
)
from stockroom.core.filters import And, Cond, Field, Op, Search
from stockroom.core.finding import Finder
from stockroom.core.lifecycle import ItemRemoval, raise_for
from stockroom.core.paging import Page, cursor_scope, decode_cursor, encode_cursor
from stockroom.core.ports import ConditionNotMet, InventoryRepository
from stockroom.core.rules import MAX_QUANTITY, UNTRACKED_LIMIT, apply_update, judge_update, revision_mismatch
from stockroom.core.stock import DEFAULT_PARALLEL_WRITES, NOT_FOUND, busy, failed
from stockroom.core.transfers import Transfers

DEFAULT_LOCATION_TTL_SECONDS = 300.0
# Stores with no settings record still get a stable default location of their own.
_DEFAULT_LOCATION_NAMESPACE = uuid.UUID("4f1b2a6e-8f3c-4c8e-9d0a-5b7e2c1d3f60")


HELD = LineError(
    LineErrorCode.HELD_BY_RESERVATIONS,
    "Reservations hold units of this item, so it cannot stop tracking quantity until they end.",
)


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class InventoryService(ItemRemoval, Transfers, Finder):
    """The stock changes (`StockChanges`), deletes (`ItemRemoval`), transfers (`Transfers`) and the
    catalog: locations, create, read, update, query."""

    def __init__(
        self,
        repository: InventoryRepository,
        *,
        max_parallel_writes: int = DEFAULT_PARALLEL_WRITES,
        executor: Executor | None = None,
        clock: Callable[[], str] = utc_now,
    ) -> None:
        super().__init__(repository, max_parallel_writes=max_parallel_writes, executor=executor)
        self._clock = clock
        self._default_locations: dict[str, tuple[str, float]] = {}

    def now(self) -> str:
        """The service's clock (injectable: the unit tier moves it)."""
        return self._clock()

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

    def create_item(
        self, store_id: str, draft: ItemDraft, audit: AuditContext, *, line_index: int = 0
    ) -> InventoryItem:
        if (draft.quantity is None) == (draft.in_stock is None):
            raise InvalidRequest("item", "Give exactly one of quantity and inStock.")
        if draft.quantity is not None and not 0 <= draft.quantity <= MAX_QUANTITY:
            raise InvalidRequest(("item", "quantity"), f"A new item's quantity is 0 to {MAX_QUANTITY:,}.")
        if draft.in_stock is not None and draft.preorder.limit is not None:
            raise InvalidRequest(("item", "preorderInfo", "limit"), UNTRACKED_LIMIT)
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
        # As stored: a retry of this very request (its answer lost) gets the item it created then.
        return self._repository.create_item(item, audit, line_index=line_index)

    def create_items(
        self, store_id: str, drafts: Sequence[ItemDraft], audit: AuditContext, return_entity: bool
    ) -> list[LineResult]:
        """Create independent items; a duplicate fails its own result (ALREADY_EXISTS), never overwrites.
        Drafts for the same (variant, location) run in request order, so the first one wins."""

        def create(indexed: tuple[int, ItemDraft]) -> LineResult:
            index, draft = indexed
            try:
                item = self.create_item(store_id, draft, audit, line_index=index)
            except ItemAlreadyExists as taken:
                return LineResult(
                    index, None, error=LineError(LineErrorCode.ALREADY_EXISTS, taken.description, taken.data)
                )
            except (StorageUnavailable, IdempotencyConflict) as unavailable:
                return busy(index, unavailable)
            return LineResult(
                index, item.id, kind=AdjustmentKind.CREATE, item=item if return_entity else None
            )

        located = [replace(d, location_id=d.location_id or self.default_location(store_id)) for d in drafts]
        return self._run_grouped(
            list(enumerate(located)), lambda line: (line[1].variant_id, line[1].location_id), create
        )

    def get_item(self, store_id: str, item_id: str) -> InventoryItem:
        item = self._repository.get_item(store_id, item_id)
        if item is None:
            raise ItemNotFound(f"Inventory item {item_id} was not found.", {"inventoryItemId": item_id})
        return self.live([item])[0]

    def live(self, items: list[InventoryItem]) -> list[InventoryItem]:
        """The items as a reader sees them: a hold stops counting at its expiry (SPEC §7), whether or not
        it has been reclaimed yet. Only items that hold anything cost a read."""
        held = [item.key for item in items if item.reserved > 0]
        if not held:
            return items
        expired = self._repository.expired_reserved(held, self.now())
        return [replace(i, reserved=i.reserved - expired.get(i.key, 0)) for i in items]

    def get_items(self, keys: Iterable[ItemKey]) -> dict[ItemKey, InventoryItem]:
        """Strongly consistent reads of many items at once; missing keys are left out."""
        return self._repository.get_items(keys)

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
                    return failed(line.index, LineErrorCode.INVENTORY_ITEM_NOT_FOUND, NOT_FOUND)
                if before.revision != line.revision:
                    return LineResult(line.index, before.id, error=revision_mismatch(before, line.revision))
                if before.reserved > 0 and line.changes.in_stock is not None:
                    # A hold is units of a count: confirming it needs the item to keep counting.
                    return LineResult(line.index, before.id, error=HELD)
                refused = judge_update(before, line.changes)
                if refused is not None:
                    return LineResult(line.index, before.id, error=refused)
                after = apply_update(before, line.changes, audit.created_date)
                # The write's condition is the revision just read: `after` is exact, or nothing is written.
                self._repository.update(before, after, line_index=line.index, audit=audit)
            except ConditionNotMet as refused:
                if refused.item is None:
                    return failed(line.index, LineErrorCode.INVENTORY_ITEM_NOT_FOUND, NOT_FOUND)
                return LineResult(
                    line.index, refused.item.id, error=revision_mismatch(refused.item, line.revision)
                )
            except StorageUnavailable as unavailable:
                return busy(line.index, unavailable)
            return LineResult(
                line.index, after.id, kind=AdjustmentKind.UPDATE, item=after if return_entity else None
            )

        found = [line for line in lines if line.index in keys]
        results = self._run_grouped(found, lambda line: keys[line.index], update)
        return sorted([*results, *missing], key=lambda r: r.index)

    def update_item(self, store_id: str, line: UpdateLine, audit: AuditContext) -> InventoryItem:
        """One item, by the same audited update as bulk update; a stale revision raises RevisionMismatch."""
        [result] = self.update_items(store_id, [line], audit, return_entity=True)
        raise_for(result)
        assert result.item is not None
        return result.item

    # --- query, product stock and audit trail -----------------------------------------------------------

    def product_items(
        self, store_id: str, product_id: str, location_id: str | None = None
    ) -> list[InventoryItem]:
        """Every item of a product at one location (default: the store's)."""
        location = location_id or self.default_location(store_id)
        product = Cond(Field.PRODUCT_ID, Op.EQ, product_id)
        return self.matching_items(store_id, Search(And((product, Cond(Field.LOCATION_ID, Op.EQ, location)))))

    def product_stock(self, store_id: str, product_id: str) -> ProductStock:
        """A product's stock at the store's default location: a product without variants is its own single
        item; otherwise its quantity is the sum of its tracked combinations' (SPEC §4)."""
        items = self.product_items(store_id, product_id)
        if not items:
            raise ItemNotFound(f"Product {product_id} was not found.", {"product_id": product_id})
        return ProductStock(
            product_id=product_id,
            quantity=sum(i.quantity for i in items if i.track_quantity and i.quantity is not None),
            variants=tuple(
                VariantStock(i.variant_id, i.quantity if i.track_quantity else None)
                for i in items
                if i.variant_id != product_id
            ),
        )

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
            if not (isinstance(after, str) and after.startswith(f"ADJ#{item_id}#")):
                raise InvalidRequest(cursor_field, "The cursor is not one this API issued.")
        found = self._repository.list_adjustments(key, item_id, after=after, limit=limit + 1)
        page = found[:limit]
        return Page(
            [adjustment for _, adjustment in page],
            encode_cursor(page[-1][0], scope) if len(found) > limit else None,
        )

    def feed(
        self, store_id: str, *, since: str, limit: int, cursor: str | None, cursor_field: str
    ) -> Page[Adjustment]:
        """The store's ledger, oldest first, from `since` (an ISO time in UTC; "" is the beginning): what a
        sync client reads to follow every change, deleted items' included."""
        scope = cursor_scope("feed", store_id, since)
        after = since
        if cursor is not None:
            after = decode_cursor(cursor, scope, cursor_field)
            if not (isinstance(after, str) and after >= since):
                raise InvalidRequest(cursor_field, "The cursor is not one this API issued.")
        found = self._repository.list_feed(store_id, after=after, limit=limit + 1)
        page = found[:limit]
        return Page(
            [adjustment for _, adjustment in page],
            encode_cursor(page[-1][0], scope) if len(found) > limit else None,
        )
