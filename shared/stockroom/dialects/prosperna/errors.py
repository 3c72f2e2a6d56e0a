"""Prosperna's error body, `{"error": true, "message", "statusCode", "data": {"failures": [...]}}`.

The statuses are the shared table's (stockroom.http.errors); this module only says them in Prosperna's words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel, Field

from stockroom.core.errors import ItemNotFound, StockroomError
from stockroom.dialects.prosperna.models import error_body
from stockroom.http import errors as http_errors
from stockroom.http.errors import Resolver, Violation


class ProspernaErrorBody(BaseModel):
    """Every error answer; API Gateway's own 401/403 carry the message alone."""

    error: bool | None = None
    message: str
    statusCode: int | None = None
    data: dict[str, Any] | None = Field(None, description="failures: each line or field that failed")


class OrderRejected(Exception):
    """Some lines cannot be applied, so none was: every failing line is named."""

    def __init__(self, failures: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(failures)} line(s) failed")
        self.failures = failures


def _failure_entry(violation: Violation) -> dict[str, Any]:
    """A broken rule as a failure entry: the line's index where it names one, and the field."""
    loc = [part for part in violation.loc if part != "query"]
    entry: dict[str, Any] = {}
    if loc and isinstance(loc[0], int):
        entry["index"] = loc.pop(0)
    entry["field"] = ".".join(str(part) for part in loc) or "body"
    entry["code"] = "INVALID_ARGUMENT"
    entry["message"] = violation.message
    return entry


def invalid_body(violations: Sequence[Violation]) -> dict[str, Any]:
    failures = [_failure_entry(v) for v in violations]
    summary = "; ".join(
        (f"line {f['index']}: " if "index" in f else "") + f"{f['field']}: {f['message']}"
        for f in failures[:5]
    )
    return error_body(400, f"Invalid request: {summary}", failures)


def failure_body(status: int, error: StockroomError) -> dict[str, Any]:
    if isinstance(error, ItemNotFound):
        return error_body(
            status,
            error.description,
            [{"code": "PRODUCT_NOT_FOUND", "message": error.description, **error.data}],
        )
    return error_body(status, error.description)


def register_error_handlers(router: Resolver) -> None:
    """Prosperna's error bodies on a function's resolver. The engine's neutral ("lines", i) is line i of
    Prosperna's bare array."""
    http_errors.register_error_handlers(
        router, invalid=invalid_body, failure=failure_body, fields={"lines": None}
    )

    @router.exception_handler(OrderRejected)
    def rejected(error: OrderRejected) -> Response:
        message = f"Inventory was not updated: {len(error.failures)} line(s) cannot be applied."
        return http_errors.json_response(400, error_body(400, message, error.failures))


def documented(status: int = 200, description: str = "OK") -> dict[int, OpenAPIResponse]:
    meanings = {
        400: "Invalid request, or lines that cannot be applied (data.failures names each); nothing changed",
        404: "No such product in this store",
    }
    return http_errors.documented(ProspernaErrorBody, meanings, status, description)
