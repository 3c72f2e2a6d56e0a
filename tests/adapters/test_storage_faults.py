"""Storage faults injected under the real repository and service: a conflict is retried, never reported
as missing stock, and a line or an order is either applied once or reported failed, never half done."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from stockroom.adapters.dynamodb import client as dynamodb
from stockroom.adapters.dynamodb.inventory import DynamoDBInventoryRepository
from stockroom.core.deadline import ANSWER_RESERVE_SECONDS, MIN_REQUEST_SECONDS, within
from stockroom.core.domain import DecrementLine, ItemKey, LineErrorCode
from stockroom.core.errors import IdempotencyConflict, StorageUnavailable
from stockroom.core.service import InventoryService
from stockroom.http.errors import HTTP_STATUS

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

    reads = 0
    witness_found = False

    def get_item(self, **kwargs: Any) -> dict[str, Any]:
        self.reads += 1
        # The witness itself (landed() checks its entity too: a tombstone is put where a pointer was).
        witness = {**kwargs["Key"], "entity": {"S": "ChangeWitness"}}
        return {"Item": witness} if self.witness_found else {}


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


THROTTLED = ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow"}}, "TransactWriteItems")
INTERNAL = ClientError({"Error": {"Code": "InternalServerError", "Message": "oops"}}, "TransactWriteItems")
MISMATCH = ClientError(
    {"Error": {"Code": "IdempotentParameterMismatchException", "Message": "other parameters"}},
    "TransactWriteItems",
)


def test_a_throttled_write_is_retried_within_the_budget_and_known_not_applied() -> None:
    client = FaultyClient(*[THROTTLED] * 10)
    result = decrement(client)
    assert result.error is not None
    assert result.error.code is LineErrorCode.TEMPORARILY_UNAVAILABLE
    # The retry budget: three requests for the line, never the SDK's and ours multiplied.
    assert len(client.calls) == dynamodb.REQUESTS_PER_WRITE


def test_one_transient_fault_is_retried_and_applied() -> None:
    client = FaultyClient(THROTTLED)
    assert decrement(client).success
    assert len(client.calls) == 2


@pytest.mark.parametrize(
    "fault", [INTERNAL, ReadTimeoutError(endpoint_url="http://dynamodb")], ids=["internal error", "timeout"]
)
def test_a_write_whose_answer_was_lost_is_unknown_not_unavailable(fault: Exception) -> None:
    client = FaultyClient(*[fault] * 10)
    result = decrement(client)
    assert result.error is not None
    # Sent, and maybe applied: the answer says so, and never that nothing was applied.
    assert result.error.code is LineErrorCode.OUTCOME_UNKNOWN
    # Two sends and the read of the witness: three requests in all.
    assert len(client.calls) == dynamodb.REQUESTS_PER_WRITE - 1
    assert client.reads == 1


def test_a_write_whose_answer_was_lost_but_whose_witness_is_there_is_applied() -> None:
    client = FaultyClient(*[INTERNAL] * 10)
    client.witness_found = True
    assert decrement(client).success


def test_past_the_deadline_nothing_is_sent_and_the_line_is_known_not_applied() -> None:
    client = FaultyClient()
    with within(ANSWER_RESERVE_SECONDS + MIN_REQUEST_SECONDS / 2):
        result = decrement(client)
    assert result.error is not None and result.error.code is LineErrorCode.TEMPORARILY_UNAVAILABLE
    assert client.calls == []


def test_a_token_used_before_with_other_parameters_is_sent_again_under_its_own() -> None:
    # A retry under the same Idempotency-Key carries other dates: DynamoDB refuses its token as used with
    # other parameters; sent again under a token of its own parameters, the witness decides.
    client = FaultyClient(MISMATCH)
    assert decrement(client).success
    first, second = (call["ClientRequestToken"] for call in client.calls)
    assert first != second


def test_a_mismatch_that_persists_is_a_conflict_never_a_500() -> None:
    client = FaultyClient(MISMATCH, MISMATCH)
    result = decrement(client)
    assert result.error is not None and result.error.code is LineErrorCode.IDEMPOTENCY_CONFLICT
    assert HTTP_STATUS[IdempotencyConflict] == 409


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

    throttled = FaultyClient(*[THROTTLED] * 10)
    with pytest.raises(StorageUnavailable):
        service_over(throttled).decrement_all_or_nothing(
            lines, restrict_inventory=True, audit=service.audit_context("o2", None)
        )
