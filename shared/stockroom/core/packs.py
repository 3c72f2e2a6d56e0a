"""Packed writes: the lines of one request go to storage many at a time, each still exactly its rule; and
lines written alone.

A line is two operations of a transaction (the item's conditional update and the witness of its change);
DynamoDB takes 100, so a pack holds up to 50 lines, all for different items, and every pack of a request is
in flight at once. When DynamoDB cancels a pack, its reasons name each refused line with the item it judged:
the rules judge those lines (a rejection is that line's answer; another path is tried next), and the rest
of the pack is written again without them. A refused line never fails its packmates. Lines that met other
writers at the same instant (TransactionConflict) go on alone, so a hot item never holds back the others.

One item's lines keep request order: the r-th line of every item is in round r, and the rounds run one
after the other.

A line with no packmates (a one-line request, a round of one, or a line that met other writers) is written
alone: one conditional single-item write, no transaction, no witness. On DynamoDB a transaction holds its
items while it runs, and cancels (or is refused by) every other writer of them, so the buyers of one hot
item would refuse each other while stock remains; a single-item write holds nothing, and costs a quarter
of a packed line. Its exactly-once comes from the item and its ledger instead of a witness
(`InventoryRepository.find_change`). A request with an Idempotency-Key may be sent again after an answer
the client never got; a line it writes alone notes its attempt first, and a retry looks for the earlier
attempts' changes before writing. A keyed request of several lines writes its lone lines as packs of one
(with their witnesses) instead, so that a retry never has to search the ledger for many lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace

from stockroom.core.deadline import carried
from stockroom.core.domain import (
    AdjustmentKind,
    AuditContext,
    DecrementLine,
    InventoryItem,
    ItemKey,
    LineError,
    LineErrorCode,
    LineResult,
)
from stockroom.core.errors import IdempotencyConflict, StorageUnavailable
from stockroom.core.lanes import shared_executor
from stockroom.core.ports import InventoryRepository, NotApplied, StockWrite, WritesConflicted, WritesRefused
from stockroom.core.rules import Reject, WritePath, decrement_adjustment, judge_decrement, judge_increment
from stockroom.core.writes import MAX_WRITE_ATTEMPTS, Retry, backoff, write_by_rules

# Two operations a line (the update and its witness); DynamoDB's limit is 100 a transaction.
PACK_LINES = 50

KEPT_CHANGING = "The item kept changing under this line; nothing was applied."


def applied(write: StockWrite) -> LineResult:
    if write.path is None:
        return LineResult(write.line.index, None, kind=AdjustmentKind.INCREMENT)
    kind, _ = decrement_adjustment(write.path, write.line.quantity)
    return LineResult(write.line.index, None, kind=kind)


def unavailable(
    index: int, description: str, code: str = LineErrorCode.TEMPORARILY_UNAVAILABLE
) -> LineResult:
    """A line storage could not settle: TEMPORARILY_UNAVAILABLE (known not applied) or, from the error's
    code, OUTCOME_UNKNOWN (sent, answer lost) or IDEMPOTENCY_CONFLICT."""
    return LineResult(index, None, error=LineError(LineErrorCode(code), description))


def settled_alone(
    repository: InventoryRepository, write: StockWrite, restrict_inventory: bool, audit: AuditContext
) -> LineResult:
    """One line written alone, exactly once: its result, with the item as the write left it."""
    line = write.line
    try:
        if audit.keyed:
            earlier = repository.begin_attempt(line.key, audit.request_id, line.index, audit.created_date)
            found = earlier and repository.find_change(line.key, audit.request_id, line.index, earlier)
            if found:
                return replace(applied(write), item_id=found.id, item=found)  # an earlier try applied it
        for _ in range(MAX_WRITE_ATTEMPTS):
            try:
                after = repository.write_alone(write, restrict_inventory=restrict_inventory, audit=audit)
                return replace(applied(write), item_id=after.id, item=after)
            except WritesRefused as refused:
                item = refused.items.get(0)
                verdict = judge_or_reclaim(repository, write, item, restrict_inventory, audit)
                if isinstance(verdict, LineError):
                    return LineResult(line.index, item.id if item else None, error=verdict)
                write = verdict
        return unavailable(line.index, KEPT_CHANGING)
    except (StorageUnavailable, IdempotencyConflict) as busy:
        return unavailable(line.index, busy.description, busy.code)


def judge(write: StockWrite, found: InventoryItem | None, restrict_inventory: bool) -> LineError | StockWrite:
    """A refused write, judged by the rules on the item storage handed back: its error, or the write to try
    next (another path, or the same one where the item changed under it)."""
    line = write.line
    if not isinstance(line, DecrementLine):
        error = judge_increment(found, line.quantity)
        return write if error is None else error
    decision = judge_decrement(
        found, line.quantity, preorder_request=line.preorder_request, restrict_inventory=restrict_inventory
    )
    return decision.error if isinstance(decision, Reject) else replace(write, path=decision.path)


def freed_for(repository: InventoryRepository, item: InventoryItem, units: int, audit: AuditContext) -> bool:
    """Whether holds stood between `units` and the item's stock and expired ones among them have just
    been reclaimed (so the write that needs the units is worth trying again)."""
    return (
        item.track_quantity
        and item.reserved > 0
        and item.available < units
        and repository.reclaim_expired(item, audit) > 0
    )


def judge_or_reclaim(
    repository: InventoryRepository,
    write: StockWrite,
    found: InventoryItem | None,
    restrict_inventory: bool,
    audit: AuditContext,
) -> LineError | StockWrite:
    """`judge`, after freeing the item's expired holds where they may be what stood in the way: a hold
    stops counting at its expiry (SPEC §7), not when a collector gets to it, so the line takes the stock
    path again once they are freed."""
    line = write.line
    if (
        isinstance(line, DecrementLine)
        and found is not None
        and freed_for(repository, found, line.quantity, audit)
    ):
        return replace(write, path=WritePath.STOCK)
    return judge(write, found, restrict_inventory)


@dataclass(frozen=True, slots=True)
class _Pack:
    pending: tuple[StockWrite, ...]  # to write together, next attempt
    done: tuple[LineResult, ...] = ()  # settled: refused by the rules, or found applied already
    alone: tuple[StockWrite, ...] = ()  # met other writers: each goes on in a pack of its own


class PackWriter:
    def __init__(self, repository: InventoryRepository, *, lanes: int, executor: Executor | None) -> None:
        self._repository = repository
        self._lanes = lanes
        self._executor = executor

    def write(
        self, writes: Sequence[StockWrite], *, restrict_inventory: bool, audit: AuditContext
    ) -> list[LineResult]:
        """Every write's result, in line order."""
        rounds: list[list[StockWrite]] = []
        seen: dict[ItemKey, int] = {}
        for write in writes:
            number = seen.get(write.line.key, 0)
            seen[write.line.key] = number + 1
            if number == len(rounds):
                rounds.append([])
            rounds[number].append(write)
        results: list[LineResult] = []
        # A keyed request of several lines keeps its witnesses (see the module's docstring).
        plain_alone = not audit.keyed or len(writes) == 1
        for number, members in enumerate(rounds):
            packs = [members[i : i + PACK_LINES] for i in range(0, len(members), PACK_LINES)]

            def run(pack: list[StockWrite], number: int = number) -> list[LineResult]:
                if len(pack) == 1 and plain_alone:
                    return [settled_alone(self._repository, pack[0], restrict_inventory, audit)]
                # The pack's name stays the same when the same request is written again (its token).
                name = f"{number}.{pack[0].line.index}"
                return self.write_pack(pack, restrict_inventory, audit, name, plain_alone=plain_alone)

            if len(packs) == 1:
                results += run(packs[0])
            else:
                pool = self._executor or shared_executor(min(len(packs), self._lanes))
                results += [r for done in pool.map(carried(run), packs) for r in done]
        return sorted(results, key=lambda r: r.index)

    def write_pack(
        self,
        writes: Sequence[StockWrite],
        restrict_inventory: bool,
        audit: AuditContext,
        name: str,
        *,
        plain_alone: bool,
    ) -> list[LineResult]:
        def write(pack: _Pack, attempt: int) -> list[LineResult]:
            results = list(pack.done)
            try:
                if pack.pending:
                    self._repository.write_together(
                        pack.pending,
                        restrict_inventory=restrict_inventory,
                        audit=audit,
                        token=f"{audit.request_id}:{name}:{attempt}",
                    )
                results += map(applied, pack.pending)
            except (StorageUnavailable, IdempotencyConflict) as busy:
                results += [unavailable(w.line.index, busy.description, busy.code) for w in pack.pending]
            for alone in pack.alone:
                if plain_alone:
                    results.append(settled_alone(self._repository, alone, restrict_inventory, audit))
                else:
                    lone_name = f"{name}.{alone.line.index}"
                    results += self.write_pack(
                        [alone], restrict_inventory, audit, lone_name, plain_alone=False
                    )
            return results

        def rejudge(refusal: NotApplied, pack: _Pack) -> Retry[_Pack]:
            if isinstance(refusal, WritesConflicted):
                if len(refusal.positions) == len(pack.pending):
                    backoff(2)  # the whole pack met another writer: again, shortly, as it is
                    return Retry(pack)
                stay = [w for i, w in enumerate(pack.pending) if i not in refusal.positions]
                moved = [w for i, w in enumerate(pack.pending) if i in refusal.positions]
                return Retry(replace(pack, pending=tuple(stay), alone=(*pack.alone, *moved)))
            assert isinstance(refusal, WritesRefused)
            pending: list[StockWrite] = []
            done = list(pack.done)
            for position, write in enumerate(pack.pending):
                if position in refusal.recorded:
                    done.append(applied(write))
                elif position in refusal.items:
                    item = refusal.items[position]
                    verdict = judge_or_reclaim(self._repository, write, item, restrict_inventory, audit)
                    if isinstance(verdict, LineError):
                        done.append(LineResult(write.line.index, item.id if item else None, error=verdict))
                    else:
                        pending.append(verdict)
                else:
                    pending.append(write)
            return Retry(replace(pack, pending=tuple(pending), done=tuple(done)))

        def exhausted(pack: _Pack) -> list[LineResult]:
            return write(replace(pack, pending=()), 0) + [
                unavailable(w.line.index, KEPT_CHANGING) for w in pack.pending
            ]

        return write_by_rules(_Pack(tuple(writes)), write, NotApplied, rejudge, exhausted)
