"""Every SDK call to DynamoDB goes through here: the one client, the one error path, backoff, batched
reads, and the transaction runner with its landed-check.

ClientError and BotoCoreError never leave this module as such, except for a request DynamoDB calls
malformed (a bug of ours, and a 500 is its honest answer): throttling, conflicts and silence become
`StorageUnavailable`; a transaction cancelled on a condition becomes `Cancelled`, with DynamoDB's reasons.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, EndpointConnectionError

from stockroom.adapters.dynamodb import wire
from stockroom.adapters.dynamodb.layout import AttributeMap, table_name
from stockroom.core.deadline import MIN_REQUEST_SECONDS, can_start, capped, carried
from stockroom.core.errors import IdempotencyConflict, OutcomeUnknown, StorageUnavailable
from stockroom.core.lanes import shared_executor
from stockroom.core.writes import backoff

# Enough connections for every line of a 300-line request to be in flight in about two waves.
MAX_POOL_CONNECTIONS = int(os.environ.get("STOCKROOM_MAX_PARALLEL_WRITES", "150"))
# The retry budget: one write (or read) costs at most this many DynamoDB requests, retries and the check of
# whether a write whose answer was lost landed included. A hung DynamoDB then sees 3x the fault-free load,
# never a storm. The SDK retries nothing itself: these loops know the deadline, the SDK's does not.
REQUESTS_PER_WRITE = 3
# Kept for callers that name it: conflicts are retried within the same budget.
TRANSACTION_CONFLICT_ATTEMPTS = REQUESTS_PER_WRITE
# A single-item write that DynamoDB refuses as busy (a transaction holds the item, or the item's key is past
# its 1,000 write units a second) is known not applied and costs nothing: it is sent again, with jittered
# backoff, until the deadline, at most this many times. A hot item's buyers queue; they are not refused.
BUSY_ATTEMPTS = 12
BATCH_GET_LIMIT = 100
READ_TIMEOUT_SECONDS = 5.0  # STOCKROOM_DYNAMODB_READ_TIMEOUT overrides it (the local runtime does)
CONNECT_TIMEOUT_SECONDS = 2.0
# A request's read timeout is the largest of these that the deadline leaves room for (one client each).
_SHORTER_STEPS = (3.0, 2.0, 1.0, 0.5, MIN_REQUEST_SECONDS)


def read_timeout() -> float:
    """The longest a request may wait for DynamoDB's answer, the deadline permitting."""
    return float(os.environ.get("STOCKROOM_DYNAMODB_READ_TIMEOUT", READ_TIMEOUT_SECONDS))


# Known not to have been applied: DynamoDB refused the request before doing anything.
_REFUSED_CODES = frozenset(
    {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "TransactionConflictException",
    }
)
# DynamoDB failed while, or may still be, doing it: a write may or may not have landed.
_IN_DOUBT_CODES = frozenset({"InternalServerError", "ServiceUnavailable", "TransactionInProgressException"})
_TRANSIENT_CODES = _REFUSED_CODES | _IN_DOUBT_CODES
# Reasons of a cancelled transaction that say "busy", not "no".
_TRANSIENT_REASONS = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})
# Records keyed by the request itself: finding one says its transaction landed.
WITNESS_ENTITIES = ("ChangeWitness", "OrderMarker", "Reservation", "ItemTombstone")
OUT_OF_TIME = "The request's deadline came before this was written; nothing was applied."
IN_DOUBT = (
    "DynamoDB did not answer in time; the change may or may not have been applied (retry with the same"
    " Idempotency-Key: it is then applied exactly once)."
)

_client_lock = threading.Lock()
_clients: dict[float, Any] = {}


