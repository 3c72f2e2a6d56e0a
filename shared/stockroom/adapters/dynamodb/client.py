"""Every SDK call to DynamoDB goes through here: the one client, the one error path, backoff, batched
reads, and the transaction runner with its landed-check.

ClientError and BotoCoreError never leave this module as such, except for a request DynamoDB calls
malformed (a bug of ours, and a 500 is its honest answer): throttling, conflicts and silence become
`StorageUnavailable`; a transaction cancelled on a condition becomes `Cancelled`, with DynamoDB's reasons.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from stockroom.adapters.dynamodb import wire
from stockroom.adapters.dynamodb.layout import AttributeMap, table_name
from stockroom.core.errors import StorageUnavailable
from stockroom.core.lanes import shared_executor
from stockroom.core.writes import backoff

# Enough connections for every line of a 300-line request to be in flight in about two waves.
MAX_POOL_CONNECTIONS = int(os.environ.get("STOCKROOM_MAX_PARALLEL_WRITES", "150"))
# A TransactionConflict is another writer on the same item at the same instant: retry, briefly.
TRANSACTION_CONFLICT_ATTEMPTS = 6
BATCH_GET_LIMIT = 100

_TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionInProgressException",
        "TransactionConflictException",
    }
)
# Reasons of a cancelled transaction that say "busy", not "no".
_TRANSIENT_REASONS = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})

_client_lock = threading.Lock()
_client: Any = None


def dynamodb_client() -> Any:
    """One client per process, reused across invocations. The endpoint comes from the standard
    AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL variables, so the same code reaches real DynamoDB or the
    local engine."""
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                client = boto3.client(
                    "dynamodb",
                    config=Config(
                        connect_timeout=2,
                        read_timeout=5,
                        retries={"mode": "adaptive", "max_attempts": 5},
                        max_pool_connections=MAX_POOL_CONNECTIONS,
                        tcp_keepalive=True,
                        # Our requests are built by this adapter alone, and DynamoDB validates them anyway;
                        # the SDK's walk of a 100-operation transaction was most of its CPU per line.
                        parameter_validation=False,
                    ),
                )
                wire.install(client)  # attribute values copied through, not walked shape by shape
                _client = client
    return _client


def reset_client() -> None:
    """Forget the cached client (tests and the local runtime change endpoints)."""
    global _client
    with _client_lock:
        _client = None


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
    code = error.response.get("Error", {}).get("Code", "")
    if code in _TRANSIENT_CODES:
        return StorageUnavailable(f"DynamoDB is busy ({code}); nothing was applied.")
    return error


def _reasons(error: ClientError) -> list[dict[str, Any]]:
    return [dict(reason) for reason in error.response.get("CancellationReasons") or []]


class TableClient:
    """The SDK calls the adapters make, each with the error path above."""

    def __init__(self, client: Any = None) -> None:
        self._client = client

    @property
    def sdk(self) -> Any:
        return self._client or dynamodb_client()

    def call(self, operation: str, **kwargs: Any) -> Any:
        """One request (a read, or a write that is not a transaction), with its refusals translated."""
        try:
            return getattr(self.sdk, operation)(**kwargs)
        except ClientError as error:
            raise translate(error) from error
        except BotoCoreError as error:
            raise StorageUnavailable(f"DynamoDB did not answer ({type(error).__name__}).") from error

    def transact(
        self, operations: Sequence[dict[str, Any]], token: str | None = None, *, retry_conflicts: bool = True
    ) -> None:
        """Run one transaction, retrying conflicts with jittered backoff (or, with `retry_conflicts` off,
        handing them back as Cancelled: a pack's caller moves the conflicted writes out instead). Raises
        Cancelled when a condition failed, StorageUnavailable when DynamoDB stayed busy and the transaction is
        known not to have landed."""
        kwargs: dict[str, Any] = {"TransactItems": list(operations)}
        if token:
            # DynamoDB answers a repeated token with the first outcome for 10 minutes: SDK retries after a
            # timeout then cannot apply the same change twice.
            kwargs["ClientRequestToken"] = hashlib.sha256(token.encode()).hexdigest()[:36]
        for attempt in range(TRANSACTION_CONFLICT_ATTEMPTS):
            try:
                self.sdk.transact_write_items(**kwargs)
                return
            except ClientError as error:
                reasons = _reasons(error)
                if any(r.get("Code") == "ConditionalCheckFailed" for r in reasons):
                    raise Cancelled(reasons) from error
                code = error.response.get("Error", {}).get("Code", "")
                busy_items = any(r.get("Code") in _TRANSIENT_REASONS for r in reasons)
                if busy_items and not retry_conflicts:
                    raise Cancelled(reasons) from error
                if busy_items or code == "TransactionConflictException":
                    backoff(attempt)
                    continue
                translated = translate(error)
                if isinstance(translated, StorageUnavailable) and self.landed(operations):
                    return
                raise translated from error
            except BotoCoreError as error:
                if self.landed(operations):
                    return
                raise StorageUnavailable(f"DynamoDB did not answer ({type(error).__name__}).") from error
        if self.landed(operations):
            return
        raise StorageUnavailable("The item is being changed by others; nothing was applied.")

    def landed(self, operations: Sequence[dict[str, Any]]) -> bool:
        """Whether a transaction that ended in a transient failure was applied after all. An earlier attempt
        may have been applied with its answer lost (the SDK retried a dropped connection or a timeout, and
        its last attempt then failed), so "failed" is not yet "nothing applied". The transaction's audit
        record (or order marker) has a key of its own request and line: a consistent read of it decides.
        Only on this failure path, so it costs the hot path nothing; if the read fails too, the outcome is
        unknown and reported as such."""
        witness = next(
            (
                op["Put"]
                for op in operations
                if "Put" in op
                and op["Put"]["Item"].get("entity", {}).get("S") in ("Adjustment", "OrderMarker")
            ),
            None,
        )
        if witness is None:
            return False
        key = {"pk": witness["Item"]["pk"], "sk": witness["Item"]["sk"]}
        try:
            found = self.sdk.get_item(TableName=witness["TableName"], Key=key, ConsistentRead=True)
        except (ClientError, BotoCoreError) as error:
            raise StorageUnavailable(
                "DynamoDB did not answer; whether the change was applied is not known (retry with the same"
                " Idempotency-Key)."
            ) from error
        return "Item" in found

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
        return [attrs for found in shared_executor().map(read, chunks) for attrs in found]

    def _batch_get_chunk(self, keys: list[AttributeMap]) -> list[AttributeMap]:
        found: list[AttributeMap] = []
        attempt = 0
        while keys:
            answer = self.call(
                "batch_get_item", RequestItems={table_name(): {"Keys": keys, "ConsistentRead": True}}
            )
            found += answer.get("Responses", {}).get(table_name(), [])
            keys = answer.get("UnprocessedKeys", {}).get(table_name(), {}).get("Keys", [])
            if keys:
                attempt += 1
                if attempt > TRANSACTION_CONFLICT_ATTEMPTS:
                    raise StorageUnavailable("DynamoDB kept keys unprocessed.")
                backoff(attempt)
        return found
