"""X-Ray tracing of a handler, paid for only where it traces.

Powertools' `Tracer()` imports the X-Ray SDK (~130 ms of cold start) even where it then disables itself:
outside Lambda, under `sam local`, or with POWERTOOLS_TRACE_DISABLED. `capture_lambda_handler` applies the
Tracer's decorator only where Powertools would trace, by Powertools' own (documented) rule.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

Handler = TypeVar("Handler", bound=Callable[..., object])


def tracing_enabled() -> bool:
    if os.environ.get("POWERTOOLS_TRACE_DISABLED", "false").strip().lower() in ("1", "true", "yes", "on"):
        return False
    in_lambda = bool(os.environ.get("LAMBDA_TASK_ROOT"))
    emulated = bool(os.environ.get("AWS_SAM_LOCAL") or os.environ.get("AWS_CHALICE_CLI_MODE"))
    return in_lambda and not emulated


def capture_lambda_handler(handler: Handler) -> Handler:
    """`Tracer().capture_lambda_handler` where tracing is on; the handler itself elsewhere."""
    if not tracing_enabled():
        return handler
    from aws_lambda_powertools import Tracer

    return Tracer().capture_lambda_handler(handler)  # type: ignore[return-value]
