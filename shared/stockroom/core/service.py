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

from stockroom.core.catalog_writes import CREATE_PACK, UPDATE_PACK, rounds, write_packed
from stockroom.core.domain import (
    Adjustment,
    AdjustmentKind,
    AuditContext,
    InventoryItem,
    ItemChanges,
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
    InvalidRequest,
    ItemNotFound,
    StorageUnavailable,
)
from stockroom.core.filters import And, Cond, Field, Op, Search
from stockroom.core.finding import Finder
from stockroom.core.lifecycle import ItemRemoval, raise_for
from stockroom.core.paging import Page, cursor_scope, decode_cursor, encode_cursor
from stockroom.core.ports import InventoryRepository, ItemUpdate, NewItem
from stockroom.core.rules import (
    MAX_QUANTITY,
    UNTRACKED_LIMIT,
    apply_update,
    held_back,
    judge_update,
    revision_mismatch,
)
from stockroom.core.stock import DEFAULT_PARALLEL_WRITES, NOT_FOUND, busy, failed
from stockroom.core.tags import without_expired
from stockroom.core.transfers import Transfers

DEFAULT_LOCATION_TTL_SECONDS = 300.0
# Stores with no settings record still get a stable default location of their own.
_DEFAULT_LOCATION_NAMESPACE = uuid.UUID("4f1b2a6e-8f3c-4c8e-9d0a-5b7e2c1d3f60")


def already_exists(item: InventoryItem) -> LineError:
    return LineError(
        LineErrorCode.ALREADY_EXISTS,
        "An inventory item for this variant and location (or with this id) already exists.",
        {"variantId": item.variant_id, "locationId": item.location_id},
    )


