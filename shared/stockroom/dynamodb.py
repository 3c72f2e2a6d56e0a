"""Everything that knows DynamoDB: keys, item (de)serialisation, conditions, and ClientError translation.

Single-table layout (table `TABLE_NAME`, keys `pk`/`sk`):

| record            | pk                                             | sk                                  |
|-------------------|------------------------------------------------|-------------------------------------|
| inventory item    | `STORE#<store>#VARIANT#<variant>#LOC#<loc>`    | `ITEM`                              |
| item-id pointer   | `STORE#<store>#ID#<itemId>`                    | `ITEM_ID`                           |
| adjustment (audit)| same pk as its item                            | `ADJ#<createdDate>#<requestId>#<n>` |
| store settings    | `STORE#<store>`                                | `STORE`                             |

The item is keyed by (store, variant, location) because that is what both dialects name on the hot path:
a decrement is then a blind conditional write, with no read before it. The id pointer serves the calls
that name an item by id.
"""

from __future__ import annotations

import hashlib
import os
import random
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from stockroom.domain import (
    AdjustmentKind,
    AuditContext,
    DecrementLine,
    InventoryItem,
    ItemKey,
    PreorderSettings,
)
from stockroom.errors import ItemAlreadyExists, StorageUnavailable
from stockroom.repository import ConditionNotMet
from stockroom.rules import WritePath

# Enough connections for every line of a 300-line request to be in flight in about two waves.
MAX_POOL_CONNECTIONS = int(os.environ.get("STOCKROOM_MAX_PARALLEL_WRITES", "150"))
# A TransactionConflict is another writer on the same item at the same instant: retry, briefly.
TRANSACTION_CONFLICT_ATTEMPTS = 6
BATCH_GET_LIMIT = 100
BATCH_GET_WORKERS = 4  # a 300-line request reads 3 chunks

AttributeMap = dict[str, Any]

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
                _client = boto3.client(
                    "dynamodb",
                    config=Config(
                        connect_timeout=2,
                        read_timeout=5,
                        retries={"mode": "adaptive", "max_attempts": 5},
                        max_pool_connections=MAX_POOL_CONNECTIONS,
                        tcp_keepalive=True,
                    ),
                )
    return _client


_batch_get_executor: ThreadPoolExecutor | None = None


def _batch_get_pool() -> ThreadPoolExecutor:
    """A small pool, per process and reused, for the BatchGetItem chunks of one read."""
    global _batch_get_executor
    with _client_lock:
        if _batch_get_executor is None:
            _batch_get_executor = ThreadPoolExecutor(BATCH_GET_WORKERS, thread_name_prefix="stockroom-read")
        return _batch_get_executor


def reset_client() -> None:
    """Forget the cached client (tests and the local runtime change endpoints)."""
    global _client
    with _client_lock:
        _client = None


def table_name() -> str:
    return os.environ.get("TABLE_NAME", "InventoryTable")


# --- keys -------------------------------------------------------------------------------------------------


def item_pk(key: ItemKey) -> str:
    return f"STORE#{key.store_id}#VARIANT#{key.variant_id}#LOC#{key.location_id}"


def item_id_pk(store_id: str, item_id: str) -> str:
    return f"STORE#{store_id}#ID#{item_id}"


def store_pk(store_id: str) -> str:
    return f"STORE#{store_id}"


ITEM_SK = "ITEM"
ITEM_ID_SK = "ITEM_ID"
STORE_SK = "STORE"


def _item_key_attrs(key: ItemKey) -> AttributeMap:
    return {"pk": {"S": item_pk(key)}, "sk": {"S": ITEM_SK}}


# --- (de)serialisation ------------------------------------------------------------------------------------


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def item_to_attributes(item: InventoryItem) -> AttributeMap:
    attrs: AttributeMap = {
        **_item_key_attrs(item.key),
        "entity": {"S": "InventoryItem"},
        "id": {"S": item.id},
        "storeId": {"S": item.store_id},
        "variantId": {"S": item.variant_id},
        "locationId": {"S": item.location_id},
        "productId": {"S": item.product_id},
        "trackQuantity": {"BOOL": item.track_quantity},
        "preorderEnabled": {"BOOL": item.preorder.enabled},
        "preorderCounter": _n(item.preorder.counter),
        "revision": _n(item.revision),
        "createdDate": {"S": item.created_date},
        "updatedDate": {"S": item.updated_date},
        "categoryIds": {"L": [{"S": c} for c in item.category_ids]},
    }
    if item.track_quantity:
        attrs["quantity"] = _n(item.quantity or 0)
    else:
        attrs["inStock"] = {"BOOL": bool(item.in_stock)}
    if item.preorder.message is not None:
        attrs["preorderMessage"] = {"S": item.preorder.message}
    if item.preorder.limit is not None:
        attrs["preorderLimit"] = _n(item.preorder.limit)
        # Conditions cannot do arithmetic, so "counter + n <= limit" is kept as "remaining >= n".
        attrs["preorderRemaining"] = _n(item.preorder.limit - item.preorder.counter)
    if item.product_name is not None:
        attrs["productName"] = {"S": item.product_name}
    if item.low_stock_threshold is not None:
        attrs["lowStockThreshold"] = _n(item.low_stock_threshold)
    return attrs


