"""Errors as HTTP answers: the one table of statuses both dialects share. Each dialect only renders bodies.

Validation errors (Powertools' `RequestValidationError`, the engine's `InvalidRequest`, an unreadable body)
become 400 with the dialect's list of violations; every `StockroomError` gets its status from `HTTP_STATUS`
(found by class, so a subclass answers as its base), with `Retry-After` where retrying later is the remedy.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver, Router
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

from stockroom.core.errors import (
    ChangeRefused,
    IdempotencyConflict,
    InvalidRequest,
    ItemAlreadyExists,
    ItemNotFound,
    ItemReserved,
    ReservationConflict,
    ReservationNotFound,
    ReservationRefused,
    RevisionMismatch,
    StockroomError,
    StorageUnavailable,
)
from stockroom.http.exceptions import (
    IdempotencyKeyReused,
    NotAuthenticated,
    NotServed,
    PayloadTooLarge,
    RequestInProgress,
    StoreForbidden,
    UnsupportedMediaType,
)
from stockroom.http.json_body import is_json_content_type

logger = Logger(child=True)

HTTP_STATUS: dict[type[StockroomError], int] = {
    NotAuthenticated: 401,
    StoreForbidden: 403,
    ItemNotFound: 404,
    ReservationNotFound: 404,
    ItemAlreadyExists: 409,
    ReservationConflict: 409,
    RevisionMismatch: 409,
    ItemReserved: 409,
    # The rules refused the call's one line (PATCH, DELETE): a conflict with the item's state.
    ChangeRefused: 409,
    # DynamoDB's IdempotentParameterMismatch that the write's witness could not settle: the same request
    # (or Idempotency-Key) came back with other content within DynamoDB's 10-minute token window.
    IdempotencyConflict: 409,
    RequestInProgress: 409,
    PayloadTooLarge: 413,
    UnsupportedMediaType: 415,
    IdempotencyKeyReused: 422,
    # SPEC §7: a reservation that cannot hold every line (a precondition of the stock, not of the request).
    ReservationRefused: 428,
    # Answered, so the caller learns why (a method of Wix's SDK that needs what Stockroom does not keep): no
    # such call here, the caller's to change (a 5xx would say the fault is the server's, and it may pass).
    NotServed: 404,
    StorageUnavailable: 503,
}
RETRY_LATER: tuple[type[StockroomError], ...] = (RequestInProgress, StorageUnavailable)
RETRY_AFTER_SECONDS = "1"
JSON_ONLY = "Send the body as application/json."

# What each status means, for the OpenAPI document (a dialect may say it in its own words).
ERROR_MEANINGS = {
    400: "Invalid request: each field that broke a rule",
    401: "No API key, or an unknown one",
    403: "The API key does not cover this store",
    404: "Not found in this store",
    409: "Already exists, a stale revision, a change the item's state refuses, an item that holds"
    " reservations, a reservation's state, the same"
    " Idempotency-Key still in progress (see Retry-After), or DynamoDB refused the write as a repeat of a"
    " different one (IDEMPOTENCY_CONFLICT)",
    413: "The body is over 1 MB",
    415: "The body is not application/json",
    422: "The Idempotency-Key was used for another request",
    503: "DynamoDB stayed unavailable: nothing was applied (TEMPORARILY_UNAVAILABLE), or a write's answer was"
    " lost and it may have been (OUTCOME_UNKNOWN: retry with the same Idempotency-Key); see Retry-After",
}


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule of a request: where (pydantic's location, without "body"), what, and its kind."""

    loc: tuple[str | int, ...]
    message: str
    kind: str  # pydantic's error type ("missing", "int_type"...), or "json_invalid", "other"


# What error handlers are registered on: a function's resolver (or, in a test, a router).
Resolver = ApiGatewayResolver | Router
RenderInvalid = Callable[[Sequence[Violation]], dict[str, Any]]
RenderFailure = Callable[[int, StockroomError], dict[str, Any]]


def json_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(body),
        headers=headers,
    )


def _violations(error: RequestValidationError) -> list[Violation]:
    found = []
    for e in error.errors():
        if e.get("type") == "json_invalid":
            reason = (e.get("ctx") or {}).get("error", "not JSON")
            found.append(Violation(("body",), f"Malformed JSON body: {reason}", "json_invalid"))
            continue
        loc = tuple(part for part in e.get("loc", ()) if part != "body")
        found.append(Violation(loc or ("body",), str(e.get("msg")), str(e.get("type", ""))))
    return found


def register_error_handlers(
    router: Resolver,
    invalid: RenderInvalid,
    failure: RenderFailure,
    fields: Mapping[str, str | None] | None = None,
) -> None:
    """Install the table on a function's resolver; `invalid` renders a 400's body, `failure` any other's.
    `fields` renames the engine's neutral field names in the dialect's words (None: leave the name out)."""
    renamed = dict(fields or {})

    def dialect_loc(loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
        head, rest = loc[0], loc[1:]
        if not isinstance(head, str) or head not in renamed:
            return loc
        name = renamed[head]
        return rest if name is None else (name, *rest)

    def bad_request(violations: Sequence[Violation]) -> Response:
        return json_response(400, invalid(violations))

    def answer(error: StockroomError) -> Response:
        status = next(code for cls, code in HTTP_STATUS.items() if isinstance(error, cls))
        if status >= 500:
            logger.warning("answered %s", status, extra={"code": error.code, "detail": error.description})
        headers = {"Retry-After": RETRY_AFTER_SECONDS} if isinstance(error, RETRY_LATER) else None
        return json_response(status, failure(status, error), headers)

    @router.exception_handler(RequestValidationError)
    def invalid_request(error: RequestValidationError) -> Response:
        event = router.current_event
        if event.body and not is_json_content_type(event.headers.get("content-type")):
            # Powertools parses form and multipart bodies itself: a form that fails validation is a body
            # of the wrong media type (415), not a malformed request.
            return answer(UnsupportedMediaType(JSON_ONLY))
        return bad_request(_violations(error))

    @router.exception_handler(InvalidRequest)
    def invalid_argument(error: InvalidRequest) -> Response:
        return bad_request([Violation(dialect_loc(error.loc) or ("body",), error.description, error.rule)])

    @router.exception_handler(UnicodeDecodeError)
    def not_utf8(_: UnicodeDecodeError) -> Response:
        # A binary (base64) body that is not UTF-8 fails while Powertools decodes it: the client's fault.
        return bad_request([Violation(("body",), "The body is not UTF-8", "json_invalid")])

    @router.exception_handler(RequestUnsupportedContentType)
    def unsupported_media(_: RequestUnsupportedContentType) -> Response:
        return answer(UnsupportedMediaType(JSON_ONLY))

    @router.exception_handler(ValueError)
    def unreadable_body(error: ValueError) -> Response:
        # Powertools reads multipart and form bodies itself, and a malformed one raises ValueError there.
        if is_json_content_type(router.current_event.headers.get("content-type")):
            raise error  # not the body's fault: a bug, and a 500 is its honest answer
        return answer(UnsupportedMediaType(JSON_ONLY))

    router.exception_handler(list(HTTP_STATUS))(answer)


def documented(
    body: type[BaseModel], meanings: dict[int, str], status: int = 200, description: str = "OK"
) -> dict[int, OpenAPIResponse]:
    """A route's answers for the OpenAPI document: its own, and every error's, in the dialect's body."""
    responses: dict[int, OpenAPIResponse] = {status: {"description": description}}
    for code, meaning in {**ERROR_MEANINGS, **meanings}.items():
        responses[code] = {"description": meaning, "content": {"application/json": {"model": body}}}
    return responses
