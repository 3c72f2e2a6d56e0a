"""The one retry loop of every rule-guarded write: write, and on a refusal let the rules decide.

A write is blind (no read first); when its condition fails, storage hands back the item it judged, and the
rules either reject the line with that snapshot's data or name the path to try next (the item changed, or
rule 3 applies). A line that keeps finding its item changed gives up after MAX_WRITE_ATTEMPTS.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from stockroom.core.deadline import capped

# A line tries at most this many write paths; more means the item changed under it every time.
MAX_WRITE_ATTEMPTS = 4

Plan = TypeVar("Plan")
Answer = TypeVar("Answer")
Refusal = TypeVar("Refusal", bound=Exception)


@dataclass(frozen=True, slots=True)
class Retry(Generic[Plan]):
    """The rules' verdict on a refusal: write again, this way."""

    plan: Plan


def write_by_rules(
    plan: Plan,
    write: Callable[[Plan, int], Answer],
    refusal: type[Refusal],
    judge: Callable[[Refusal, Plan], Answer | Retry[Plan]],
    exhausted: Callable[[Plan], Answer],
) -> Answer:
    """`write(plan, attempt)` until it answers, or `judge` answers a refusal, or the attempts run out
    (`exhausted` then answers for the last plan)."""
    for attempt in range(MAX_WRITE_ATTEMPTS):
        try:
            return write(plan, attempt)
        except refusal as refused:
            decided = judge(refused, plan)
            if not isinstance(decided, Retry):
                return decided
            plan = decided.plan
    return exhausted(plan)


def backoff(attempt: int) -> None:
    # Full jitter: concurrent writers of one item must not retry in lockstep. Never past the deadline.
    time.sleep(capped(random.uniform(0, min(0.2, 0.01 * 2**attempt))))
