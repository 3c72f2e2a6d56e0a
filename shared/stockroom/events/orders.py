"""OrderPlaced events from SQS: each order applied all or nothing, exactly once, and its outcome published.

Exactly once is the order marker, written in the same transaction as the stock change: a redelivery (or a
racing copy) finds it and changes nothing. Every message ends one of three ways:

- handled: applied (InventoryDecremented), rejected by the rules (InventoryDecrementRejected, an answer
  and not a retry), a replay of a decided order (the same event again, `replay: true`: a rejected order
  stays rejected, even after a restock), or an event of another type (ignored);
- malformed: a batch item failure that never touches stock; after maxReceiveCount it is in the DLQ;
- transient (DynamoDB or EventBridge busy): a batch item failure; the redelivery finds the marker if the
  stock change had committed, and publishes the outcome that could not be published the first time.
"""

from __future__ import annotations

import json
import os
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError, model_validator

from stockroom.adapters.eventbridge import publish
from stockroom.core.deadline import within
from stockroom.core.domain import DecrementLine, InventoryItem, ItemKey, LineResult
from stockroom.core.errors import InvalidRequest, ReservationConflict, ReservationNotFound
from stockroom.core.ports import OrderMarker
from stockroom.core.stock import max_order_items
from stockroom.http.fields import Id, Units
from stockroom.http.json_body import strict_json_deserializer
from stockroom.http.request import remaining_seconds
from stockroom.wiring import inventory_service, reservation_service

if TYPE_CHECKING:  # an annotation only: an order without a reservation loads no reservation module
    from stockroom.core.holds import Reservation

logger = Logger(child=True)

ORDER_PLACED = "OrderPlaced"
INVENTORY_DECREMENTED = "InventoryDecremented"
INVENTORY_DECREMENT_REJECTED = "InventoryDecrementRejected"
# The order is one transaction with its marker: every line may name a different item.
MAX_ORDER_LINES = max_order_items(with_marker=True)

_parse_body = strict_json_deserializer(dict, "object")


class MalformedMessage(Exception):
    """A message no redelivery can fix; it returns until the queue moves it to the DLQ."""