def _switches(changes: ItemChanges) -> bool:
    """Whether an update may switch the item's tracking method (it names one)."""
    return changes.quantity is not None or changes.in_stock is not None


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

    def audit_context(self, request_id: str, reason: str | None, *, keyed: bool = False) -> AuditContext:
        """`keyed`: the request carries an Idempotency-Key (it may come again, under the same request id)."""
        return AuditContext(
            request_id=request_id, reason=reason or "UNSPECIFIED", created_date=self._clock(), keyed=keyed
        )

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

    def new_item(self, store_id: str, draft: ItemDraft, audit: AuditContext) -> InventoryItem:
        """The item a draft makes: id, location, revision 1 and dates filled in."""
        if (draft.quantity is None) == (draft.in_stock is None):
            raise InvalidRequest("item", "Give exactly one of quantity and inStock.")
        if draft.quantity is not None and not 0 <= draft.quantity <= MAX_QUANTITY:
            raise InvalidRequest(("item", "quantity"), f"A new item's quantity is 0 to {MAX_QUANTITY:,}.")
        if draft.in_stock is not None and draft.preorder.limit is not None:
            raise InvalidRequest(("item", "preorderInfo", "limit"), UNTRACKED_LIMIT)
        return InventoryItem(
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

    def create_item(
        self, store_id: str, draft: ItemDraft, audit: AuditContext, *, line_index: int = 0
    ) -> InventoryItem:
        # As stored: a retry of this very request (its answer lost) gets the item it created then.
        return self._repository.create_item(
            self.new_item(store_id, draft, audit), audit, line_index=line_index
        )

    def create_items(
        self, store_id: str, drafts: Sequence[ItemDraft], audit: AuditContext, return_entity: bool
    ) -> list[LineResult]:
        """Create independent items, packed (`stockroom.core.catalog_writes`); a duplicate fails its own
        result (ALREADY_EXISTS), never overwrites. Drafts for the same (variant, location) run in request
        order, so the first one wins."""
        lines = [NewItem(index, self.new_item(store_id, draft, audit)) for index, draft in enumerate(drafts)]

        def taken(line: NewItem, _: InventoryItem | None) -> LineResult:
            return LineResult(line.index, None, error=already_exists(line.item))

        def created(line: NewItem, stored: InventoryItem | None) -> LineResult:
            item = stored or line.item  # found as an earlier attempt of this request stored it
            return LineResult(
                line.index, item.id, kind=AdjustmentKind.CREATE, item=item if return_entity else None
            )

        results: list[LineResult] = []
        for members in rounds(lines, lambda line: line.item.key):
            results += write_packed(
                members,
                size=CREATE_PACK,
                store=lambda pack: self._repository.create_many(pack, audit),
                refused=taken,
                applied=created,
                executor=self._executor,
            )
        return sorted(results, key=lambda r: r.index)

    def get_item(self, store_id: str, item_id: str) -> InventoryItem:
        item = self._repository.get_item(store_id, item_id)
        if item is None:
            raise ItemNotFound(f"Inventory item {item_id} was not found.", {"inventoryItemId": item_id})
        return self.live([item])[0]

    def live(self, items: list[InventoryItem]) -> list[InventoryItem]:
        """The items as a reader sees them: a hold stops counting at its expiry (SPEC §7), whether or not
        it has been reclaimed yet. The item's hold tags say which have expired: no read."""
        now = self.now()
        return [without_expired(item, now) for item in items]

    def get_items(self, keys: Iterable[ItemKey]) -> dict[ItemKey, InventoryItem]:
        """Strongly consistent reads of many items at once; missing keys are left out."""
        return self._repository.get_items(keys)

    # --- update -------------------------------------------------------------------------------------------

    def update_items(
        self,
        store_id: str,
        lines: Sequence[UpdateLine],
        audit: AuditContext,
        return_entity: bool,
        *,
        allow_below_reserved: bool = False,
    ) -> list[LineResult]:
        """Optimistic concurrency: each item is changed only if it is still at the revision the caller
        read; a stale revision fails that item and changes nothing. The items are read in batches and
        written in packs (`stockroom.core.catalog_writes`), each write on condition of the revision read,
        so what it writes is exact or nothing is written."""
        keys, missing = self.keys_by_id(store_id, [(line.index, line.item_id) for line in lines])
        results: list[LineResult] = list(missing)
        found = [line for line in lines if line.index in keys]
        for members in rounds(found, lambda line: keys[line.index]):
            try:
                items = self._repository.get_items([keys[line.index] for line in members])
                live = {item.key: item for item in self.live(list(items.values()))}
                if any(_switches(line.changes) for line in members):
                    items, members = self._without_expired_holds(items, live, members, keys, audit)
            except StorageUnavailable as unavailable_now:
                results += [busy(line.index, unavailable_now) for line in members]
                continue
            writes: list[ItemUpdate] = []
            for line in members:
                before = items.get(keys[line.index])
                if before is None:
                    results.append(failed(line.index, LineErrorCode.INVENTORY_ITEM_NOT_FOUND, NOT_FOUND))
                    continue
                error = revision_mismatch(before, line.revision) if before.revision != line.revision else None
                error = error or judge_update(before, line.changes)
                error = error or held_back(
                    before,
                    line.changes,
                    live[before.key].reserved,
                    allow_below_reserved=allow_below_reserved,
                )
                if error is not None:
                    results.append(LineResult(line.index, before.id, error=error))
                else:
                    writes.append(
                        ItemUpdate(line.index, before, apply_update(before, line.changes, audit.created_date))
                    )

            def stale(write: ItemUpdate, current: InventoryItem | None) -> LineResult:
                if current is None:
                    return failed(write.index, LineErrorCode.INVENTORY_ITEM_NOT_FOUND, NOT_FOUND)
                return LineResult(
                    write.index, current.id, error=revision_mismatch(current, write.before.revision)
                )

            def updated(write: ItemUpdate, _: InventoryItem | None) -> LineResult:
                after = write.after
                return LineResult(
                    write.index, after.id, kind=AdjustmentKind.UPDATE, item=after if return_entity else None
                )

            results += write_packed(
                writes,
                size=UPDATE_PACK,
                store=lambda pack: self._repository.update_many(pack, audit),
                refused=stale,
                applied=updated,
                executor=self._executor,
            )
        return sorted(results, key=lambda r: r.index)

    def _without_expired_holds(
        self,
        items: dict[ItemKey, InventoryItem],
        live: dict[ItemKey, InventoryItem],
        lines: list[UpdateLine],
        keys: dict[int, ItemKey],
        audit: AuditContext,
    ) -> tuple[dict[ItemKey, InventoryItem], list[UpdateLine]]:
        """A switch of tracking needs no held units stored: holds that all expired are reclaimed first,
        and the items read again. The caller read each item as a reader sees it (expired holds left out),
        so a reclaim, and nothing else since, does not make the revision it carries stale."""
        stale = [key for key, item in items.items() if item.reserved > 0 and live[key].reserved == 0]
        reclaimed = {key for key in stale if self._repository.reclaim_expired(items[key], audit)}
        if not reclaimed:
            return items, lines
        again = self._repository.get_items([keys[line.index] for line in lines])
        return again, [
            replace(line, revision=again[key].revision)
            if (key := keys[line.index]) in reclaimed
            and key in again
            and line.revision == items[key].revision
            and again[key].revision == items[key].revision + 1
            else line
            for line in lines
        ]

    def update_item(
        self, store_id: str, line: UpdateLine, audit: AuditContext, *, allow_below_reserved: bool = False
    ) -> InventoryItem:
        """One item, by the same audited update as bulk update; a stale revision raises RevisionMismatch."""
        [result] = self.update_items(
            store_id, [line], audit, return_entity=True, allow_below_reserved=allow_below_reserved
        )
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