def dynamodb_client(timeout: float | None = None) -> Any:
    """One client per process and read timeout, reused across invocations. The endpoint comes from the
    standard AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL variables, so the same code reaches real DynamoDB
    or the local engine."""
    timeout = timeout or read_timeout()
    client = _clients.get(timeout)
    if client is None:
        with _client_lock:
            client = _clients.get(timeout)
            if client is None:
                client = boto3.client(
                    "dynamodb",
                    config=Config(
                        connect_timeout=min(CONNECT_TIMEOUT_SECONDS, timeout),
                        read_timeout=timeout,
                        # Retries are ours (REQUESTS_PER_WRITE, within the deadline).
                        retries={"mode": "standard", "total_max_attempts": 1},
                        max_pool_connections=MAX_POOL_CONNECTIONS,
                        tcp_keepalive=True,
                        # Our requests are built by this adapter alone, and DynamoDB validates them anyway;
                        # the SDK's walk of a 100-operation transaction was most of its CPU per line.
                        parameter_validation=False,
                    ),
                )
                wire.install(client)  # attribute values copied through, not walked shape by shape
                _clients[timeout] = client
    return client


def reset_client() -> None:
    """Forget the cached clients (tests and the local runtime change endpoints)."""
    with _client_lock:
        _clients.clear()


class Refused(Exception):
    """A single-item write whose condition failed: `item` is what DynamoDB judged (ALL_OLD), None if none."""

    def __init__(self, item: AttributeMap | None) -> None:
        super().__init__("condition not met")
        self.item = item


class InDoubt(Exception):
    """A single-item write was sent and its answer lost: it may or may not have been applied."""


class Cancelled(Exception):
    """DynamoDB cancelled a transaction because a condition failed: `reasons` has one entry per operation
    (`Code`, and `Item` where the operation asked for ALL_OLD), in the transaction's order."""

    def __init__(self, reasons: list[dict[str, Any]]) -> None:
        super().__init__("transaction cancelled")
        self.reasons = reasons

    def failed(self, position: int) -> bool:
        return self.reasons[position].get("Code") == "ConditionalCheckFailed"

    def conflicted(self, position: int) -> bool:
        return position < len(self.reasons) and self.reasons[position].get("Code") in _TRANSIENT_REASONS


def translate(error: ClientError) -> Exception:
    """The domain's view of a refusal: busy is StorageUnavailable; anything else is left as it is."""
    code = _code(error)
    if code in _TRANSIENT_CODES:
        return StorageUnavailable(f"DynamoDB is busy ({code}); nothing was applied.")
    return error


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _reasons(error: ClientError) -> list[dict[str, Any]]:
    return [dict(reason) for reason in error.response.get("CancellationReasons") or []]


def _token(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:36]


