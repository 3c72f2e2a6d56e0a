"""The Prosperna dialect's one table from errors to HTTP answers, in Prosperna's error body."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel, Field

from stockroom.errors import (
    IdempotencyKeyReused,
    InvalidRequest,
    ItemNotFound,
    NotAuthenticated,
    PayloadTooLarge,
    RequestInProgress,
    StorageUnavailable,
    StoreForbidden,
)
from stockroom.json_body import is_json_content_type
from stockroom.prosperna.models import error_body

logger = Logger(child=True)
MEDIA_TYPE_ONLY = "Send the body as application/json."


class ProspernaErrorBody(BaseModel):
    """Every error answer; API Gateway's own 401/403 carry the message alone."""

    error: bool | None = None
    message: str
    statusCode: int | None = None
    data: dict[str, Any] | None = Field(None, description="failures: each line or field that failed")


_ERRORS = {
    400: "Invalid request, or lines that cannot be applied (data.failures names each); nothing changed",
    401: "No API key, or an unknown one",
    403: "The API key does not cover this store",
    404: "No such product in this store",
    409: "The same Idempotency-Key is still in progress",
    413: "The body is over 1 MB",
    422: "The Idempotency-Key was used for another request",
    503: "DynamoDB stayed unavailable; nothing was applied (see Retry-After)",
}


def documented(status: int = 200, description: str = "OK") -> dict[int, OpenAPIResponse]:
    """The answers a Prosperna route documents: its own, and the error table's (in Prosperna's body)."""
    responses: dict[int, OpenAPIResponse] = {status: {"description": description}}
    for code, meaning in _ERRORS.items():
        responses[code] = {
            "description": meaning,
            "content": {"application/json": {"model": ProspernaErrorBody}},
        }
    return responses


RETRY_AFTER_SECONDS = "1"


class OrderRejected(Exception):
    """Some lines cannot be applied, so none was: every failing line is named."""

    def __init__(self, failures: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(failures)} line(s) failed")
        self.failures = failures


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(body),
        headers=headers,
    )


def _violation(error: dict[str, Any]) -> dict[str, Any]:
    """A pydantic error as a failure entry: the line's index where it names one, and the field."""
    if error.get("type") == "json_invalid":
        return {
            "field": "body",
            "code": "INVALID_ARGUMENT",
            "message": f"Malformed JSON body: {error['ctx']['error']}",
        }
    loc = [part for part in error.get("loc", ()) if part not in ("body", "query")]
    entry: dict[str, Any] = {}
    if loc and isinstance(loc[0], int):
        entry["index"] = loc.pop(0)
    entry["field"] = ".".join(str(part) for part in loc) or "body"
    entry["code"] = "INVALID_ARGUMENT"
    entry["message"] = str(error.get("msg"))
    return entry


def _invalid(failures: list[dict[str, Any]]) -> Response:
    summary = "; ".join(
        (f"line {f['index']}: " if "index" in f else "") + f"{f['field']}: {f['message']}"
        for f in failures[:5]
    )
    return _json(400, error_body(400, f"Invalid request: {summary}", failures))


def register_error_handlers(router: Router) -> None:
    @router.exception_handler(RequestValidationError)
    def invalid_request(error: RequestValidationError) -> Response:
        return _invalid([_violation(e) for e in error.errors()])

    @router.exception_handler(InvalidRequest)
    def invalid_argument(error: InvalidRequest) -> Response:
        return _invalid([{"field": error.field, "code": error.code, "message": error.description}])

    @router.exception_handler(RequestUnsupportedContentType)
    def unsupported_media(_: RequestUnsupportedContentType) -> Response:
        return _json(415, error_body(415, MEDIA_TYPE_ONLY))

    @router.exception_handler(ValueError)
    def unreadable_body(error: ValueError) -> Response:
        # Powertools reads multipart and form bodies itself, and a malformed one raises ValueError there.
        if is_json_content_type(router.current_event.headers.get("content-type")):
            raise error  # not the body's fault: a bug, and a 500 is its honest answer
        return _json(415, error_body(415, MEDIA_TYPE_ONLY))

    @router.exception_handler(UnicodeDecodeError)
    def not_utf8(_: UnicodeDecodeError) -> Response:
        return _invalid([{"field": "body", "code": "INVALID_ARGUMENT", "message": "The body is not UTF-8"}])

    @router.exception_handler(OrderRejected)
    def rejected(error: OrderRejected) -> Response:
        message = f"Inventory was not updated: {len(error.failures)} line(s) cannot be applied."
        return _json(400, error_body(400, message, error.failures))

    @router.exception_handler(NotAuthenticated)
    def not_authenticated(error: NotAuthenticated) -> Response:
        return _json(401, error_body(401, error.description))

    @router.exception_handler(StoreForbidden)
    def forbidden(error: StoreForbidden) -> Response:
        return _json(403, error_body(403, error.description))

    @router.exception_handler(PayloadTooLarge)
    def too_large(error: PayloadTooLarge) -> Response:
        return _json(413, error_body(413, error.description))

    @router.exception_handler(RequestInProgress)
    def in_progress(error: RequestInProgress) -> Response:
        return _json(409, error_body(409, error.description), {"Retry-After": RETRY_AFTER_SECONDS})

    @router.exception_handler(IdempotencyKeyReused)
    def key_reused(error: IdempotencyKeyReused) -> Response:
        return _json(422, error_body(422, error.description))

    @router.exception_handler(ItemNotFound)
    def not_found(error: ItemNotFound) -> Response:
        failures = [{"code": "PRODUCT_NOT_FOUND", "message": error.description, **error.data}]
        return _json(404, error_body(404, error.description, failures))

    @router.exception_handler(StorageUnavailable)
    def unavailable(error: StorageUnavailable) -> Response:
        logger.warning("storage unavailable", extra={"detail": error.description})
        return _json(503, error_body(503, error.description), {"Retry-After": RETRY_AFTER_SECONDS})
