"""Bulk create and bulk update, packed: many items a storage request, each still its own conditional write.

A create is the puts of the item's records and its id pointer, each on condition that its key is free; an
update is the item's update on condition that it is still at the revision it was computed from. Lines go to
storage many at a time (a transaction: 33 creates or 100 updates), every pack of a request in flight at
once, as the decrement's lines do (`stockroom.core.packs`). A transaction is all or nothing, but the lines
are not: when one refuses, DynamoDB names it (with the item it found), its answer is decided from that, and
the rest of the pack is written again without it. Lines that met another writer at the same instant go on
alone.

Exactly once without a witness record: a write stamps the item with its change (kind, request, line), so a
retry of a line whose answer was lost is refused by its condition and finds its own stamp: it is reported
applied, never applied twice (`WritesRefused.recorded`).

Lines for the same item (a variant and location named twice, an id named twice) run in rounds, the r-th
line of each item in round r, so each is judged on what the previous one left.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Executor
from typing import TypeVar

from stockroom.core.deadline import carried
from stockroom.core.domain import InventoryItem, LineResult
from stockroom.core.errors import IdempotencyConflict, StorageUnavailable
from stockroom.core.lanes import shared_executor
from stockroom.core.packs import KEPT_CHANGING, unavailable
from stockroom.core.ports import ItemUpdate, NewItem, WritesConflicted, WritesRefused
from stockroom.core.writes import MAX_WRITE_ATTEMPTS, backoff

# DynamoDB takes 100 operations a transaction: a create is three (the item's stock and profile records and
# its id pointer), an update one.
CREATE_PACK = 33
UPDATE_PACK = 100

Line = TypeVar("Line")


Write = TypeVar("Write", NewItem, ItemUpdate)


def rounds(lines: Sequence[Line], item_of: Callable[[Line], Hashable]) -> list[list[Line]]:
    """The r-th line of every item in round r, request order kept within each round."""
    grouped: list[list[Line]] = []
    seen: dict[Hashable, int] = {}
    for line in lines:
        number = seen.get(item_of(line), 0)
        seen[item_of(line)] = number + 1
        if number == len(grouped):
            grouped.append([])
        grouped[number].append(line)
    return grouped


def write_packed(
    writes: Sequence[Write],
    *,
    size: int,
    store: Callable[[Sequence[Write]], None],
    refused: Callable[[Write, InventoryItem | None], LineResult],
    applied: Callable[[Write, InventoryItem | None], LineResult],
    executor: Executor | None = None,
) -> list[LineResult]:
    """Every write's result, in line order. `store` writes a pack in one request (raising WritesRefused or
    WritesConflicted); `refused` answers a line storage refused, from the item it found; `applied` answers
    an applied line (with the stored item where it was found applied before, else None)."""
    packs = [list(writes[i : i + size]) for i in range(0, len(writes), size)]

    def run(pack: list[Write]) -> list[LineResult]:
        results: list[LineResult] = []
        pending = pack
        for attempt in range(MAX_WRITE_ATTEMPTS):
            if not pending:
                break
            try:
                store(pending)
            except WritesRefused as refusal:
                for position, write in enumerate(pending):
                    if position in refusal.recorded:
                        results.append(applied(write, refusal.items.get(position)))
                    elif position in refusal.items:
                        results.append(refused(write, refusal.items[position]))
                gone = refusal.recorded | refusal.items.keys()
                pending = [w for position, w in enumerate(pending) if position not in gone]
                continue
            except WritesConflicted as conflict:
                if len(pending) > 1 and len(conflict.positions) < len(pending):
                    # Others were writing some of these items: those go on alone, the rest at once.
                    for position in sorted(conflict.positions):
                        results += run([pending[position]])
                    pending = [w for position, w in enumerate(pending) if position not in conflict.positions]
                else:
                    backoff(attempt)
                continue
            except (StorageUnavailable, IdempotencyConflict) as busy:
                results += [unavailable(w.index, busy.description, busy.code) for w in pending]
                return results
            results += [applied(w, None) for w in pending]
            return results
        return results + [unavailable(w.index, KEPT_CHANGING) for w in pending]

    if len(packs) <= 1:
        done = [run(pack) for pack in packs]
    else:
        pool = executor or shared_executor(len(packs))
        done = list(pool.map(carried(run), packs))
    return sorted((result for results in done for result in results), key=lambda r: r.index)