def _witness(operations: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The put of the transaction's witness (a line's change witness, or an order's marker): its key is the
    request (or order) and line, so it exists exactly when the transaction landed."""
    return next(
        (
            op["Put"]
            for op in operations
            if "Put" in op and op["Put"]["Item"].get("entity", {}).get("S") in WITNESS_ENTITIES
        ),
        None,
    )


class TableClient:
    """The SDK calls the adapters make, each with the error path above, the retry budget and the deadline."""

    def __init__(self, client: Any = None) -> None:
        self._client = client

    @property
    def sdk(self) -> Any:
        return self._client or dynamodb_client()

    def _send(self, operation: str, kwargs: dict[str, Any]) -> Any:
        """One request, with its timeout cut to the time the deadline leaves (StorageUnavailable, nothing
        sent, when too little is left)."""
        if not can_start():
            raise StorageUnavailable(OUT_OF_TIME)
        if self._client is not None:
            return getattr(self._client, operation)(**kwargs)
        longest = read_timeout()
        left = capped(longest)
        step = (
            longest
            if left >= longest
            else next(s for s in _SHORTER_STEPS if s <= left or s == MIN_REQUEST_SECONDS)
        )
        return getattr(dynamodb_client(step), operation)(**kwargs)

    def call(self, operation: str, **kwargs: Any) -> Any:
        """One read (or idempotent write), transient refusals retried within the budget and the deadline."""
        for attempt in range(REQUESTS_PER_WRITE):
            last = attempt == REQUESTS_PER_WRITE - 1 or not can_start()
            try:
                return self._send(operation, kwargs)
            except ClientError as error:
                translated = translate(error)
                if last or not isinstance(translated, StorageUnavailable):
                    raise translated from error
            except BotoCoreError as error:
                if last:
                    raise StorageUnavailable(f"DynamoDB did not answer ({type(error).__name__}).") from error
            backoff(attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def transact(
        self, operations: Sequence[dict[str, Any]], token: str | None = None, *, retry_conflicts: bool = True
    ) -> None:
        """Run one transaction in at most REQUESTS_PER_WRITE requests, within the deadline. Conflicts are
        retried with jittered backoff (or, with `retry_conflicts` off, handed back as Cancelled: a pack's
        caller moves the conflicted writes out instead). Raises Cancelled when a condition failed;
        StorageUnavailable when it is known not to have landed; OutcomeUnknown when an attempt was sent, its
        answer lost, and nothing told in time whether it landed."""
        kwargs: dict[str, Any] = {"TransactItems": list(operations)}
        if token:
            # DynamoDB answers a repeated token with the first outcome for 10 minutes: a retry after a lost
            # answer cannot apply the same change twice.
            kwargs["ClientRequestToken"] = _token(token)
        in_doubt = False  # an attempt may have landed, its answer lost
        resent = False
        sent = 0
        # While in doubt, the last request of the budget is kept to read the witness.
        while sent < REQUESTS_PER_WRITE - int(in_doubt) and can_start():
            sent += 1
            try:
                self._send("transact_write_items", kwargs)
                return
            except ClientError as error:
                reasons, code = _reasons(error), _code(error)
                if any(r.get("Code") == "ConditionalCheckFailed" for r in reasons):
                    raise Cancelled(reasons) from error
                busy_items = any(r.get("Code") in _TRANSIENT_REASONS for r in reasons)
                if busy_items and not retry_conflicts:
                    raise Cancelled(reasons) from error
                if code == "IdempotentParameterMismatchException":
                    # The token was used within DynamoDB's 10-minute window with other parameters: this very
                    # change sent before (a retry under the same Idempotency-Key carries other dates). Sent
                    # again under a token of its own parameters, the witnesses decide: a line applied before
                    # is refused by its witness's condition, and so reported applied, never applied twice.
                    if resent or token is None or _witness(operations) is None:
                        raise IdempotencyConflict(
                            "DynamoDB refused this write as a repeat of a different one (the same request"
                            " or Idempotency-Key with other content, within 10 minutes); nothing was applied."
                        ) from error
                    resent = True
                    fingerprint = hashlib.sha256(json.dumps(operations, sort_keys=True).encode()).hexdigest()
                    kwargs["ClientRequestToken"] = _token(f"{token}:{fingerprint}")
                    continue
                if code in _IN_DOUBT_CODES:
                    in_doubt = True
                elif not busy_items and code not in _REFUSED_CODES:
                    raise translate(error) from error
            except (ConnectTimeoutError, EndpointConnectionError):
                pass  # never reached DynamoDB: nothing was applied
            except BotoCoreError:
                in_doubt = True  # sent, and the answer lost (a read timeout, a dropped connection)
            except StorageUnavailable:
                break  # the deadline: not sent
            backoff(sent)
        if in_doubt:
            if can_start() and self.landed(operations):
                return
            raise OutcomeUnknown(IN_DOUBT)
        if not can_start():
            raise StorageUnavailable(OUT_OF_TIME)
        raise StorageUnavailable(
            "DynamoDB stayed busy, or the items were being changed by others; nothing was applied."
        )

    def write_item(self, operation: str, kwargs: dict[str, Any]) -> Any:
        """One single-item write (PutItem, UpdateItem, DeleteItem) and its answer. Busy refusals
        (throttling, a transaction holding the item) and requests that never reached DynamoDB are sent again
        within BUSY_ATTEMPTS and the deadline; then StorageUnavailable (known not applied). A failed
        condition raises Refused with the item judged; a lost answer raises InDoubt (never retried here: a
        repeat of a relative change could apply it twice)."""
        for attempt in range(BUSY_ATTEMPTS):
            try:
                return self._send(operation, kwargs)
            except ClientError as error:
                code = _code(error)
                if code == "ConditionalCheckFailedException":
                    found: AttributeMap | None = error.response.get("Item")  # type: ignore[assignment]
                    raise Refused(found) from error
                if code in _IN_DOUBT_CODES:
                    raise InDoubt(code) from error
                if code not in _REFUSED_CODES:
                    raise translate(error) from error
            except (ConnectTimeoutError, EndpointConnectionError):
                pass  # never reached DynamoDB: nothing was applied
            except BotoCoreError as error:
                raise InDoubt(type(error).__name__) from error  # sent, the answer lost
            if not can_start():
                break
            backoff(attempt)
        if not can_start():
            raise StorageUnavailable(OUT_OF_TIME)
        raise StorageUnavailable("DynamoDB stayed busy for this item; nothing was applied.")

    def landed(self, operations: Sequence[dict[str, Any]]) -> bool:
        """Whether a transaction whose answer was lost was applied after all: its witness (a change witness
        or an order marker, keyed by request and line) exists exactly when it landed; one consistent read
        decides. False is not "never": a transaction still held somewhere may land later, so the caller
        reports it unknown. Only on this failure path, so it costs the hot path nothing."""
        witness = _witness(operations)
        if witness is None:
            return False
        key = {"pk": witness["Item"]["pk"], "sk": witness["Item"]["sk"]}
        try:
            found = self._send(
                "get_item", {"TableName": witness["TableName"], "Key": key, "ConsistentRead": True}
            )
        except (ClientError, BotoCoreError, StorageUnavailable):
            return False
        # The same entity, not just the key: a tombstone is put where the item's id pointer was.
        return bool(found.get("Item", {}).get("entity") == witness["Item"]["entity"])

    def get(self, key: AttributeMap, *, consistent: bool = True) -> AttributeMap | None:
        found: AttributeMap | None = self.call(
            "get_item", TableName=table_name(), Key=key, ConsistentRead=consistent
        ).get("Item")
        return found

    def batch_get(self, keys: list[AttributeMap]) -> list[AttributeMap]:
        """Strongly consistent reads of any number of keys. BatchGetItem takes 100 keys: the chunks of a
        300-line request are read together, in one round."""
        chunks = [keys[i : i + BATCH_GET_LIMIT] for i in range(0, len(keys), BATCH_GET_LIMIT)]
        if len(chunks) == 1:
            return self._batch_get_chunk(chunks[0])
        read: Callable[[list[AttributeMap]], list[AttributeMap]] = self._batch_get_chunk
        return [attrs for found in shared_executor().map(carried(read), chunks) for attrs in found]

    def _batch_get_chunk(self, keys: list[AttributeMap]) -> list[AttributeMap]:
        """One chunk in at most REQUESTS_PER_WRITE requests: a busy answer or unprocessed keys are retried
        within that budget and the deadline."""
        found: list[AttributeMap] = []
        for attempt in range(REQUESTS_PER_WRITE):
            request = {"RequestItems": {table_name(): {"Keys": keys, "ConsistentRead": True}}}
            try:
                answer = self._send("batch_get_item", request)
            except ClientError as error:
                translated = translate(error)
                if not isinstance(translated, StorageUnavailable):
                    raise translated from error
            except BotoCoreError:
                pass
            else:
                found += answer.get("Responses", {}).get(table_name(), [])
                keys = answer.get("UnprocessedKeys", {}).get(table_name(), {}).get("Keys", [])
                if not keys:
                    return found
            if attempt < REQUESTS_PER_WRITE - 1:
                backoff(attempt)
        raise StorageUnavailable("DynamoDB did not answer a read in time.")
