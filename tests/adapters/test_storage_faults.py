"""Storage faults injected under the real repository and service: a conflict is retried, never reported
as missing stock, and a line or an order is either applied once or reported failed, never half done."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from stockroom.adapters.dynamodb import client as dynamodb
from stockroom.adapters.dynamodb import settle
from stockroom.adapters.dynamodb.codec import item_to_attributes
from stockroom.adapters.dynamodb.inventory import DynamoDBInventoryRepository
from stockroom.core.deadline import ANSWER_RESERVE_SECONDS, MIN_REQUEST_SECONDS, within
from stockroom.core.domain import DecrementLine, InventoryItem, ItemKey, LineErrorCode
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


ITEM_AFTER = item_to_attributes(InventoryItem("id-1", "store", "variant", "loc", "product", True, quantity=4))


class FaultyClient:
    """Answers writes (transact_write_items, update_item) with the given faults first, then succeeds;
    counts the calls. Its reads show the item (`stamp`: the request that changed it last) and a ledger
    whose records are `ledger` ({revision: (request, line)})."""

    def __init__(self, *faults: Exception) -> None:
        self.faults = list(faults)
        self.calls: list[dict[str, Any]] = []
        self.reads = 0
        self.witness_found = False
        self.stamp = ("another-request", 0)
        self.ledger: dict[int, tuple[str, int]] = {1: ("create", 0), 2: ("another-request", 0)}

    def _write(self, kwargs: dict[str, Any]) -> None:
        self.calls.append(kwargs)
        if self.faults:
            raise self.faults.pop(0)

    def transact_write_items(self, **kwargs: Any) -> dict[str, Any]:
        self._write(kwargs)
        return {}

    def update_item(self, **kwargs: Any) -> dict[str, Any]:
        self._write(kwargs)
        return {"Attributes": ITEM_AFTER}

    def batch_get_item(self, **kwargs: Any) -> dict[str, Any]:
        return {"Responses": {}, "UnprocessedKeys": {}}

    def _record(self, revision: int) -> dict[str, Any]:
        request, line = self.ledger[revision]
        return {
            "requestId": {"S": request},
            "lineIndex": {"N": str(line)},
            "createdDate": {"S": "2026-01-01T00:00:00.000Z"},
        }

    def get_item(self, **kwargs: Any) -> dict[str, Any]:
        self.reads += 1
        sk = kwargs["Key"]["sk"]["S"]
        if sk == "ITEM":
            request, line = self.stamp
            change = {"kind": {"S": "DECREMENT"}, "reason": {"S": "r"}, "requestId": {"S": request}}
            revision = {"N": str(max(self.ledger))}
            return {
                "Item": {
                    **ITEM_AFTER,
                    "revision": revision,
                    "change": {"M": {**change, "lineIndex": {"N": str(line)}}},
                }
            }
        if sk.startswith("ADJ#"):
            revision = int(sk.rsplit("#", 1)[1])
            return {"Item": self._record(revision)} if revision in self.ledger else {}
        # The witness itself (landed() checks its entity too: a tombstone is put where a pointer was).
        witness = {**kwargs["Key"], "entity": {"S": "ChangeWitness"}}
        return {"Item": witness} if self.witness_found else {}

    def query(self, **kwargs: Any) -> dict[str, Any]:
        self.reads += 1
        return {"Items": [self._record(r) for r in sorted(self.ledger)]}


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dynamodb, "backoff", lambda attempt: None)


def service_over(client: FaultyClient) -> InventoryService:
    return InventoryService(DynamoDBInventoryRepository(client))


def decrement(client: FaultyClient) -> Any:
    """A one-line decrement: one single-item write."""
    service = service_over(client)
    [result] = service.decrement(
        [DecrementLine(0, KEY, 1)],
        restrict_inventory=True,
        audit=service.audit_context("rq", None),
        return_entity=False,
    )
    return result


def packed(client: FaultyClient) -> Any:
    """A two-line decrement: one transaction (a pack), each line with its witness."""
    service = service_over(client)
    return service.decrement(
        [DecrementLine(0, KEY, 1), DecrementLine(1, ItemKey("store", "other", "loc"), 1)],
        restrict_inventory=True,
        audit=service.audit_context("rq", None),
        return_entity=False,
    )


BUSY = ClientError(
    {"Error": {"Code": "TransactionConflictException", "Message": "held by a transaction"}}, "UpdateItem"
)
THROTTLED = ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow"}}, "TransactWriteItems")
INTERNAL = ClientError({"Error": {"Code": "InternalServerError", "Message": "oops"}}, "TransactWriteItems")
MISMATCH = ClientError(
    {"Error": {"Code": "IdempotentParameterMismatchException", "Message": "other parameters"}},
    "TransactWriteItems",
)


# --- a line written alone: one single-item write --------------------------------------------------------


def test_a_write_to_an_item_a_transaction_holds_is_retried_and_applied_once() -> None:
    client = FaultyClient(BUSY, BUSY)
    result = decrement(client)
    assert result.success
    assert len(client.calls) == 3
    assert all("TransactItems" not in call for call in client.calls)


def test_a_hot_item_that_stays_busy_is_temporarily_unavailable_never_insufficient_stock() -> None:
    client = FaultyClient(*[BUSY] * 50)
    result = decrement(client)
    assert result.error is not None
    assert result.error.code is LineErrorCode.TEMPORARILY_UNAVAILABLE
    # Busy refusals cost nothing and apply nothing: they are sent again, within a bound.
    assert len(client.calls) == dynamodb.BUSY_ATTEMPTS


def test_a_throttled_write_is_retried_within_its_bound_and_known_not_applied() -> None:
    client = FaultyClient(*[THROTTLED] * 50)
    result = decrement(client)
    assert result.error is not None and result.error.code is LineErrorCode.TEMPORARILY_UNAVAILABLE
    assert len(client.calls) == dynamodb.BUSY_ATTEMPTS


def test_one_transient_fault_is_retried_and_applied() -> None:
    client = FaultyClient(THROTTLED)
    assert decrement(client).success
    assert len(client.calls) == 2


@pytest.mark.parametrize(
    "fault", [INTERNAL, ReadTimeoutError(endpoint_url="http://dynamodb")], ids=["internal error", "timeout"]
)
def test_a_lost_answer_not_found_in_the_ledger_is_unknown_and_never_sent_again(fault: Exception) -> None:
    client = FaultyClient(*[fault] * 10)
    result = decrement(client)
    assert result.error is not None
    # Sent, and maybe applied (a request may still be held somewhere): never "nothing was applied".
    assert result.error.code is LineErrorCode.OUTCOME_UNKNOWN
    # A relative change is never sent twice on a guess.
    assert len(client.calls) == 1
    assert client.reads >= 2  # the item, then the ledger


def test_a_lost_answer_is_applied_when_the_item_carries_its_change() -> None:
    client = FaultyClient(INTERNAL)
    client.stamp = ("rq", 0)
    assert decrement(client).success
    assert len(client.calls) == 1


def test_a_lost_answer_is_applied_when_the_ledger_holds_its_change() -> None:
    client = FaultyClient(INTERNAL)
    # Applied at revision 2, and another request's change came after it.
    client.ledger = {1: ("create", 0), 2: ("rq", 0), 3: ("another-request", 0)}
    assert decrement(client).success
    assert len(client.calls) == 1


def test_a_lost_answer_is_unknown_while_the_ledger_lags(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settle, "LEDGER_WAIT_SECONDS", 0.1)
    client = FaultyClient(INTERNAL)
    client.ledger = {1: ("create", 0), 2: ("rq", 0), 3: ("another-request", 0)}
    original = client.get_item

    def lagging(**kwargs: Any) -> dict[str, Any]:
        if kwargs["Key"]["sk"]["S"].endswith("000000000003"):
            return {}  # the item is at revision 3; the ledger holds up to 2
        return original(**kwargs)

    client.get_item = lagging  # type: ignore[method-assign]
    result = decrement(client)
    assert result.error is not None and result.error.code is LineErrorCode.OUTCOME_UNKNOWN


def test_past_the_deadline_nothing_is_sent_and_the_line_is_known_not_applied() -> None:
    client = FaultyClient()
    with within(ANSWER_RESERVE_SECONDS + MIN_REQUEST_SECONDS / 2):
        result = decrement(client)
    assert result.error is not None and result.error.code is LineErrorCode.TEMPORARILY_UNAVAILABLE
    assert client.calls == []


# --- packed lines: transactions with witnesses ------------------------------------------------------------


def test_a_pack_whose_lines_all_met_other_writers_is_retried_whole_with_its_token() -> None:
    client = FaultyClient(cancelled("TransactionConflict", "None", "TransactionConflict", "None"))
    results = packed(client)
    assert all(r.success for r in results)
    assert len(client.calls) == 2


def test_a_packed_write_whose_answer_was_lost_but_whose_witness_is_there_is_applied() -> None:
    client = FaultyClient(*[INTERNAL] * 10)
    client.witness_found = True
    assert all(r.success for r in packed(client))


def test_a_packed_write_whose_answer_was_lost_is_unknown_not_unavailable() -> None:
    client = FaultyClient(*[INTERNAL] * 10)
    results = packed(client)
    assert {r.error.code for r in results if r.error} == {LineErrorCode.OUTCOME_UNKNOWN}
    # Two sends and the read of the witness: three requests in all.
    assert len(client.calls) == dynamodb.REQUESTS_PER_WRITE - 1


def test_a_token_used_before_with_other_parameters_is_sent_again_under_its_own() -> None:
    # A retry under the same Idempotency-Key carries other dates: DynamoDB refuses its token as used with
    # other parameters; sent again under a token of its own parameters, the witnesses decide.
    client = FaultyClient(MISMATCH)
    assert all(r.success for r in packed(client))
    first, second = (call["ClientRequestToken"] for call in client.calls)
    assert first != second


def test_a_mismatch_that_persists_is_a_conflict_never_a_500() -> None:
    client = FaultyClient(MISMATCH, MISMATCH)
    results = packed(client)
    assert {r.error.code for r in results if r.error} == {LineErrorCode.IDEMPOTENCY_CONFLICT}
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
