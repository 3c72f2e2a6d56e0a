"""What every Wix route shares: the store a call acts on, its audit context, Idempotency-Key, metrics."""

from __future__ import annotations

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.event_handler.api_gateway import BaseRouter
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

from stockroom.core.domain import AuditContext, LineErrorCode, LineResult
from stockroom.http.auth import choose_store, stores_from_event
from stockroom.http.idempotency import answer_is_provisional, keyed_request_id, remember_by_idempotency_key
from stockroom.http.request import request_id
from stockroom.wiring import inventory_service

SITE_HEADER = "wix-site-id"
TAGS = ["Wix inventory items"]

metrics = Metrics()  # shares its metric set with the handler's, which flushes it


def current_store(event: BaseProxyEvent) -> str:
    """The store this call acts on: `wix-site-id` if the key covers it, else the key's default store."""
    return choose_store(stores_from_event(event.raw_event), event.headers.get(SITE_HEADER))


# Mutating routes answer a repeated Idempotency-Key once.
idempotent = remember_by_idempotency_key(current_store)


def audit_context(router: BaseRouter, reason: str | None) -> AuditContext:
    return inventory_service().audit_context(
        request_id(router), reason, keyed=keyed_request_id(router) is not None
    )


# Lines that storage could not settle: a retry with the same Idempotency-Key must run again for them.
UNSETTLED = frozenset(
    {LineErrorCode.TEMPORARILY_UNAVAILABLE, LineErrorCode.OUTCOME_UNKNOWN, LineErrorCode.IDEMPOTENCY_CONFLICT}
)


def count_lines(metric: str, results: list[LineResult], router: BaseRouter) -> None:
    """The answer's metrics; and an answer with unsettled lines is not remembered for its key."""
    if any(r.error is not None and r.error.code in UNSETTLED for r in results):
        answer_is_provisional(router)
    applied = sum(1 for r in results if r.success)
    metrics.add_metric(name=f"{metric}Applied", unit=MetricUnit.Count, value=applied)
    metrics.add_metric(name=f"{metric}Refused", unit=MetricUnit.Count, value=len(results) - applied)