# Unknown fields are ignored: OrderPlaced is shared by every consumer of the order service, and carries what
# they need (prices, customer). The fields read here are strict: "1" is not a quantity.
class OrderLine(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")

    variantId: Id
    locationId: Id | None = None  # the store's default location
    quantity: Units
    preorder: bool = False


class OrderPlaced(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")

    storeId: Id
    orderId: Id
    lines: list[OrderLine] = Field([], max_length=MAX_ORDER_LINES)
    # SPEC §7: an order of a checkout that held its stock names the reservation instead of lines.
    reservationId: Id | None = None
    restrictInventory: bool = True

    @model_validator(mode="after")
    def _lines_or_reservation(self) -> OrderPlaced:
        if (self.reservationId is None) == (not self.lines):
            raise ValueError("an order carries either lines or a reservationId, not both")
        return self


class EventEnvelope(BaseModel):
    """The EventBridge event that the rule put in the queue, as far as routing it needs."""

    model_config = ConfigDict(strict=True, extra="ignore")

    detail_type: StrictStr = Field(alias="detail-type")
    source: StrictStr = ""
    account: StrictStr = ""
    detail: Any = None


def _untrusted(envelope: EventEnvelope, order: OrderPlaced) -> str | None:
    """Why an OrderPlaced may not be applied, or None. The rule already matches only the configured source
    and account; this holds if the queue is fed some other way. Unconfigured means nothing is trusted."""
    source = os.environ.get("ORDER_EVENT_SOURCE", "")
    account = os.environ.get("ORDER_EVENT_ACCOUNT", "")
    if not source or envelope.source != source:
        return f"source {envelope.source[:64]!r} is not the configured order source {source!r}"
    if account and envelope.account != account:
        return f"account {envelope.account[:64]!r} is not the configured order account"
    if not order.restrictInventory and os.environ.get("ORDERS_MAY_OVERSELL", "false") != "true":
        # Overselling is the deployment's decision (parameter OrdersMayOversell), not the sender's.
        return "restrictInventory false is not allowed by this deployment (OrdersMayOversell)"
    return None


def process_order_batch(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    """The SQS batch: only malformed and transiently failed messages are reported, and so return."""
    # A processor per invocation: it holds the batch's results.
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

    def record_handler(record: SQSRecord) -> str:
        # The Lambda request id tells deliveries apart (the audit and the transaction's idempotency token).
        return handle_order_message(record, f"{context.aws_request_id}:{record.message_id}")

    # The batch's deadline is the function's own: an order it leaves no time for is not started, and fails
    # its batch item (it returns, and its marker makes the redelivery exactly once).
    seconds = remaining_seconds(context)
    with nullcontext() if seconds is None else within(seconds):
        return process_partial_response(event, record_handler, processor, context)


def handle_order_message(record: SQSRecord, request_id: str) -> str:
    """Handle one message; returns what was done, raises for a batch item failure."""
    order = _parse(record)
    if order is None:
        return "ignored"
    try:
        outcome = _apply(order, request_id)
    except InvalidRequest as error:  # e.g. lines for one item disagree on preorder: no retry fixes it
        logger.warning("malformed order", extra={"messageId": record.message_id, "error": error.description})
        raise MalformedMessage(error.description) from error
    except Exception:
        logger.exception("order not handled, it will return", extra={"messageId": record.message_id})
        raise
    logger.info(f"order {outcome}", extra={"messageId": record.message_id, "orderId": order.orderId})
    return outcome


def _parse(record: SQSRecord) -> OrderPlaced | None:
    try:
        envelope = EventEnvelope.model_validate(_parse_body(record.body))
        if envelope.detail_type != ORDER_PLACED:
            logger.info(
                "ignored an event of another type",
                extra={"messageId": record.message_id, "detailType": envelope.detail_type},
            )
            return None
        order = OrderPlaced.model_validate(envelope.detail)
    except (json.JSONDecodeError, ValidationError) as error:
        logger.warning("malformed order message", extra={"messageId": record.message_id, "error": str(error)})
        raise MalformedMessage(str(error)) from error
    untrusted = _untrusted(envelope, order)
    if untrusted is not None:
        # Never applied; it returns until the DLQ holds it, where the DLQ alarm shows it to a person.
        logger.warning("refused an order event", extra={"messageId": record.message_id, "reason": untrusted})
        raise MalformedMessage(untrusted)
    return order


def _apply(order: OrderPlaced, request_id: str) -> str:
    if order.reservationId is not None:
        return confirm_reservation(order.storeId, order.orderId, order.reservationId, request_id)
    service = inventory_service()
    lines = [
        DecrementLine(
            index,
            service.item_key(order.storeId, line.variantId, line.locationId),
            line.quantity,
            line.preorder,
        )
        for index, line in enumerate(order.lines)
    ]
    outcome = service.decrement_all_or_nothing(
        lines,
        restrict_inventory=order.restrictInventory,
        audit=service.audit_context(request_id, "ORDER"),
        # An always-in-stock product is accepted and left as it is, as on the Prosperna dialect.
        accept_untracked=True,
        marker=OrderMarker(order.storeId, order.orderId),
    )
    if not outcome.applied:
        # A redelivery of a rejected order gets the same rejection (its marker), even after a restock.
        replay = outcome.already_applied
        publish(
            [(INVENTORY_DECREMENT_REJECTED, rejected_detail(order, lines, outcome.failures, replay=replay))]
        )
        return "rejection replayed" if replay else "rejected"
    # Read after the write (strongly consistent); on a replay this is the stock now, not right after it.
    items = service.get_items(line.key for line in lines)
    publish(
        [(INVENTORY_DECREMENTED, decremented_detail(order, lines, items, replay=outcome.already_applied))]
    )
    return "replayed" if outcome.already_applied else "applied"


def _line_ref(order: OrderPlaced, line: DecrementLine) -> dict[str, Any]:
    return {
        "index": line.index,
        "variantId": line.key.variant_id,
        "locationId": line.key.location_id,
        "quantity": line.quantity,
        "preorder": order.lines[line.index].preorder,
    }


def decremented_detail(
    order: OrderPlaced, lines: list[DecrementLine], items: dict[ItemKey, InventoryItem], *, replay: bool
) -> dict[str, Any]:
    def after(item: InventoryItem | None) -> dict[str, Any]:
        if item is None:  # removed since: nothing to show
            return {"inventoryItemId": None}
        return {
            "inventoryItemId": item.id,
            "quantityAfter": item.quantity,  # None: the item does not track quantity
            "preorderCounter": item.preorder.counter,
            "availabilityStatus": item.availability_status.value,
            "revision": str(item.revision),
        }

    return {
        "storeId": order.storeId,
        "orderId": order.orderId,
        "replay": replay,
        "lines": [{**_line_ref(order, line), **after(items.get(line.key))} for line in lines],
    }


def rejected_detail(
    order: OrderPlaced, lines: list[DecrementLine], failures: tuple[LineResult, ...], *, replay: bool = False
) -> dict[str, Any]:
    def failure(result: LineResult) -> dict[str, Any]:
        assert result.error is not None
        data = result.error.data
        return {
            **_line_ref(order, lines[result.index]),
            "inventoryItemId": result.item_id,
            "code": result.error.code.value,
            "message": result.error.description,
            **{k: data[k] for k in ("requested", "available") if k in data},
        }

    return {
        "storeId": order.storeId,
        "orderId": order.orderId,
        "replay": replay,
        "failures": [failure(r) for r in failures],
    }


# --- an order that names a reservation (SPEC §7) ------------------------------------------------------------
# Confirm is exactly once by itself: conditional on the reservation being ACTIVE, and a confirmed one answers
# CONFIRMED again without changing anything. So a redelivered order takes no stock twice, and is published
# again (consumers de-duplicate on the order id, as for any EventBridge event).


def confirm_reservation(store_id: str, order_id: str, reservation_id: str, request_id: str) -> str:
    audit = inventory_service().audit_context(request_id, f"ORDER {order_id}")
    head = {"storeId": store_id, "orderId": order_id, "reservationId": reservation_id}
    try:
        reservation = reservation_service().confirm(store_id, reservation_id, audit)
    except (ReservationConflict, ReservationNotFound) as refused:
        # An answer, not a retry: an expired or released reservation stays so.
        detail = {**head, "code": refused.code, "message": refused.description}
        publish([(INVENTORY_DECREMENT_REJECTED, detail)])
        return "rejected"
    publish([(INVENTORY_DECREMENTED, {**head, "lines": _reservation_lines(reservation)})])
    return "applied"


def _reservation_lines(reservation: Reservation) -> list[dict[str, Any]]:
    return [
        {
            "index": index,
            "variantId": line.variant_id,
            "locationId": line.location_id,
            "inventoryItemId": line.item_id,
            "quantity": line.quantity,
        }
        for index, line in enumerate(reservation.lines)
    ]
