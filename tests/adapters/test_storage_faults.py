"""Storage faults injected under the real repository and service: a conflict is retried, never reported
as missing stock, and a line or an order is either applied once or reported failed, never half done."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from stockroom.adapters.dynamodb import client as dynamodb
from stockroom.adapters.dynamodb.inventory import DynamoDBInventoryRepository
from stockroom.core.domain import DecrementLine, ItemKey, LineErrorCode
from stockroom.core.errors import StorageUnavailable
from stockroom.core.service import InventoryService

KEY = ItemKey("store", "variant", "loc")


def cancelled(*codes: str) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
            "CancellationReasons": [{"Code": code} for code in codes],
        },
        "TransactWriteItems",
    )


class FaultyClient:
    """Answers transact_write_items with the given faults first, then succeeds; counts the calls."""

    def __init__(self, *faults: Exception) -> None:
        self.faults = list(faults)
        self.calls: list[dict[str, Any]] = []

    def transact_write_items(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        if self.faults:
            raise self.faults.pop(0)
        return {}

    def batch_get_item(self, **kwargs: Any) -> dict[str, Any]:
        return {"Responses": {}, "UnprocessedKeys": {}}

    def get_item(self, **kwargs: Any) -> dict[str, Any]:
        return {}


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dynamodb, "backoff", lambda attempt: None)


def service_over(client: FaultyClient) -> InventoryService:
    return InventoryService(DynamoDBInventoryRepository(client))


def decrement(client: FaultyClient) -> Any:
    service = service_over(client)
    [result] = service.decrement(
        [DecrementLine(0, KEY, 1)],
        restrict_inventory=True,
        audit=service.audit_context("rq", None),
        return_entity=False,
    )
    return result


def test_a_transaction_conflict_is_retried_and_then_applied_once() -> None:
    client = FaultyClient(cancelled("TransactionConflict", "None"), cancelled("None", "TransactionConflict"))
    result = decrement(client)
    assert result.success
    assert len(client.calls) == 3
    # One token for every retry of one attempt: DynamoDB answers a repeat with the first outcome.
    assert len({call["ClientRequestToken"] for call in client.calls}) == 1


def test_endless_conflicts_are_temporarily_unavailable_never_insufficient_stock() -> None:
    client = FaultyClient(*[cancelled("TransactionConflict", "None")] * 20)
    result = decrement(client)
    assert result.error is not None
    assert result.error.code is LineErrorCode.TEMPORARILY_UNAVAILABLE
    assert len(client.calls) == dynamodb.TRANSACTION_CONFLICT_ATTEMPTS


@pytest.mark.parametrize(
    "fault",
    [
        ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "TransactWriteItems"),
        ClientError({"Error": {"Code": "InternalServerError", "Message": "oops"}}, "TransactWriteItems"),
        ReadTimeoutError(endpoint_url="http://dynamodb"),
    ],
    ids=["throttled", "internal error", "timeout"],
)
def test_throttling_errors_and_timeouts_fail_the_line_as_retryable(fault: Exception) -> None:
    result = decrement(FaultyClient(fault))
    assert result.error is not None
    assert result.error.code is LineErrorCode.TEMPORARILY_UNAVAILABLE


def test_an_order_in_conflict_is_retried_whole_and_a_lasting_fault_applies_nothing() -> None:
    lines = [DecrementLine(0, KEY, 1), DecrementLine(1, ItemKey("store", "other", "loc"), 2)]
    client = FaultyClient(cancelled("None", "None", "TransactionConflict", "None"))
    service = service_over(client)
    outcome = service.decrement_all_or_nothing(
        lines, restrict_inventory=True, audit=service.audit_context("o", None)
    )
    assert outcome.applied and len(client.calls) == 2
    assert (
        len(client.calls[-1]["TransactItems"]) == 4
    )  # both items and both audit records, in one transaction

    throttled = FaultyClient(ClientError({"Error": {"Code": "ThrottlingException", "Message": "x"}}, "Tx"))
    with pytest.raises(StorageUnavailable):
        service_over(throttled).decrement_all_or_nothing(
            lines, restrict_inventory=True, audit=service.audit_context("o2", None)
        )
