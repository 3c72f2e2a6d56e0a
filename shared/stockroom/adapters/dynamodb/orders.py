"""Order markers: an OrderPlaced's outcome, kept under its order id so a redelivery gets the same answer.

An applied order's marker is written in the order's own transaction; a rejected order's is written after
the rules rejected it, with the failures it was answered with. Either way a marker exists once the order
was decided, and no copy of the order is decided again (a restock in between changes nothing). Both expire
after ORDER_MARKER_TTL_SECONDS (the table's TTL attribute `expiresAt`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from stockroom.adapters.dynamodb.codec import n
from stockroom.adapters.dynamodb.layout import ORDER_MARKER_TTL_SECONDS, ORDER_SK, AttributeMap, order_pk
from stockroom.core.domain import AuditContext, LineError, LineErrorCode, LineResult
from stockroom.core.ports import OrderAlreadyApplied, OrderMarker

APPLIED = "APPLIED"
REJECTED = "REJECTED"


def marker_attributes(
    marker: OrderMarker, audit: AuditContext, epoch_now: int, failures: tuple[LineResult, ...] | None = None
) -> AttributeMap:
    attrs: AttributeMap = {
        "pk": {"S": order_pk(marker.store_id, marker.order_id)},
        "sk": {"S": ORDER_SK},
        "entity": {"S": "OrderMarker"},
        "outcome": {"S": APPLIED if failures is None else REJECTED},
        "requestId": {"S": audit.request_id},
        "createdDate": {"S": audit.created_date},
        # The table's TTL attribute: DynamoDB deletes the marker once no copy of the order can still arrive
        # (see ORDER_MARKER_TTL_SECONDS).
        "expiresAt": n(epoch_now + ORDER_MARKER_TTL_SECONDS),
    }
    if failures is not None:
        attrs["failures"] = {"S": json.dumps([_failure(r) for r in failures])}
    return attrs


def marker_put(attrs: AttributeMap, table: str) -> dict[str, Any]:
    """The put of a marker that never overwrites one: a refusal hands back the marker it found."""
    return {
        "Put": {
            "TableName": table,
            "Item": attrs,
            "ConditionExpression": "attribute_not_exists(pk)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def decided(found: Mapping[str, Any] | None) -> OrderAlreadyApplied:
    """The order was decided before: applied (failures None; also a marker older than the outcome field),
    or rejected with the failures recorded then."""
    if not found or found.get("outcome", {}).get("S") != REJECTED:
        return OrderAlreadyApplied()
    return OrderAlreadyApplied(tuple(_result(r) for r in json.loads(found["failures"]["S"])))


def _failure(result: LineResult) -> dict[str, Any]:
    assert result.error is not None
    return {
        "index": result.index,
        "itemId": result.item_id,
        "code": result.error.code.value,
        "description": result.error.description,
        "data": result.error.data,
    }


def _result(stored: dict[str, Any]) -> LineResult:
    error = LineError(LineErrorCode(stored["code"]), stored["description"], stored.get("data") or {})
    return LineResult(stored["index"], stored.get("itemId"), error=error)