def _opt_int(attrs: Mapping[str, Any], name: str) -> int | None:
    value = attrs.get(name)
    return None if value is None else int(value["N"])


def item_from_attributes(attrs: Mapping[str, Any]) -> InventoryItem:
    return InventoryItem(
        id=attrs["id"]["S"],
        store_id=attrs["storeId"]["S"],
        variant_id=attrs["variantId"]["S"],
        location_id=attrs["locationId"]["S"],
        product_id=attrs["productId"]["S"],
        track_quantity=attrs["trackQuantity"]["BOOL"],
        quantity=_opt_int(attrs, "quantity"),
        in_stock=attrs["inStock"]["BOOL"] if "inStock" in attrs else None,
        preorder=PreorderSettings(
            enabled=attrs["preorderEnabled"]["BOOL"],
            message=attrs["preorderMessage"]["S"] if "preorderMessage" in attrs else None,
            limit=_opt_int(attrs, "preorderLimit"),
            counter=int(attrs["preorderCounter"]["N"]),
        ),
        revision=int(attrs["revision"]["N"]),
        created_date=attrs["createdDate"]["S"],
        updated_date=attrs["updatedDate"]["S"],
        product_name=attrs["productName"]["S"] if "productName" in attrs else None,
        category_ids=tuple(c["S"] for c in attrs.get("categoryIds", {}).get("L", [])),
        low_stock_threshold=_opt_int(attrs, "lowStockThreshold"),
    )


def _adjustment_put(
    item_key_attrs: AttributeMap,
    audit: AuditContext,
    line_index: int,
    kind: AdjustmentKind,
    delta: int,
    extra: AttributeMap | None = None,
) -> dict[str, Any]:
    # The sort key is fixed for a given request and line, so a retried transaction cannot record twice.
    return {
        "Put": {
            "TableName": table_name(),
            "Item": {
                "pk": item_key_attrs["pk"],
                "sk": {"S": f"ADJ#{audit.created_date}#{audit.request_id}#{line_index:04d}"},
                "entity": {"S": "Adjustment"},
                "kind": {"S": kind.value},
                "delta": _n(delta),
                "reason": {"S": audit.reason},
                "requestId": {"S": audit.request_id},
                "lineIndex": _n(line_index),
                "createdDate": {"S": audit.created_date},
                **(extra or {}),
            },
            "ConditionExpression": "attribute_not_exists(sk)",
        }
    }


# --- conditions: each is exactly the rule of SPEC §2 that chose its path (see stockroom.rules) ------------

# Rule 3's "available for preorder": sold out, preorder open, and (no limit, or some of it left).
_PREORDER_AVAILABLE = (
    "(quantity <= :zero AND preorderEnabled = :true"
    " AND (attribute_not_exists(preorderRemaining) OR preorderRemaining > :zero))"
)


