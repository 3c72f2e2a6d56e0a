"""The Wix dialect's error bodies: `validationError` for a 400, `applicationError` for any other answer.

The statuses are the shared table's (stockroom.http.errors); this module only says them in Wix's words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel, ConfigDict

from stockroom.core.errors import StockroomError
from stockroom.dialects.wix.codes import wix_code
from stockroom.http import errors as http_errors
from stockroom.http.errors import Resolver, Violation

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
    "other": "OTHER",
}


class _Documented(BaseModel):
    # The error bodies are built as dicts; these models only describe them in the OpenAPI document, so their
    # schemas are built when the document is, not at every cold start.
    model_config = ConfigDict(defer_build=True)


class FieldViolation(_Documented):
    field: str
    description: str
    violatedRule: str
    ruleName: str | None = None


class ValidationErrorDetail(_Documented):
    fieldViolations: list[FieldViolation]


class ApplicationErrorDetail(_Documented):
    code: str
    description: str
    data: dict[str, Any] = {}


class ErrorDetails(_Documented):
    validationError: ValidationErrorDetail | None = None
    applicationError: ApplicationErrorDetail | None = None


class WixErrorBody(_Documented):
    """Every error answer; API Gateway's own 401/403 carry the message alone."""

    message: str
    details: ErrorDetails | None = None


def field_path(loc: Sequence[str | int]) -> str:
    """("decrementData", 0, "decrementBy") -> "decrementData[0].decrementBy"."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "body"


def violated_rule(kind: str) -> str:
    if kind in _VIOLATED_RULE:
        return _VIOLATED_RULE[kind]
    return "FORMAT" if kind.endswith(("_type", "_parsing")) else "VALIDATION"


def _violation(v: Violation) -> dict[str, Any]:
    found = {"field": field_path(v.loc), "description": v.message, "violatedRule": violated_rule(v.kind)}
    if v.kind.isupper():
        # One of the rules Wix's typings name (REQUESTED_QUANTITY_MUST_BE_NON_NEGATIVE...): as Wix says it.
        found["ruleName"] = v.kind
    return found


def invalid_body(violations: Sequence[Violation]) -> dict[str, Any]:
    fields = [_violation(v) for v in violations]
    summary = "; ".join(f"{f['field']}: {f['description']}" for f in fields[:5])
    return {
        "message": f"Invalid request: {summary}",
        "details": {"validationError": {"fieldViolations": fields}},
    }


def failure_body(status: int, error: StockroomError) -> dict[str, Any]:
    detail = {"code": wix_code(error.code), "description": error.description, "data": error.data}
    return {"message": error.description, "details": {"applicationError": detail}}


def register_error_handlers(app: Resolver, fields: dict[str, str | None] | None = None) -> None:
    """Wix's error bodies on a function's resolver (the engine's neutral "item" is Wix's "inventoryItem";
    `fields` renames more, e.g. the reservation function's "lines")."""
    http_errors.register_error_handlers(
        app,
        invalid=invalid_body,
        failure=failure_body,
        fields={"item": "inventoryItem", **(fields or {})},
    )


def documented_reservation(status: int = 200, description: str = "OK") -> dict[int, OpenAPIResponse]:
    return http_errors.documented(
        WixErrorBody,
        {
            404: "No such reservation in this store",
            409: "RESERVATION_EXPIRED, RESERVATION_RELEASED or RESERVATION_CONFIRMED: nothing changed",
            428: "RESERVATION_REFUSED: data.failures names every line that cannot be held; nothing held",
        },
        status,
        description,
    )


def documented(status: int = 200, description: str = "OK") -> dict[int, OpenAPIResponse]:
    return http_errors.documented(
        WixErrorBody, {404: "No such inventory item in this store"}, status, description
    )


def documented_not_served() -> dict[int, OpenAPIResponse]:
    return http_errors.documented(
        WixErrorBody, {404: "NOT_SERVED: Stockroom answers this call of Wix's SDK but does not serve it"}
    )
