"""The deadline of the invocation in progress: the time by which its answer must be on its way.

A handler sets it from its Lambda context (`get_remaining_time_in_millis`, capped at API Gateway's 29 s for
an API call). Everything below reads it: storage starts no request with too little time left and cuts each
request's timeout to what is left, and backoff never sleeps past it; a line that cannot be settled in time
is answered as not applied or as unknown, never left without an answer. A context variable, so lanes carry
it into their threads (`carried`); no deadline (a test, a benchmark) means no limit.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

# API Gateway answers 504 after 29 s, whatever the function's own timeout.
API_GATEWAY_SECONDS = 29.0
# Kept back from the work: building the answer, logging and metrics, and the way back through API Gateway.
ANSWER_RESERVE_SECONDS = 1.0
# A request with less time than this left is not started: it could not be answered, only left in doubt.
MIN_REQUEST_SECONDS = 0.2

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("stockroom_deadline", default=None)

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Work under a deadline `seconds` from now (the answer's reserve is taken off it here)."""
    token = _deadline.set(time.monotonic() + seconds - ANSWER_RESERVE_SECONDS)
    try:
        yield
    finally:
        _deadline.reset(token)


def time_left() -> float | None:
    """Seconds left for work (None: no deadline)."""
    end = _deadline.get()
    return None if end is None else max(0.0, end - time.monotonic())


def can_start() -> bool:
    """Whether there is time to start one more request and still hear its answer."""
    left = time_left()
    return left is None or left >= MIN_REQUEST_SECONDS


def capped(seconds: float) -> float:
    """`seconds`, or less if the deadline comes first."""
    left = time_left()
    return seconds if left is None else max(0.0, min(seconds, left))


def carried(function: Callable[P, R]) -> Callable[P, R]:
    """`function`, run in the caller's context (its deadline) from whichever thread calls it: a pool's
    threads do not inherit context variables. Each call runs in a copy of its own, as Context.run allows
    one thread at a time."""
    context = contextvars.copy_context()

    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        return context.copy().run(function, *args, **kwargs)

    return run
