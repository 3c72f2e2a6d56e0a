"""What a handler reads off the API Gateway request besides its body."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

from stockroom.core.deadline import API_GATEWAY_SECONDS, within
from stockroom.core.errors import InvalidRequest
from stockroom.http.idempotency import keyed_request_id


def request_id(router: BaseRouter) -> str:
    """The id that names a request's writes (their witnesses and ClientRequestTokens): with an
    Idempotency-Key, one made of the store, the key and the request, so a retry names the same writes;
    without, API Gateway's id for the HTTP request (what the caller can quote back to us), or the Lambda's
    when there is none (a direct invoke)."""
    keyed = keyed_request_id(router)
    if keyed is not None:
        return keyed
    context = router.current_event.raw_event.get("requestContext") or {}
    return str(context.get("requestId") or router.lambda_context.aws_request_id)


def remaining_seconds(context: Any, cap: float | None = None) -> float | None:
    """What the Lambda context says is left of the invocation, capped (None: a context that cannot say)."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return None
    seconds = remaining() / 1000
    return seconds if cap is None else min(seconds, cap)


def api_deadline(context: Any) -> AbstractContextManager[None]:
    """An API call's deadline: its function's own, but never past API Gateway's 29 s (after which the caller
    gets a 504 and none of the results)."""
    seconds = remaining_seconds(context, API_GATEWAY_SECONDS)
    return nullcontext() if seconds is None else within(seconds)


def refuse_unknown_query(router: BaseRouter, *allowed: str) -> None:
    """A query parameter the route does not take is a 400, as an unknown body field is: a misspelt
    `limt=5`, or `since` where it means nothing, is never silently ignored."""
    for name in router.current_event.query_string_parameters or {}:
        if name not in allowed:
            known = ", ".join(allowed)
            raise InvalidRequest(name, f"Unknown query parameter {name!r}; this call takes {known}.")
