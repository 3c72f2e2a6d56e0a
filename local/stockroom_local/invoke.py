"""Run a function's handler in process, the way `sam local invoke` would."""

from __future__ import annotations

import importlib.util
import multiprocessing
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from stockroom_local.template import Function, Template, load_template

Handler = Callable[[Any, Any], Any]

# Variables set before the local runtime touched os.environ win over the template's, as with
# `sam local invoke --env-vars`.
_USER_ENV = frozenset(os.environ)
_handlers: dict[tuple[str, str], Handler] = {}
_load_lock = threading.Lock()
# One invocation at a time per function, as in one warm Lambda execution environment. Handlers keep
# per-invocation state at module scope (Powertools' resolver holds the current event and clears its
# context after each call), so two concurrent invocations in one process would read each other's.
_invocation_locks: dict[str, threading.Lock] = {}


@dataclass
class LambdaContext:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int = 128
    timeout_s: int = 3
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = ""
    log_group_name: str = ""
    log_stream_name: str = "local"
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self.invoked_function_arn = (
            self.invoked_function_arn
            or f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"
        )
        self.log_group_name = self.log_group_name or f"/aws/lambda/{self.function_name}"
        self._deadline = time.monotonic() + self.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def apply_environment(function: Function) -> None:
    """Put the function's template environment in os.environ, except what the user set himself.

    One process hosts every function, so function-specific variables are visible to the others;
    the shared ones (TABLE_NAME, POWERTOOLS_*) come from Globals and agree.
    """
    os.environ.setdefault("AWS_SAM_LOCAL", "true")  # as sam local: Powertools Tracer stays off
    # The embedded engine serializes every request: on a busy machine a burst queues for seconds, which is
    # a queue, not a hang. The deadline still bounds every call.
    os.environ.setdefault("STOCKROOM_DYNAMODB_READ_TIMEOUT", "20")
    for key, value in function.environment.items():
        if key not in _USER_ENV:
            os.environ[key] = value


def load_handler(function: Function) -> Handler:
    """Import the handler from the function's CodeUri under a module name of its own, once."""
    module_path, _, attr = function.handler.rpartition(".")
    key = (str(function.code_uri), function.handler)
    with _load_lock:
        if key not in _handlers:
            apply_environment(function)  # modules read their environment at import time
            file = function.code_uri.joinpath(*module_path.split(".")).with_suffix(".py")
            # Every function has an app.py: importing them all as `app` would hand back the first one.
            name = f"stockroom_fn_{function.logical_id}_{module_path.replace('.', '_')}"
            spec = importlib.util.spec_from_file_location(name, file)
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot load {file} for {function.logical_id}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module  # dataclasses and pydantic resolve annotations through it
            spec.loader.exec_module(module)
            _handlers[key] = getattr(module, attr)
        return _handlers[key]


def invoke(logical_id: str, event: Any, template: Template | None = None) -> Any:
    """Call the function's handler with event and a fresh LambdaContext; returns what it returns."""
    template = template or load_template()
    try:
        function = template.functions[logical_id]
    except KeyError:
        raise KeyError(f"no function {logical_id!r} in {template.path}") from None
    handler = load_handler(function)
    with _load_lock:
        lock = _invocation_locks.setdefault(function.logical_id, threading.Lock())
    with lock:
        apply_environment(function)
        context = LambdaContext(function.logical_id, function.memory_mb, function.timeout_s)
        try:
            return handler(event, context)
        finally:
            _forget_unpublished_metrics()


def _forget_unpublished_metrics() -> None:
    """Powertools keeps metrics in one process-wide set that only a publishing flush clears. With metrics
    off (as under sam local, which we emulate) they piled up across invocations, and the one that added a
    metric's 100th value failed (it publishes then, and with no namespace it raises). Start each clean."""
    from aws_lambda_powertools import Metrics

    Metrics().clear_metrics()


class ExecutionEnvironments:
    """Invoke handlers the way Lambda scales them: many execution environments side by side, each running
    one request at a time. Handlers rely on that (a Powertools resolver keeps the current request in module
    state), so concurrent HTTP requests must not share one interpreter's handler modules. Each environment is
    a worker process, started on demand and reused warm, as Lambda does."""

    def __init__(self, template: Template, size: int = 8) -> None:
        self._pool = ProcessPoolExecutor(
            max_workers=size,
            mp_context=multiprocessing.get_context("spawn"),  # fork would copy the engine's threads
            initializer=_start_environment,
            initargs=(str(template.path), template.parameters),
        )

    def __call__(self, logical_id: str, event: Any) -> Any:
        return self._pool.submit(_invoke_in_environment, logical_id, event).result()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


_environment_template: Template | None = None


def _start_environment(template_path: str, parameters: dict[str, str]) -> None:
    global _environment_template
    _exit_with_parent()
    _environment_template = load_template(template_path, parameter_overrides=parameters)


def _exit_with_parent(interval: float = 0.5) -> None:
    """End this worker once the process that started it is gone (a SIGKILLed `stockroom serve` cannot shut
    its pool down, and an orphan would wait for work forever). Polls getppid rather than using
    PR_SET_PDEATHSIG: that fires when the parent *thread* ends, and workers are started from request
    threads that end after each request."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(0)

    threading.Thread(target=watch, name="stockroom-parent-watch", daemon=True).start()


def _invoke_in_environment(logical_id: str, event: Any) -> Any:
    return invoke(logical_id, event, _environment_template)
