"""In-memory adapters of the ports: the whole `InventoryRepository`, and an `ApiKeyStore`.

They serve the unit tier (the service's tests need no AWS, no moto and no boto3) and benchmarks that
measure the engine without storage. A write is refused exactly when the rules say its path does not apply:
the refusals are decided by the same `stockroom.core.rules` functions whose DynamoDB conditions the
adapter tier proves equal (tests/adapters/test_conditions.py). One lock makes every call atomic, as
DynamoDB makes every transaction.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import replace

from stockroom.adapters.memory_catalog import MemoryCatalogWrites
from stockroom.core.domain import (
    HOLD_KINDS,
    Adjustment,
    AdjustmentKind,
    AuditContext,
    Change,
    IncrementLine,
    InventoryItem,
    ItemKey,
    LineResult,
    PreorderSettings,
)
from stockroom.core.errors import ItemAlreadyExists
from stockroom.core.ledger import adjustment, deleted, deletion, position
from stockroom.core.ports import (
    ConditionNotMet,
    HoldsRemain,
    OrderAlreadyApplied,
    OrderMarker,
    StockWrite,
    WritesRefused,
)
from stockroom.core.rules import (
    Apply,
    apply_decrement,
    decrement_adjustment,
    judge_decrement,
    judge_increment,
    quantity_change,
)
from stockroom.core.tags import tag_expired, tag_units


class InMemoryInventoryRepository(MemoryCatalogWrites):  # bulk create and update: memory_catalog
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.items: dict[ItemKey, InventoryItem] = {}
        self._ids: dict[tuple[str, str], ItemKey] = {}
        self._deleted_ids: set[tuple[str, str]] = set()  # tombstones: a deleted item's id is never reused
        self.ledger: dict[ItemKey, dict[str, Adjustment]] = {}
        self._witnesses: set[tuple[ItemKey, str, int]] = set()  # (item, request, line) of applied lines
        # Decided orders: None where applied, the failures where rejected.
        self.orders: dict[tuple[str, str], tuple[LineResult, ...] | None] = {}
        self.stores: dict[str, str] = {}  # store -> default location
        self.attempts: dict[tuple[ItemKey, str, int], list[str]] = {}  # (item, request, line) -> stamps
        self.writes = 0  # how many changes reached "storage" (the unit tier counts them)

    def _change(
        self,
        before: InventoryItem | None,
        after: InventoryItem,
        audit: AuditContext,
        line_index: int,
        kind: AdjustmentKind,
        delta: int | None,
    ) -> None:
        """Store `after`, its witness and its exact ledger record (at once: memory has no stream)."""
        self.writes += 1
        self.items[after.key] = after
        if kind not in HOLD_KINDS:  # hold changes have their own records as witnesses, as in DynamoDB
            self._witnesses.add((after.key, audit.request_id, line_index))
        record = adjustment(before, after, Change(kind, audit.reason, audit.request_id, line_index, delta))
        self.ledger.setdefault(after.key, {})[position(after.id, after.revision)] = record

    # --- writes --------------------------------------------------------------------------------------------

    def create_item(self, item: InventoryItem, audit: AuditContext, *, line_index: int = 0) -> InventoryItem:
        with self._lock:
            taken = (item.store_id, item.id)
            if item.key in self.items or taken in self._ids or taken in self._deleted_ids:
                raise ItemAlreadyExists(
                    "An inventory item for this variant and location (or with this id) already exists.",
                    {"variantId": item.variant_id, "locationId": item.location_id},
                )
            self._ids[(item.store_id, item.id)] = item.key
            self._change(None, item, audit, 0, AdjustmentKind.CREATE, item.quantity or 0)
            return item

    def _after(self, write: StockWrite, restrict_inventory: bool) -> InventoryItem | None:
        """The item after the write, or None where the write's condition fails (as DynamoDB's would)."""
        line, item = write.line, self.items.get(write.line.key)
        if item is None:
            return None
        if isinstance(line, IncrementLine):
            if judge_increment(item, line.quantity) is not None:
                return None
            return replace(item, quantity=(item.quantity or 0) + line.quantity, revision=item.revision + 1)
        if write.path is None:  # an order's untracked item: left as it is, while it stays untracked
            return None if item.track_quantity else item
        decision = judge_decrement(
            item, line.quantity, preorder_request=line.preorder_request, restrict_inventory=restrict_inventory
        )
        return apply_decrement(item, write.path, line.quantity) if decision == Apply(write.path) else None

    def write_together(
        self,
        writes: Sequence[StockWrite],
        *,
        restrict_inventory: bool,
        audit: AuditContext,
        token: str,
        marker: OrderMarker | None = None,
    ) -> None:
        with self._lock:
            if marker is not None and (marker.store_id, marker.order_id) in self.orders:
                raise OrderAlreadyApplied(self.orders[marker.store_id, marker.order_id])
            refused: dict[int, InventoryItem | None] = {}
            recorded = frozenset(
                i
                for i, w in enumerate(writes)
                if (w.line.key, audit.request_id, w.line.index) in self._witnesses
            )
            changed: list[tuple[StockWrite, InventoryItem]] = []
            for position, write in enumerate(writes):
                after = self._after(write, restrict_inventory)
                if after is None:
                    refused[position] = self.items.get(write.line.key)
                else:
                    changed.append((write, after))
            if refused or recorded:
                raise WritesRefused(refused, recorded)
            for write, after in changed:
                before = self.items[write.line.key]
                if after is before:
                    continue  # the untracked item of an order: no change, no record
                after = replace(after, updated_date=audit.created_date)
                if write.path is None:
                    kind, delta = AdjustmentKind.INCREMENT, write.line.quantity
                else:
                    kind, delta = decrement_adjustment(write.path, write.line.quantity)
                self._change(before, after, audit, write.line.index, write.kind or kind, delta)
            if marker is not None:
                self.orders[marker.store_id, marker.order_id] = None

    def write_alone(
        self, write: StockWrite, *, restrict_inventory: bool, audit: AuditContext
    ) -> InventoryItem:
        """As DynamoDB's single-item write: no witness (the ledger records the request and line)."""
        with self._lock:
            after = self._after(write, restrict_inventory)
            if after is None:
                raise WritesRefused({0: self.items.get(write.line.key)})
            before = self.items[write.line.key]
            after = replace(after, updated_date=audit.created_date)
            if write.path is None:
                kind, delta = AdjustmentKind.INCREMENT, write.line.quantity
            else:
                kind, delta = decrement_adjustment(write.path, write.line.quantity)
            self.writes += 1
            self.items[after.key] = after
            record = adjustment(
                before,
                after,
                Change(write.kind or kind, audit.reason, audit.request_id, write.line.index, delta),
            )
            self.ledger.setdefault(after.key, {})[position(after.id, after.revision)] = record
            return after

    def find_change(
        self, key: ItemKey, request_id: str, line_index: int, stamps: Sequence[str]
    ) -> InventoryItem | None:
        with self._lock:
            item = self.items.get(key)
            found = any(
                a.request_id == request_id and a.line_index == line_index and a.created_date in stamps
                for a in self.ledger.get(key, {}).values()
            )
            return item if found else None

    def begin_attempt(self, key: ItemKey, request_id: str, line_index: int, stamp: str) -> tuple[str, ...]:
        with self._lock:
            noted = self.attempts.setdefault((key, request_id, line_index), [])
            earlier = tuple(s for s in noted if s != stamp)
            noted.append(stamp)
            return earlier

    def record_order_rejection(
        self, marker: OrderMarker, failures: tuple[LineResult, ...], audit: AuditContext
    ) -> None:
        with self._lock:
            if (marker.store_id, marker.order_id) in self.orders:
                raise OrderAlreadyApplied(self.orders[marker.store_id, marker.order_id])
            self.orders[marker.store_id, marker.order_id] = failures

    def update(
        self, before: InventoryItem, after: InventoryItem, *, line_index: int, audit: AuditContext
    ) -> None:
        with self._lock:
            current = self.items.get(before.key)
            if current is None or current.revision != before.revision:
                raise ConditionNotMet(current)
            self._change(
                current, after, audit, line_index, AdjustmentKind.UPDATE, quantity_change(before, after)
            )

    def reclaim_expired(self, item: InventoryItem, audit: AuditContext) -> int:
        with self._lock:
            expired = [tag for tag in item.holds if tag_expired(tag, audit.created_date)]
            current = self.items.get(item.key)
            if not expired or current is None or not set(expired) <= set(current.holds):
                return 0  # none, or another call took one of them first
            freed = sum(map(tag_units, expired))
            after = replace(
                current,
                reserved=current.reserved - freed,
                holds=tuple(t for t in current.holds if t not in expired),
                revision=current.revision + 1,
                updated_date=audit.created_date,
            )
            self._change(current, after, audit, 0, AdjustmentKind.EXPIRE, -freed)
            return freed

    def delete(self, before: InventoryItem, *, line_index: int, audit: AuditContext) -> None:
        with self._lock:
            current = self.items.get(before.key)
            if current is None or current.revision != before.revision:
                raise ConditionNotMet(current)
            if current.reserved > 0:
                raise HoldsRemain(current, current.reserved)
            self.writes += 1
            del self.items[before.key]
            del self._ids[(before.store_id, before.id)]
            self._deleted_ids.add((before.store_id, before.id))
            change = deletion(current, audit.reason, audit.request_id, line_index)
            after = deleted(current, audit.created_date)
            self.ledger.setdefault(after.key, {})[position(after.id, after.revision)] = adjustment(
                current, after, change
            )

    # --- reads ---------------------------------------------------------------------------------------------

    def get_item(self, store_id: str, item_id: str) -> InventoryItem | None:
        with self._lock:
            key = self._ids.get((store_id, item_id))
            return None if key is None else self.items.get(key)

    def get_items(self, keys: Iterable[ItemKey], *, whole: bool = True) -> dict[ItemKey, InventoryItem]:
        with self._lock:
            return {key: self.items[key] for key in keys if key in self.items}

    def resolve_ids(self, store_id: str, item_ids: Iterable[str]) -> dict[str, ItemKey]:
        with self._lock:
            return {i: self._ids[(store_id, i)] for i in item_ids if (store_id, i) in self._ids}

    def index_entries(
        self,
        store_id: str,
        *,
        product_ids: Sequence[str] | None,
        after: tuple[str, str, str] | None,
        limit: int,
    ) -> tuple[list[InventoryItem], bool]:
        with self._lock:
            ordered = sorted(
                (
                    i
                    for i in self.items.values()
                    if i.store_id == store_id and (product_ids is None or i.product_id in product_ids)
                ),
                key=lambda i: (i.product_id, i.variant_id, i.location_id),
            )
        after_position = [
            i for i in ordered if after is None or (i.product_id, i.variant_id, i.location_id) > after
        ]
        # As the index holds them: none of the fields a stock change writes (their placeholders only).
        entries = [
            replace(
                i,
                quantity=None,
                reserved=0,
                revision=1,
                updated_date="",
                preorder=PreorderSettings(enabled=i.preorder.enabled),
            )
            for i in after_position[:limit]
        ]
        return entries, len(after_position) > limit

    def variant_keys(self, store_id: str, variant_ids: Iterable[str]) -> list[ItemKey]:
        wanted = set(variant_ids)
        with self._lock:
            return [k for k in self.items if k.store_id == store_id and k.variant_id in wanted]

    def list_adjustments(
        self, key: ItemKey, item_id: str, *, after: str | None, limit: int
    ) -> list[tuple[str, Adjustment]]:
        with self._lock:
            records = sorted(
                ((p, a) for p, a in self.ledger.get(key, {}).items() if a.item_id == item_id), reverse=True
            )
        return [(position, a) for position, a in records if after is None or position < after][:limit]

    def list_feed(self, store_id: str, *, after: str, limit: int) -> list[tuple[str, Adjustment]]:
        with self._lock:
            records = sorted(
                (f"{a.created_date}#{a.item_id}#{a.revision:012d}", a)
                for key, ledger in self.ledger.items()
                if key.store_id == store_id
                for a in ledger.values()
            )
        return [(position, a) for position, a in records if position > after][:limit]

    def default_location(self, store_id: str) -> str | None:
        return self.stores.get(store_id)

    def put_store(self, store_id: str, default_location_id: str) -> None:
        self.stores[store_id] = default_location_id


class InMemoryApiKeyStore:
    def __init__(self) -> None:
        self._keys: dict[str, tuple[list[str], bool]] = {}  # hash -> (stores, revoked)
        self._prefixes: dict[str, str] = {}

    def add(self, key_hash: str, prefix: str, store_ids: Sequence[str], created_date: str) -> None:
        self._keys[key_hash] = (list(store_ids), False)
        self._prefixes[prefix] = key_hash

    def stores_of(self, key_hash: str) -> list[str] | None:
        found = self._keys.get(key_hash)
        return None if found is None or found[1] else list(found[0])

    def revoke(self, prefix: str) -> bool:
        key_hash = self._prefixes.get(prefix)
        if key_hash is None:
            return False
        self._keys[key_hash] = (self._keys[key_hash][0], True)
        return True