def _decrement_write(
    line: DecrementLine, path: WritePath, restrict_inventory: bool, now: str
) -> tuple[str, str, AttributeMap, AdjustmentKind]:
    """(condition, update, values, kind) of one path."""
    values: AttributeMap = {
        ":n": _n(line.quantity),
        ":true": {"BOOL": True},
        ":one": _n(1),
        ":now": {"S": now},
    }
    touch = "revision = revision + :one, updatedDate = :now"
    if path is WritePath.STOCK:
        # Rule 2 (tracked), then rule 4; a preorder request only reaches rule 4 when rule 3 does not apply.
        conditions = ["attribute_exists(pk)", "trackQuantity = :true"]
        if restrict_inventory:
            conditions.append("quantity >= :n")
        if line.preorder_request:
            conditions.append(f"NOT {_PREORDER_AVAILABLE}")
            values[":zero"] = _n(0)
        return (
            " AND ".join(conditions),
            f"SET quantity = quantity - :n, {touch}",
            values,
            AdjustmentKind.DECREMENT,
        )
    if not line.preorder_request:
        raise ValueError("only a line with preorderRequest may take a preorder path (rule 3)")
    values[":zero"] = _n(0)
    sold_out_and_open = "trackQuantity = :true AND quantity <= :zero AND preorderEnabled = :true"
    if path is WritePath.PREORDER_WITHIN_LIMIT:
        # Rule 3 with a limit: counter + n <= limit, i.e. remaining >= n (which also makes it available).
        return (
            f"{sold_out_and_open} AND preorderRemaining >= :n",
            "SET preorderCounter = preorderCounter + :n,"
            f" preorderRemaining = preorderRemaining - :n, {touch}",
            values,
            AdjustmentKind.PREORDER,
        )
    return (
        f"{sold_out_and_open} AND attribute_not_exists(preorderRemaining)",
        f"SET preorderCounter = preorderCounter + :n, {touch}",
        values,
        AdjustmentKind.PREORDER,
    )


# --- error translation: the one place where ClientError codes become domain outcomes -------------------

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


def _cancellation_reasons(error: ClientError) -> list[Any]:
    return list(error.response.get("CancellationReasons") or [])


def _translate(error: ClientError) -> Exception:
    code = error.response.get("Error", {}).get("Code", "")
    if code in _TRANSIENT_CODES:
        return StorageUnavailable(f"DynamoDB is busy ({code}); nothing was applied.")
    return error


def _backoff(attempt: int) -> None:
    # Full jitter: concurrent writers of one item must not retry in lockstep.
    time.sleep(random.uniform(0, min(0.2, 0.01 * 2**attempt)))


