"""How the lines of one request run: different items concurrently, one item's lines in request order.

One thread pool per process, built on first use and kept across invocations (a warm Lambda reuses it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import TypeVar

from stockroom.core.deadline import carried
from stockroom.core.domain import LineResult

Line = TypeVar("Line")

_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_lock = threading.Lock()


def shared_executor(at_least: int = 4) -> ThreadPoolExecutor:
    """The process's pool, with at least `at_least` threads. A pool that is too small is replaced, not
    resized (ThreadPoolExecutor cannot grow); its running work finishes on its own threads."""
    global _pool, _pool_size
    with _lock:
        if _pool is None or _pool_size < at_least:
            old, _pool, _pool_size = _pool, ThreadPoolExecutor(at_least, "stockroom-line"), at_least
            if old is not None:
                old.shutdown(wait=False)
        return _pool


def run_grouped(
    lines: Sequence[Line],
    item_of: Callable[[Line], Hashable],
    run_one: Callable[[Line], LineResult],
    *,
    lanes: int,
    executor: Executor | None = None,
) -> list[LineResult]:
    """Run lines for different items concurrently, and lines for the same item one after the other in
    request order; results sorted by line index."""
    by_item: dict[Hashable, list[Line]] = {}
    for line in lines:
        by_item.setdefault(item_of(line), []).append(line)

    def run(lane: list[list[Line]]) -> list[LineResult]:
        return [run_one(line) for group in lane for line in group]

    groups = list(by_item.values())
    if len(groups) <= 1:
        outcomes = [run(groups)]
    else:
        # Deal the items into `lanes` lanes, each lane one thread: 300 items over 150 lanes are two writes
        # in sequence, whatever order the engine answers in. (A shared queue would let a thread that
        # happens to finish early take a third and a fourth.)
        lane_count = max(1, min(len(groups), lanes))
        dealt = [groups[i::lane_count] for i in range(lane_count)]
        outcomes = list((executor or shared_executor(lane_count)).map(carried(run), dealt))
    return sorted((r for lane in outcomes for r in lane), key=lambda r: r.index)
