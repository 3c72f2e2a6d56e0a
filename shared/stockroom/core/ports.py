"""The ports: the storage interfaces the core depends on. `stockroom.adapters.dynamodb` implements them for
DynamoDB, `stockroom.adapters.memory` in memory (the unit tier)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from stockroom.core.domain import (
    Adjustment,
    AuditContext,
    DecrementLine,
    IncrementLine,
    InventoryItem,
    ItemKey,
    ItemQuery,
)
from stockroom.core.rules import WritePath


class ConditionNotMet(Exception):
    """A conditional write found the item not as its rule needs it; `item` is what it found (None: none)."""

    def __init__(self, item: InventoryItem | None) -> None:
        super().__init__("condition not met")
        self.item = item


class OrderRefused(Exception):
    """Some conditions of an all-or-nothing write failed; nothing was applied. `items` maps the position of
    each refused write to the item DynamoDB judged (None: no such item)."""

    def __init__(self, items: dict[int, InventoryItem | None]) -> None:
        super().__init__("order refused")
        self.items = items


class OrderAlreadyApplied(Exception):
    """The order's marker exists: it was applied before, and nothing was applied now."""


@dataclass(frozen=True, slots=True)
class OrderItemWrite:
    """One item's share of an all-or-nothing write. `path` None: the item must exist and not track quantity
    (it is accepted and left as it is)."""

    line: DecrementLine  # the item's lines merged: index of the first, their total quantity
    path: WritePath | None


@dataclass(frozen=True, slots=True)
class OrderMarker:
    """Recorded in the same transaction as an order's stock change, so a redelivery finds it."""

    store_id: str
    order_id: str


class InventoryRepository(Protocol):
    def create_item(self, item: InventoryItem, audit: AuditContext) -> None:
        """Store a new item; raises ItemAlreadyExists if its key or id is taken."""
        ...

    def get_item(self, store_id: str, item_id: str) -> InventoryItem | None: ...

    def get_items(self, keys: Iterable[ItemKey]) -> dict[ItemKey, InventoryItem]:
        """Strongly consistent reads of many items at once; missing keys are left out."""
        ...

    def decrement(
        self,
        line: DecrementLine,
        path: WritePath,
        *,
        restrict_inventory: bool,
        audit: AuditContext,
        attempt: int = 0,
    ) -> None:
        """Apply one line by one path, atomically with its audit record; raises ConditionNotMet.
        `attempt` tells retries of the same line apart (their idempotency tokens differ)."""
        ...

    def decrement_all(
        self,
        writes: Sequence[OrderItemWrite],
        *,
        restrict_inventory: bool,
        audit: AuditContext,
        marker: OrderMarker | None = None,
        attempt: int = 0,
    ) -> None:
        """Apply every write in one transaction, or none; raises OrderRefused or OrderAlreadyApplied."""
        ...

    def increment(self, line: IncrementLine, *, audit: AuditContext, attempt: int = 0) -> None:
        """Add to a tracked item's quantity, atomically with its audit record; raises ConditionNotMet."""
        ...

    def update(
        self, before: InventoryItem, after: InventoryItem, *, line_index: int, audit: AuditContext
    ) -> None:
        """Store `after` if the item is still at `before`'s revision (with its audit record); raises
        ConditionNotMet otherwise."""
        ...

    def resolve_ids(self, store_id: str, item_ids: Iterable[str]) -> dict[str, ItemKey]:
        """Keys of the store's items by id, in batched strongly consistent reads; unknown ids left out."""
        ...

    def query_items(
        self, store_id: str, query: ItemQuery, *, after: tuple[str, str, str] | None, limit: int
    ) -> list[InventoryItem]:
        """Up to `limit` matching items in (product, variant, location) order, after that position."""
        ...

    def list_adjustments(
        self, key: ItemKey, *, after: str | None, limit: int
    ) -> list[tuple[str, Adjustment]]:
        """Up to `limit` audit records of an item, newest first, each with its position."""
        ...

    def default_location(self, store_id: str) -> str | None: ...


class ApiKeyStore(Protocol):
    """Minted API keys, by the SHA-256 of the key (a store never holds a key itself)."""

    def add(self, key_hash: str, prefix: str, store_ids: Sequence[str], created_date: str) -> None: ...

    def stores_of(self, key_hash: str) -> list[str] | None:
        """The stores a live key covers; None if unknown or revoked."""
        ...

    def revoke(self, prefix: str) -> bool:
        """Revoke the key with this printable prefix; False if there is none."""
        ...