class DynamoDBInventoryRepository:
    """The DynamoDB adapter of `stockroom.repository.InventoryRepository`."""

    def __init__(self, client: Any = None) -> None:
        self._client = client

    @property
    def client(self) -> Any:
        return self._client or dynamodb_client()

    def _transact(self, items: Sequence[dict[str, Any]], token: str | None = None) -> None:
        """Run one transaction, retrying conflicts with jittered backoff; the token makes SDK retries safe."""
        kwargs: dict[str, Any] = {"TransactItems": list(items)}
        if token:
            # DynamoDB answers a repeated token with the first outcome for 10 minutes: SDK retries after a
            # timeout then cannot apply the same line twice.
            kwargs["ClientRequestToken"] = hashlib.sha256(token.encode()).hexdigest()[:36]
        for attempt in range(TRANSACTION_CONFLICT_ATTEMPTS):
            try:
                self.client.transact_write_items(**kwargs)
                return
            except ClientError as error:
                reasons = _cancellation_reasons(error)
                if any(r.get("Code") == "TransactionConflict" for r in reasons) or (
                    error.response.get("Error", {}).get("Code") == "TransactionConflictException"
                ):
                    _backoff(attempt)
                    continue
                raise
            except BotoCoreError as error:
                raise StorageUnavailable(f"DynamoDB did not answer ({type(error).__name__}).") from error
        raise StorageUnavailable("The item is being changed by others; nothing was applied.")

    def create_item(self, item: InventoryItem, audit: AuditContext) -> None:
        attrs = item_to_attributes(item)
        pointer = {
            "pk": {"S": item_id_pk(item.store_id, item.id)},
            "sk": {"S": ITEM_ID_SK},
            "entity": {"S": "ItemIdPointer"},
            "variantId": {"S": item.variant_id},
            "locationId": {"S": item.location_id},
        }
        quantity_after = {"quantityAfter": _n(item.quantity)} if item.quantity is not None else {}
        try:
            self._transact(
                [
                    # Never overwrite: a duplicate (store, variant, location) or id is refused by condition.
                    {
                        "Put": {
                            "TableName": table_name(),
                            "Item": attrs,
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": table_name(),
                            "Item": pointer,
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    _adjustment_put(
                        attrs, audit, 0, AdjustmentKind.CREATE, item.quantity or 0, quantity_after
                    ),
                ]
            )
        except ClientError as error:
            reasons = _cancellation_reasons(error)
            if any(r.get("Code") == "ConditionalCheckFailed" for r in reasons):
                raise ItemAlreadyExists(
                    "An inventory item for this variant and location (or with this id) already exists.",
                    {"variantId": item.variant_id, "locationId": item.location_id},
                ) from error
            raise _translate(error) from error

    def get_item(self, store_id: str, item_id: str) -> InventoryItem | None:
        try:
            pointer = self.client.get_item(
                TableName=table_name(),
                Key={"pk": {"S": item_id_pk(store_id, item_id)}, "sk": {"S": ITEM_ID_SK}},
                ConsistentRead=True,
            ).get("Item")
            if pointer is None:
                return None
            key = ItemKey(store_id, pointer["variantId"]["S"], pointer["locationId"]["S"])
            found = self.client.get_item(
                TableName=table_name(), Key=_item_key_attrs(key), ConsistentRead=True
            ).get("Item")
        except ClientError as error:
            raise _translate(error) from error
        except BotoCoreError as error:
            raise StorageUnavailable(f"DynamoDB did not answer ({type(error).__name__}).") from error
        return None if found is None else item_from_attributes(found)

    def get_items(self, keys: Iterable[ItemKey]) -> dict[ItemKey, InventoryItem]:
        # BatchGetItem takes 100 keys: the chunks of a 300-line request are read together, in one round.
        pending = [_item_key_attrs(k) for k in dict.fromkeys(keys)]
        chunks = [pending[i : i + BATCH_GET_LIMIT] for i in range(0, len(pending), BATCH_GET_LIMIT)]
        found: dict[ItemKey, InventoryItem] = {}
        for items in _batch_get_pool().map(self._batch_get, chunks):
            found.update((item.key, item) for item in items)
        return found

    def _batch_get(self, keys: list[AttributeMap]) -> list[InventoryItem]:
        found: list[InventoryItem] = []
        attempt = 0
        while keys:
            try:
                answer = self.client.batch_get_item(
                    RequestItems={table_name(): {"Keys": keys, "ConsistentRead": True}}
                )
            except ClientError as error:
                raise _translate(error) from error
            except BotoCoreError as error:
                raise StorageUnavailable(f"DynamoDB did not answer ({type(error).__name__}).") from error
            found += map(item_from_attributes, answer.get("Responses", {}).get(table_name(), []))
            keys = answer.get("UnprocessedKeys", {}).get(table_name(), {}).get("Keys", [])
            if keys:
                attempt += 1
                if attempt > TRANSACTION_CONFLICT_ATTEMPTS:
                    raise StorageUnavailable("DynamoDB kept keys unprocessed.")
                _backoff(attempt)
        return found

    def decrement(
        self,
        line: DecrementLine,
        path: WritePath,
        *,
        restrict_inventory: bool,
        audit: AuditContext,
        attempt: int = 0,
    ) -> None:
        condition, update, values, kind = _decrement_write(line, path, restrict_inventory, audit.created_date)
        key_attrs = _item_key_attrs(line.key)
        delta = -line.quantity if kind is AdjustmentKind.DECREMENT else line.quantity
        try:
            self._transact(
                [
                    {
                        "Update": {
                            "TableName": table_name(),
                            "Key": key_attrs,
                            "ConditionExpression": condition,
                            "UpdateExpression": update,
                            "ExpressionAttributeValues": values,
                            # On failure DynamoDB hands back the item it judged: no read to explain a refusal.
                            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                        }
                    },
                    # delta: the change of the counted field (quantity, or the preorder counter for PREORDER).
                    _adjustment_put(key_attrs, audit, line.index, kind, delta),
                ],
                token=f"{audit.request_id}:{line.index}:{attempt}",
            )
        except ClientError as error:
            reasons = _cancellation_reasons(error)
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                old = reasons[0].get("Item")
                raise ConditionNotMet(item_from_attributes(old) if old else None) from error
            if len(reasons) > 1 and reasons[1].get("Code") == "ConditionalCheckFailed":
                return  # this very line was recorded already: a retry of an applied transaction
            raise _translate(error) from error

    def default_location(self, store_id: str) -> str | None:
        try:
            found = self.client.get_item(
                TableName=table_name(), Key={"pk": {"S": store_pk(store_id)}, "sk": {"S": STORE_SK}}
            ).get("Item")
        except ClientError as error:
            raise _translate(error) from error
        except BotoCoreError as error:
            raise StorageUnavailable(f"DynamoDB did not answer ({type(error).__name__}).") from error
        return None if found is None else found["defaultLocationId"]["S"]

    def put_store(self, store_id: str, default_location_id: str) -> None:
        self.client.put_item(
            TableName=table_name(),
            Item={
                "pk": {"S": store_pk(store_id)},
                "sk": {"S": STORE_SK},
                "entity": {"S": "Store"},
                "defaultLocationId": {"S": default_location_id},
            },
        )
