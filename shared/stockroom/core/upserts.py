"""Upsert: each item created where its (variant, location) has none, else updated.

A create never overwrites (its condition is that the key is free) and an update is pinned to the revision it
read (the caller's, if given), so an upsert is one of the two ordinary writes; when another writer creates
or changes the item in between, the item is read again and the other write is tried (a few rounds at most).
Two items of one request for the same (variant, location) are the caller's mistake, refused before this
(a validation error, as Wix's typings say).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from stockroom.core.domain import (
    AdjustmentKind,
    AuditContext,
    ItemChanges,
    ItemDraft,
    LineError,
    LineErrorCode,
    LineResult,
    UpdateLine,
)
from stockroom.core.errors import IdempotencyConflict, ItemAlreadyExists, StorageUnavailable
from stockroom.core.packs import KEPT_CHANGING, unavailable
from stockroom.core.rules import revision_mismatch
from stockroom.core.stock import busy

if TYPE_CHECKING:
    from stockroom.core.service import InventoryService

ROUNDS = 4


@dataclass(frozen=True, slots=True)
class UpsertLine:
    index: int
    draft: ItemDraft  # what to create (its quantity, or inStock, is the target)
    changes: ItemChanges  # what to set where the item exists
    revision: int | None = None  # the caller's revision, if it read the item


def _negative(index: int, draft: ItemDraft) -> LineResult:
    return LineResult(
        index,
        None,
        error=LineError(
            LineErrorCode.NEGATIVE_QUANTITY,
            "A new item's quantity is 0 to 99,999.",
            {"variantId": draft.variant_id, "requested": draft.quantity},
        ),
    )


def upsert_items(
    service: InventoryService,
    store_id: str,
    lines: Sequence[UpsertLine],
    audit: AuditContext,
    return_entity: bool,
) -> list[LineResult]:
    def upsert(line: UpsertLine) -> LineResult:
        key = service.item_key(store_id, line.draft.variant_id, line.draft.location_id)
        try:
            for _ in range(ROUNDS):
                item = service.get_items([key]).get(key)
                if item is None:
                    if line.draft.quantity is not None and line.draft.quantity < 0:
                        return _negative(line.index, line.draft)
                    try:
                        created = service.create_item(store_id, line.draft, audit, line_index=line.index)
                    except ItemAlreadyExists:
                        continue  # created by someone else meanwhile: update it
                    return LineResult(
                        line.index,
                        created.id,
                        kind=AdjustmentKind.CREATE,
                        item=created if return_entity else None,
                    )
                if line.revision is not None and line.revision != item.revision:
                    return LineResult(line.index, item.id, error=revision_mismatch(item, line.revision))
                update = UpdateLine(line.index, item.id, item.revision, line.changes)
                [result] = service.update_items(store_id, [update], audit, return_entity)
                code = None if result.error is None else result.error.code
                if code is LineErrorCode.INVENTORY_ITEM_NOT_FOUND:
                    continue  # deleted meanwhile: create it
                if code is not LineErrorCode.REVISION_MISMATCH or line.revision is not None:
                    return result
        except (StorageUnavailable, IdempotencyConflict) as unavailable_now:
            return busy(line.index, unavailable_now)
        return unavailable(line.index, KEPT_CHANGING)

    # Every line is its own item (the dialect refuses two for one): all of them run concurrently.
    return sorted(service._run_grouped(lines, lambda line: line.index, upsert), key=lambda r: r.index)
