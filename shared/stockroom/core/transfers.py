"""Transfers between locations: each line one transaction, `-n` at the source and `+n` at the destination,
or nothing.

The two halves are the decrement's and the increment's own writes (`StockWrite`s of a DecrementLine on
the stock path, with restrictInventory, and of an IncrementLine), so their conditions are exactly those
rules' conditions, built where the rules' conditions are built; only the kind they record differs
(TRANSFER_OUT, TRANSFER_IN). Whatever makes a decrement refuse a line (the source missing, not tracking
quantity, short of available stock) refuses the transfer, and so does what makes an increment refuse one
(the destination missing, not tracking, or past the most an item may hold).

Lines that share an item (through either end, or a chain of them) run one after the other in request
order; the others run concurrently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from stockroom.core.domain import (
    AdjustmentKind,
    AuditContext,
    DecrementLine,
    IncrementLine,
    InventoryItem,
    ItemKey,
    LineError,
    LineResult,
)
from stockroom.core.errors import InvalidRequest, StorageUnavailable
from stockroom.core.packs import KEPT_CHANGING, judge, unavailable
from stockroom.core.ports import NotApplied, StockWrite, WritesConflicted, WritesRefused
from stockroom.core.rules import WritePath
from stockroom.core.stock import StockChanges, busy
from stockroom.core.writes import Retry, backoff, write_by_rules

# Other writers on one of a line's items at the same instant: the line is written again, this many times.
CONFLICT_ATTEMPTS = 8
_SIDES = ("from", "to")


@dataclass(frozen=True, slots=True)
class TransferLine:
    index: int
    source: ItemKey
    destination: ItemKey
    quantity: int


def _halves(line: TransferLine) -> list[StockWrite]:
    return [
        StockWrite(
            DecrementLine(line.index, line.source, line.quantity),
            WritePath.STOCK,
            AdjustmentKind.TRANSFER_OUT,
        ),
        StockWrite(
            IncrementLine(line.index, line.destination, line.quantity), None, AdjustmentKind.TRANSFER_IN
        ),
    ]


def _with_side(error: LineError, side: str, key: ItemKey) -> LineError:
    """A refusal says which end refused it."""
    return replace(
        error, data={**error.data, "side": side, "variantId": key.variant_id, "locationId": key.location_id}
    )


def _groups(lines: Sequence[TransferLine]) -> dict[int, ItemKey]:
    """Each line's group: lines that touch a shared item, directly or through others, share one."""
    parent: dict[ItemKey, ItemKey] = {}

    def root(key: ItemKey) -> ItemKey:
        while parent.setdefault(key, key) != key:
            key = parent[key]
        return key

    for line in lines:
        parent[root(line.source)] = root(line.destination)
    return {line.index: root(line.source) for line in lines}


class Transfers(StockChanges):
    def transfer(
        self, lines: Sequence[TransferLine], *, audit: AuditContext, return_entity: bool
    ) -> list[LineResult]:
        """One result per line, in request order; `itemMetadata.id` (and `item`) are the source's."""
        for line in lines:
            if line.source == line.destination:
                raise InvalidRequest(("lines", line.index), "fromLocationId and toLocationId are the same.")
        group = _groups(lines)
        results = self._run_grouped(
            lines, lambda line: group[line.index], lambda line: self._one(line, audit)
        )
        return self._sources(results, lines, return_entity)

    def _one(self, line: TransferLine, audit: AuditContext) -> LineResult:
        done = LineResult(line.index, None, kind=AdjustmentKind.TRANSFER_OUT)

        def write(halves: list[StockWrite], attempt: int) -> LineResult:
            for conflict in range(CONFLICT_ATTEMPTS):
                try:
                    self._repository.write_together(
                        halves,
                        restrict_inventory=True,  # a transfer never takes the source below zero
                        audit=audit,
                        token=f"{audit.request_id}:transfer:{line.index}:{attempt}.{conflict}",
                    )
                    return done
                except WritesConflicted:
                    backoff(conflict)
            raise StorageUnavailable(KEPT_CHANGING)

        def rejudge(refusal: NotApplied, halves: list[StockWrite]) -> LineResult | Retry[list[StockWrite]]:
            assert isinstance(refusal, WritesRefused)
            if refusal.recorded:
                return done  # an earlier attempt landed, its answer lost
            for position, found in sorted(refusal.items.items()):
                verdict = judge(halves[position], found, True)
                if isinstance(verdict, LineError):
                    key = halves[position].line.key
                    error = _with_side(verdict, _SIDES[position], key)
                    return LineResult(line.index, found.id if found else None, error=error)
            return Retry(halves)  # an item changed under the line, and the rules still allow it: again

        try:
            return write_by_rules(
                _halves(line), write, NotApplied, rejudge, lambda _: unavailable(line.index, KEPT_CHANGING)
            )
        except StorageUnavailable as unavailable_now:
            return busy(line.index, unavailable_now)

    def _sources(
        self, results: list[LineResult], lines: Sequence[TransferLine], return_entity: bool
    ) -> list[LineResult]:
        """Applied lines' source ids (and items, if asked), from one batched read after the writes."""
        source = {line.index: line.source for line in lines}
        applied = [source[r.index] for r in results if r.success]
        if not applied:
            return results
        try:
            items: dict[ItemKey, InventoryItem] = self._repository.get_items(applied)
        except StorageUnavailable:
            return results  # applied; an answer without ids beats a retry that applies twice
        return [
            replace(r, item_id=item.id, item=item if return_entity else None)
            if r.success and (item := items.get(source[r.index])) is not None
            else r
            for r in results
        ]
