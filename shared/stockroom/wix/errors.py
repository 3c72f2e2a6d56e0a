"""The Wix dialect's one table from errors to HTTP answers, in the Wix error body."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

from stockroom.errors import (
    IdempotencyKeyReused,
    InvalidRequest,
    ItemAlreadyExists,
    ItemNotFound,
    NotAuthenticated,
    PayloadTooLarge,
    RequestInProgress,
    StockroomError,
    StorageUnavailable,
    StoreForbidden,
    UnsupportedMediaType,
)
from stockroom.json_body import is_json_content_type

logger = Logger(child=True)
MEDIA_TYPE_ONLY = "Send the body as application/json."


# --- the Wix error body, for the OpenAPI document --------------------------------------------------


class FieldViolation(BaseModel):
    field: str
    description: str
    violatedRule: str


class ValidationErrorDetail(BaseModel):
    fieldViolations: list[FieldViolation]


class ApplicationErrorDetail(BaseModel):
    code: str
    description: str
    data: dict[str, Any] = {}


class ErrorDetails(BaseModel):
    validationError: ValidationErrorDetail | None = None
    applicationError: ApplicationErrorDetail | None = None


class WixErrorBody(BaseModel):
    """Every error answer; API Gateway's own 401/403 carry the message alone."""

    message: str
    details: ErrorDetails | None = None


_ERRORS = {
    400: "Invalid request: each field that broke a rule (validationError)",
    401: "No API key, or an unknown one",
    403: "The API key does not cover this store",
    404: "No such inventory item in this store",
    409: "Already exists, or the same Idempotency-Key is still in progress",
    413: "The body is over 1 MB",
    422: "The Idempotency-Key was used for another request",
    503: "DynamoDB stayed unavailable; nothing was applied (see Retry-After)",
}


def documented(status: int = 200, description: str = "OK") -> dict[int, OpenAPIResponse]:
    """The answers a Wix route documents: its own, and the error table's (in the Wix error body)."""
    responses: dict[int, OpenAPIResponse] = {status: {"description": description}}
    for code, meaning in _ERRORS.items():
        responses[code] = {"description": meaning, "content": {"application/json": {"model": WixErrorBody}}}
    return responses


# pydantic's error types, in Wix's words for the rule a field broke.
_VIOLATED_RULE = {
    "missing": "REQUIRED_FIELD",
    "too_short": "MIN_SIZE",
    "too_long": "MAX_SIZE",
    "string_too_short": "MIN_SIZE",
    "string_too_long": "MAX_SIZE",
    "greater_than_equal": "MIN",
    "greater_than": "MIN",
    "less_than_equal": "MAX",
    "less_than": "MAX",
    "string_pattern_mismatch": "FORMAT",
    "json_invalid": "FORMAT",
    "extra_forbidden": "OTHER",
}
RETRY_AFTER_SECONDS = "1"


def field_path(loc: Sequence[Any]) -> str:
    """("body", "decrementData", 0, "decrementBy") -> "decrementData[0].decrementBy"."""
    parts = list(loc[1:] if loc and loc[0] == "body" else loc)
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "body"


def violated_rule(error_type: str) -> str:
    if error_type in _VIOLATED_RULE:
        return _VIOLATED_RULE[error_type]
    return "FORMAT" if error_type.endswith(("_type", "_parsing")) else "VALIDATION"


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(body),
        headers=headers,
    )


def validation_response(violations: list[dict[str, str]]) -> Response:
    summary = "; ".join(f"{v['field']}: {v['description']}" for v in violations[:5])
    return _json(
        400,
        {
            "message": f"Invalid request: {summary}",
            "details": {"validationError": {"fieldViolations": violations}},
        },
    )


def application_error(status: int, error: StockroomError, headers: dict[str, str] | None = None) -> Response:
    return _json(
        status,
        {
            "message": error.description,
            "details": {
                "applicationError": {"code": error.code, "description": error.description, "data": error.data}
            },
        },
        headers,
    )


def register_error_handlers(router: Router) -> None:
    @router.exception_handler(RequestValidationError)
    def invalid_request(error: RequestValidationError) -> Response:
        violations = [
            {
                "field": "body",
                "description": f"Malformed JSON body: {(e.get('ctx') or {}).get('error', 'not JSON')}",
                "violatedRule": "FORMAT",
            }
            if e.get("type") == "json_invalid"
            else {
                "field": field_path(e.get("loc", ())),
                "description": str(e.get("msg")),
                "violatedRule": violated_rule(str(e.get("type", ""))),
            }
            for e in error.errors()
        ]
        return validation_response(violations)

    @router.exception_handler(InvalidRequest)
    def invalid_argument(error: InvalidRequest) -> Response:
        return validation_response(
            [{"field": error.field, "description": error.description, "violatedRule": "OTHER"}]
        )

    @router.exception_handler(RequestUnsupportedContentType)
    def unsupported_media(_: RequestUnsupportedContentType) -> Response:
        return application_error(415, UnsupportedMediaType(MEDIA_TYPE_ONLY))

    @router.exception_handler(ValueError)
    def unreadable_body(error: ValueError) -> Response:
        # Powertools reads multipart and form bodies itself, and a malformed one raises ValueError there.
        if is_json_content_type(router.current_event.headers.get("content-type")):
            raise error  # not the body's fault: a bug, and a 500 is its honest answer
        return application_error(415, UnsupportedMediaType(MEDIA_TYPE_ONLY))

    @router.exception_handler(UnicodeDecodeError)
    def not_utf8(_: UnicodeDecodeError) -> Response:
        # A binary (base64) body that is not UTF-8 fails while Powertools decodes it: the client's fault.
        return validation_response(
            [{"field": "body", "description": "The body is not UTF-8", "violatedRule": "FORMAT"}]
        )

    @router.exception_handler(NotAuthenticated)
    def not_authenticated(error: NotAuthenticated) -> Response:
        return application_error(401, error)

    @router.exception_handler(StoreForbidden)
    def forbidden(error: StoreForbidden) -> Response:
        return application_error(403, error)

    @router.exception_handler(ItemNotFound)
    def not_found(error: ItemNotFound) -> Response:
        return application_error(404, error)

    @router.exception_handler(ItemAlreadyExists)
    def already_exists(error: ItemAlreadyExists) -> Response:
        return application_error(409, error)

    @router.exception_handler(PayloadTooLarge)
    def too_large(error: PayloadTooLarge) -> Response:
        return application_error(413, error)

    @router.exception_handler(RequestInProgress)
    def in_progress(error: RequestInProgress) -> Response:
        return application_error(409, error, {"Retry-After": RETRY_AFTER_SECONDS})

    @router.exception_handler(IdempotencyKeyReused)
    def key_reused(error: IdempotencyKeyReused) -> Response:
        return application_error(422, error)

    @router.exception_handler(StorageUnavailable)
    def unavailable(error: StorageUnavailable) -> Response:
        logger.warning("storage unavailable", extra={"detail": error.description})
        return application_error(503, error, {"Retry-After": RETRY_AFTER_SECONDS})
