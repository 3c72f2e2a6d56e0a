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

from stockroom.core.domain import (
    Adjustment,
    AdjustmentKind,
    AuditContext,
    DecrementLine,
    IncrementLine,
    InventoryItem,
    ItemKey,
    ItemQuery,
)
from stockroom.core.errors import ItemAlreadyExists
from stockroom.core.ports import (
    ConditionNotMet,
    OrderAlreadyApplied,
    OrderItemWrite,
    OrderMarker,
    OrderRefused,
)
from stockroom.core.rules import (
    Apply,
    WritePath,
    apply_decrement,
    decrement_adjustment,
    judge_decrement,
    judge_increment,
    quantity_change,
)


def _position(audit: AuditContext, line_index: int) -> str:
    # The DynamoDB adapter's sort key: fixed for a request and line, newest last in string order.
    return f"ADJ#{audit.created_date}#{audit.request_id}#{line_index:04d}"


class InMemoryInventoryRepository:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.items: dict[ItemKey, InventoryItem] = {}
        self._ids: dict[tuple[str, str], ItemKey] = {}
        self.adjustments: dict[ItemKey, dict[str, Adjustment]] = {}
        self.orders: set[tuple[str, str]] = set()
        self.stores: dict[str, str] = {}  # store -> default location
        self.writes = 0  # how many writes reached "storage" (the unit tier counts them)

    # --- the audit trail -----------------------------------------------------------------------------------

    def _recorded(self, key: ItemKey, audit: AuditContext, line_index: int) -> bool:
        return _position(audit, line_index) in self.adjustments.get(key, {})

    def _record(
        self,
        key: ItemKey,
        audit: AuditContext,
        line_index: int,
        kind: AdjustmentKind,
        delta: int | None,
        quantity_after: int | None = None,
    ) -> None:
        self.adjustments.setdefault(key, {})[_position(audit, line_index)] = Adjustment(
            kind, delta, quantity_after, audit.reason, audit.request_id, audit.created_date
        )

    def _touch(self, item: InventoryItem, audit: AuditContext) -> InventoryItem:
        return replace(item, updated_date=audit.created_date)

    # --- writes --------------------------------------------------------------------------------------------

    def create_item(self, item: InventoryItem, audit: AuditContext) -> None:
        with self._lock:
            if item.key in self.items or (item.store_id, item.id) in self._ids:
                raise ItemAlreadyExists(
                    "An inventory item for this variant and location (or with this id) already exists.",
                    {"variantId": item.variant_id, "locationId": item.location_id},
                )
            self.writes += 1
            self.items[item.key] = item
            self._ids[(item.store_id, item.id)] = item.key
            self._record(item.key, audit, 0, AdjustmentKind.CREATE, item.quantity or 0, item.quantity)

    def _decremented(
        self, line: DecrementLine, path: WritePath, restrict_inventory: bool
    ) -> InventoryItem | None:
        """The item after `path` takes the line, or None where the path's condition fails."""
        item = self.items.get(line.key)
        decision = judge_decrement(
            item, line.quantity, preorder_request=line.preorder_request, restrict_inventory=restrict_inventory
        )
        if item is None or decision != Apply(path):
            return None
        return apply_decrement(item, path, line.quantity)

    def decrement(
        self,
        line: DecrementLine,
        path: WritePath,
        *,
        restrict_inventory: bool,
        audit: AuditContext,
        attempt: int = 0,
    ) -> None:
        with self._lock:
            if self._recorded(line.key, audit, line.index):
                return  # a retry of a line that was applied
            after = self._decremented(line, path, restrict_inventory)
            if after is None:
                raise ConditionNotMet(self.items.get(line.key))
            self._apply_decrement(line, path, after, audit)

    def _apply_decrement(
        self, line: DecrementLine, path: WritePath, after: InventoryItem, audit: AuditContext
    ) -> None:
        self.writes += 1
        self.items[line.key] = self._touch(after, audit)
        self._record(line.key, audit, line.index, *decrement_adjustment(path, line.quantity))

    def decrement_all(
        self,
        writes: Sequence[OrderItemWrite],
        *,
        restrict_inventory: bool,
        audit: AuditContext,
        marker: OrderMarker | None = None,
        attempt: int = 0,
    ) -> None:
        with self._lock:
            if marker is not None and (marker.store_id, marker.order_id) in self.orders:
                raise OrderAlreadyApplied()
            refused: dict[int, InventoryItem | None] = {}
            planned: list[tuple[OrderItemWrite, InventoryItem]] = []
            for position, write in enumerate(writes):
                item = self.items.get(write.line.key)
                if write.path is None:
                    # An untracked item is accepted and left as it is, as long as it stays untracked.
                    if item is None or item.track_quantity:
                        refused[position] = item
                    continue
                after = self._decremented(write.line, write.path, restrict_inventory)
                if after is None:
                    refused[position] = item
                else:
                    planned.append((write, after))
            if refused:
                raise OrderRefused(refused)
            for write, after in planned:
                assert write.path is not None
                self._apply_decrement(write.line, write.path, after, audit)
            if marker is not None:
                self.orders.add((marker.store_id, marker.order_id))

    def increment(self, line: IncrementLine, *, audit: AuditContext, attempt: int = 0) -> None:
        with self._lock:
            if self._recorded(line.key, audit, line.index):
                return
            item = self.items.get(line.key)
            if item is None or judge_increment(item) is not None:
                raise ConditionNotMet(item)
            self.writes += 1
            after = replace(item, quantity=(item.quantity or 0) + line.quantity, revision=item.revision + 1)
            self.items[line.key] = self._touch(after, audit)
            self._record(line.key, audit, line.index, AdjustmentKind.INCREMENT, line.quantity)

    def update(
        self, before: InventoryItem, after: InventoryItem, *, line_index: int, audit: AuditContext
    ) -> None:
        with self._lock:
            current = self.items.get(before.key)
            if current is None or current.revision != before.revision:
                raise ConditionNotMet(current)
            self.writes += 1
            self.items[before.key] = after
            delta = quantity_change(before, after)
            self._record(before.key, audit, line_index, AdjustmentKind.UPDATE, delta, after.quantity)

    # --- reads ---------------------------------------------------------------------------------------------

    def get_item(self, store_id: str, item_id: str) -> InventoryItem | None:
        with self._lock:
            key = self._ids.get((store_id, item_id))
            return None if key is None else self.items.get(key)

    def get_items(self, keys: Iterable[ItemKey]) -> dict[ItemKey, InventoryItem]:
        with self._lock:
            return {key: self.items[key] for key in keys if key in self.items}

    def resolve_ids(self, store_id: str, item_ids: Iterable[str]) -> dict[str, ItemKey]:
        with self._lock:
            return {i: self._ids[(store_id, i)] for i in item_ids if (store_id, i) in self._ids}

    def query_items(
        self, store_id: str, query: ItemQuery, *, after: tuple[str, str, str] | None, limit: int
    ) -> list[InventoryItem]:
        with self._lock:
            ordered = sorted(
                (i for i in self.items.values() if i.store_id == store_id),
                key=lambda i: (i.product_id, i.variant_id, i.location_id),
            )
        found = [
            i
            for i in ordered
            if (after is None or (i.product_id, i.variant_id, i.location_id) > after) and query.matches(i)
        ]
        return found[:limit]

    def list_adjustments(
        self, key: ItemKey, *, after: str | None, limit: int
    ) -> list[tuple[str, Adjustment]]:
        with self._lock:
            records = sorted(self.adjustments.get(key, {}).items(), reverse=True)
        return [(position, a) for position, a in records if after is None or position < after][:limit]

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
