"""`create_many` and `update_many` of the in-memory repository: each line's condition as DynamoDB's, the
whole pack applied under the lock or not at all (stockroom.adapters.dynamodb.catalog_writes is the other
side)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from stockroom.core.domain import AdjustmentKind, AuditContext, InventoryItem, ItemKey
from stockroom.core.ports import ItemUpdate, NewItem, WritesRefused
from stockroom.core.rules import quantity_change

ChangeFn = Callable[
    [InventoryItem | None, InventoryItem, AuditContext, int, AdjustmentKind, int | None], None
]


class MemoryCatalogWrites:
    _lock: threading.RLock
    items: dict[ItemKey, InventoryItem]
    _ids: dict[tuple[str, str], ItemKey]
    _deleted_ids: set[tuple[str, str]]
    _witnesses: set[tuple[ItemKey, str, int]]
    _change: ChangeFn

    def _ours(self, key: ItemKey, audit: AuditContext, line: int) -> bool:
        return (key, audit.request_id, line) in self._witnesses

    def create_many(self, items: Sequence[NewItem], audit: AuditContext) -> None:
        with self._lock:
            refused: dict[int, InventoryItem | None] = {}
            recorded: set[int] = set()
            for position, new in enumerate(items):
                item, taken = new.item, (new.item.store_id, new.item.id)
                if item.key in self.items or taken in self._ids or taken in self._deleted_ids:
                    refused[position] = self.items.get(item.key)
                    if item.key in self.items and self._ours(item.key, audit, new.index):
                        recorded.add(position)
            if refused:
                raise WritesRefused(refused, frozenset(recorded))
            for new in items:
                self._ids[(new.item.store_id, new.item.id)] = new.item.key
                self._change(None, new.item, audit, new.index, AdjustmentKind.CREATE, new.item.quantity or 0)

    def update_many(self, updates: Sequence[ItemUpdate], audit: AuditContext) -> None:
        with self._lock:
            refused: dict[int, InventoryItem | None] = {}
            recorded: set[int] = set()
            for position, update in enumerate(updates):
                current = self.items.get(update.before.key)
                if current is None or current.revision != update.before.revision:
                    refused[position] = current
                    if (
                        current is not None
                        and current.revision == update.after.revision
                        and self._ours(current.key, audit, update.index)
                    ):
                        recorded.add(position)
            if refused:
                raise WritesRefused(refused, frozenset(recorded))
            for update in updates:
                delta = quantity_change(update.before, update.after)
                self._change(update.before, update.after, audit, update.index, AdjustmentKind.UPDATE, delta)
