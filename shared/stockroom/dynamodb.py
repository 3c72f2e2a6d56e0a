"""Everything that knows DynamoDB: keys, item (de)serialisation, conditions, and ClientError translation.

Single-table layout (table `TABLE_NAME`, keys `pk`/`sk`):

| record            | pk                                             | sk                                  |
|-------------------|------------------------------------------------|-------------------------------------|
| inventory item    | `STORE#<store>#VARIANT#<variant>#LOC#<loc>`    | `ITEM`                              |
| item-id pointer   | `STORE#<store>#ID#<itemId>`                    | `ITEM_ID`                           |
| adjustment (audit)| same pk as its item                            | `ADJ#<createdDate>#<requestId>#<n>` |
| store settings    | `STORE#<store>`                                | `STORE`                             |
| order marker      | `STORE#<store>#ORDER#<orderId>`                | `ORDER`                             |
| API key           | `APIKEY#<sha256 of the key>`                   | `APIKEY`                            |
| API key prefix    | `APIKEYPREFIX#<printable prefix>`              | `APIKEY`                            |

The item is keyed by (store, variant, location) because that is what both dialects name on the hot path:
a decrement is then a blind conditional write, with no read before it. The id pointer serves the calls
that name an item by id.

Index `ByStore` (sparse: only items carry its keys) lists a store's items for the query call:
`byStorePk = STORE#<store>`, `byStoreSk = <product>#<variant>#<location>`. Ids never contain `#`, so
`<product>#` and `<product>#<variant>#` are exact prefixes. Availability is derived, never stored, so it
is filtered in Python with `InventoryItem.availability_status` itself and can never disagree with a GET.
"""

from __future__ import annotations

import hashlib
import os
import random
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeGuard

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from stockroom.domain import (
    Adjustment,
    AdjustmentKind,
    AuditContext,
    DecrementLine,
    IncrementLine,
    InventoryItem,
    ItemKey,
    ItemQuery,
    PreorderSettings,
)
from stockroom.errors import ItemAlreadyExists, StorageUnavailable
from stockroom.repository import (
    ConditionNotMet,
    OrderAlreadyApplied,
    OrderItemWrite,
    OrderMarker,
    OrderRefused,
)
from stockroom.rules import MAX_UNITS_PER_LINE, WritePath

# Enough connections for every line of a 300-line request to be in flight in about two waves.
MAX_POOL_CONNECTIONS = int(os.environ.get("STOCKROOM_MAX_PARALLEL_WRITES", "150"))
# A TransactionConflict is another writer on the same item at the same instant: retry, briefly.
TRANSACTION_CONFLICT_ATTEMPTS = 6
BATCH_GET_LIMIT = 100
BY_STORE_INDEX = "ByStore"
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


def api_key_pk(key_hash: str) -> str:
    return f"APIKEY#{key_hash}"


def api_key_prefix_pk(prefix: str) -> str:
    return f"APIKEYPREFIX#{prefix}"


def order_pk(store_id: str, order_id: str) -> str:
    return f"STORE#{store_id}#ORDER#{order_id}"


ITEM_SK = "ITEM"
ITEM_ID_SK = "ITEM_ID"
STORE_SK = "STORE"
ORDER_SK = "ORDER"
# An order marker outlives every redelivery: SQS keeps a message 4 days by default (14 at most) and the DLQ
# 14 more, after which a redrive may send it again. 35 days covers 14 + 14 with a week to spare.
ORDER_MARKER_TTL_SECONDS = 35 * 24 * 3600
API_KEY_SK = "APIKEY"


def _item_key_attrs(key: ItemKey) -> AttributeMap:
    return {"pk": {"S": item_pk(key)}, "sk": {"S": ITEM_SK}}


def by_store_sk(product_id: str, variant_id: str, location_id: str) -> str:
    return f"{product_id}#{variant_id}#{location_id}"


def _by_store_start_key(store_id: str, position: tuple[str, str, str]) -> AttributeMap:
    """The index key of the item at `position` (product, variant, location): rebuilt from the position
    alone, so a cursor can never point a query at another store's partition."""
    _, variant_id, location_id = position
    return {
        **_item_key_attrs(ItemKey(store_id, variant_id, location_id)),
        "byStorePk": {"S": store_pk(store_id)},
        "byStoreSk": {"S": by_store_sk(*position)},
    }


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
        # The ByStore index's keys (the query call's access pattern).
        "byStorePk": {"S": store_pk(item.store_id)},
        "byStoreSk": {"S": by_store_sk(item.product_id, item.variant_id, item.location_id)},
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


def is_item_attributes(attrs: Mapping[str, Any] | None) -> TypeGuard[Mapping[str, Any]]:
    """Whether a record (e.g. a stream image) is an inventory item, not a pointer, audit record or marker."""
    return (
        attrs is not None
        and attrs.get("sk") == {"S": ITEM_SK}
        and attrs.get("entity") == {"S": "InventoryItem"}
    )


def _adjustment_put(
    item_key_attrs: AttributeMap,
    audit: AuditContext,
    line_index: int,
    kind: AdjustmentKind,
    delta: int | None,
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
                **({} if delta is None else {"delta": _n(delta)}),
                "reason": {"S": audit.reason},
                "requestId": {"S": audit.request_id},
                "lineIndex": _n(line_index),
                "createdDate": {"S": audit.created_date},
                **(extra or {}),
            },
            "ConditionExpression": "attribute_not_exists(sk)",
        }
    }


def adjustment_from_attributes(attrs: Mapping[str, Any]) -> Adjustment:
    return Adjustment(
        kind=AdjustmentKind(attrs["kind"]["S"]),
        delta=_opt_int(attrs, "delta"),
        quantity_after=_opt_int(attrs, "quantityAfter"),
        reason=attrs["reason"]["S"],
        request_id=attrs["requestId"]["S"],
        created_date=attrs["createdDate"]["S"],
    )


# Attributes an update may change; the rest of an item (keys, ids, product, dates of creation) never does.
_UPDATABLE = (
    "trackQuantity",
    "quantity",
    "inStock",
    "preorderEnabled",
    "preorderMessage",
    "preorderLimit",
    "preorderRemaining",
    "revision",
    "updatedDate",
)


def _update_write(after: InventoryItem) -> tuple[str, AttributeMap, dict[str, str]]:
    """(update, values, names) that make the stored item `after`: SET what it has, REMOVE what it has not
    (so a switch of tracking method leaves no stale count, and a removed limit no stale remainder)."""
    attrs = item_to_attributes(after)
    names = {f"#{name}": name for name in _UPDATABLE}
    sets = [f"#{name} = :{name}" for name in _UPDATABLE if name in attrs]
    removes = [f"#{name}" for name in _UPDATABLE if name not in attrs]
    update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
    return update, {f":{name}": attrs[name] for name in _UPDATABLE if name in attrs}, names


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


def _audited_update(key: ItemKey, update: dict[str, Any], adjustment: dict[str, Any]) -> list[dict[str, Any]]:
    """An item's conditional update and the put of its audit record: the operations of one change."""
    return [
        {
            "Update": {
                "TableName": table_name(),
                "Key": _item_key_attrs(key),
                # On failure DynamoDB hands back the item it judged: no read to explain a refusal.
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                **update,
            }
        },
        adjustment,
    ]


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
                if not reasons and isinstance(_translate(error), StorageUnavailable) and self._landed(items):
                    return
                raise
            except BotoCoreError as error:
                if self._landed(items):
                    return
                raise StorageUnavailable(f"DynamoDB did not answer ({type(error).__name__}).") from error
        if self._landed(items):
            return
        raise StorageUnavailable("The item is being changed by others; nothing was applied.")

    def _landed(self, items: Sequence[dict[str, Any]]) -> bool:
        """Whether a transaction that ended in a transient failure was applied after all. An earlier attempt
        may have been applied with its answer lost (the SDK retried a dropped connection or a timeout, and
        its last attempt then failed), so "failed" is not yet "nothing applied". The transaction's audit
        record (or order marker) has a key of its own request and line: a consistent read of it decides.
        Only on this failure path, so it costs the hot path nothing; if the read fails too, the outcome is
        unknown and reported as such."""
        witness = next(
            (
                op["Put"]
                for op in items
                if "Put" in op
                and op["Put"]["Item"].get("entity", {}).get("S") in ("Adjustment", "OrderMarker")
            ),
            None,
        )
        if witness is None:
            return False
        key = {"pk": witness["Item"]["pk"], "sk": witness["Item"]["sk"]}
        try:
            found = self.client.get_item(TableName=witness["TableName"], Key=key, ConsistentRead=True)
        except (ClientError, BotoCoreError) as error:
            raise StorageUnavailable(
                "DynamoDB did not answer; whether the change was applied is not known (retry with the same"
                " Idempotency-Key)."
            ) from error
        return "Item" in found

    @staticmethod
    def _decrement_operations(
        line: DecrementLine, path: WritePath, restrict_inventory: bool, audit: AuditContext
    ) -> list[dict[str, Any]]:
        """The conditional update of the item and the put of its audit record: one line's transaction."""
        condition, update, values, kind = _decrement_write(line, path, restrict_inventory, audit.created_date)
        # delta: the change of the counted field (quantity, or the preorder counter for PREORDER).
        delta = -line.quantity if kind is AdjustmentKind.DECREMENT else line.quantity
        return _audited_update(
            line.key,
            {
                "ConditionExpression": condition,
                "UpdateExpression": update,
                "ExpressionAttributeValues": values,
            },
            _adjustment_put(_item_key_attrs(line.key), audit, line.index, kind, delta),
        )

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
        items = map(item_from_attributes, self._batch_get([_item_key_attrs(k) for k in dict.fromkeys(keys)]))
        return {item.key: item for item in items}

    def _batch_get(self, keys: list[AttributeMap]) -> list[AttributeMap]:
        """Strongly consistent reads of any number of keys. BatchGetItem takes 100 keys: the chunks of a
        300-line request are read together, in one round."""
        chunks = [keys[i : i + BATCH_GET_LIMIT] for i in range(0, len(keys), BATCH_GET_LIMIT)]
        if len(chunks) == 1:
            return self._batch_get_chunk(chunks[0])
        return [attrs for found in _batch_get_pool().map(self._batch_get_chunk, chunks) for attrs in found]

    def _batch_get_chunk(self, keys: list[AttributeMap]) -> list[AttributeMap]:
        found: list[AttributeMap] = []
        attempt = 0
        while keys:
            answer = self._call(
                self.client.batch_get_item,
                RequestItems={table_name(): {"Keys": keys, "ConsistentRead": True}},
            )
            found += answer.get("Responses", {}).get(table_name(), [])
            keys = answer.get("UnprocessedKeys", {}).get(table_name(), {}).get("Keys", [])
            if keys:
                attempt += 1
                if attempt > TRANSACTION_CONFLICT_ATTEMPTS:
                    raise StorageUnavailable("DynamoDB kept keys unprocessed.")
                _backoff(attempt)
        return found

    def _write_with_audit(self, operations: list[dict[str, Any]], token: str) -> None:
        """One item's conditional update and its audit record (`_audited_update`), in one transaction;
        raises ConditionNotMet with the item DynamoDB judged, so a refusal needs no read to explain it."""
        try:
            self._transact(operations, token=token)
        except ClientError as error:
            reasons = _cancellation_reasons(error)
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                old = reasons[0].get("Item")
                raise ConditionNotMet(item_from_attributes(old) if old else None) from error
            if len(reasons) > 1 and reasons[1].get("Code") == "ConditionalCheckFailed":
                return  # this very line was recorded already: a retry of an applied transaction
            raise _translate(error) from error

    def decrement(
        self,
        line: DecrementLine,
        path: WritePath,
        *,
        restrict_inventory: bool,
        audit: AuditContext,
        attempt: int = 0,
    ) -> None:
        self._write_with_audit(
            self._decrement_operations(line, path, restrict_inventory, audit),
            token=f"{audit.request_id}:{line.index}:{attempt}",
        )

    def increment(self, line: IncrementLine, *, audit: AuditContext, attempt: int = 0) -> None:
        # Rules 1 and 2 (the item exists and counts), and the bound: the result stays within
        # MAX_UNITS_PER_LINE, judged from the stored quantity itself, so concurrent increments cannot pass it.
        self._write_with_audit(
            _audited_update(
                line.key,
                {
                    "ConditionExpression": "attribute_exists(pk) AND trackQuantity = :true"
                    " AND quantity <= :room",
                    "UpdateExpression": "SET quantity = quantity + :n, revision = revision + :one,"
                    " updatedDate = :now",
                    "ExpressionAttributeValues": {
                        ":n": _n(line.quantity),
                        ":room": _n(MAX_UNITS_PER_LINE - line.quantity),
                        ":true": {"BOOL": True},
                        ":one": _n(1),
                        ":now": {"S": audit.created_date},
                    },
                },
                _adjustment_put(
                    _item_key_attrs(line.key), audit, line.index, AdjustmentKind.INCREMENT, line.quantity
                ),
            ),
            token=f"{audit.request_id}:{line.index}:{attempt}",
        )

    def update(
        self, before: InventoryItem, after: InventoryItem, *, line_index: int, audit: AuditContext
    ) -> None:
        """Make `before` into `after`, on condition that the item is still at `before`'s revision: every
        change bumps the revision, so the condition pins exactly the state `after` was computed from."""
        update, values, names = _update_write(after)
        # delta: the change of quantity, where the item counts before and after (none across a switch).
        delta = (
            after.quantity - before.quantity
            if after.quantity is not None and before.quantity is not None
            else None
        )
        quantity_after = {"quantityAfter": _n(after.quantity)} if after.quantity is not None else {}
        self._write_with_audit(
            _audited_update(
                before.key,
                {
                    "ConditionExpression": "#revision = :expected",
                    "UpdateExpression": update,
                    "ExpressionAttributeValues": {**values, ":expected": _n(before.revision)},
                    "ExpressionAttributeNames": names,
                },
                _adjustment_put(
                    _item_key_attrs(before.key),
                    audit,
                    line_index,
                    AdjustmentKind.UPDATE,
                    delta,
                    quantity_after,
                ),
            ),
            token=f"{audit.request_id}:{line_index}:{before.revision}",
        )

    def resolve_ids(self, store_id: str, item_ids: Iterable[str]) -> dict[str, ItemKey]:
        """Item ids to keys, through their pointers, in batched consistent reads; unknown ids left out."""
        keys = [
            {"pk": {"S": item_id_pk(store_id, i)}, "sk": {"S": ITEM_ID_SK}} for i in dict.fromkeys(item_ids)
        ]
        prefix = item_id_pk(store_id, "")
        return {
            attrs["pk"]["S"].removeprefix(prefix): ItemKey(
                store_id, attrs["variantId"]["S"], attrs["locationId"]["S"]
            )
            for attrs in self._batch_get(keys)
        }

    def query_items(
        self, store_id: str, query: ItemQuery, *, after: tuple[str, str, str] | None, limit: int
    ) -> list[InventoryItem]:
        """Up to `limit` of the store's items matching `query`, in (product, variant, location) order,
        after `after`. Queries the ByStore index, never scans: the key condition narrows to one product (and
        variant) where the filter names exactly one; ids are filtered by DynamoDB, availability here."""
        prefix = ""
        if query.product_ids is not None and len(query.product_ids) == 1:
            prefix = next(iter(query.product_ids)) + "#"
            if query.variant_ids is not None and len(query.variant_ids) == 1:
                prefix += next(iter(query.variant_ids)) + "#"
        values: AttributeMap = {":store": {"S": store_pk(store_id)}}
        condition = "byStorePk = :store"
        if prefix:
            condition += " AND begins_with(byStoreSk, :prefix)"
            values[":prefix"] = {"S": prefix}
        filters = []
        for name, allowed in (
            ("productId", query.product_ids),
            ("variantId", query.variant_ids),
            ("locationId", query.location_ids),
        ):
            if allowed is not None:
                placeholders = [f":{name}{i}" for i in range(len(allowed))]
                values.update({p: {"S": v} for p, v in zip(placeholders, sorted(allowed), strict=True)})
                filters.append(f"{name} IN ({', '.join(placeholders)})")
        kwargs: dict[str, Any] = {
            "TableName": table_name(),
            "IndexName": BY_STORE_INDEX,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
        }
        if filters:
            kwargs["FilterExpression"] = " AND ".join(filters)
        elif query.statuses is None:
            kwargs["Limit"] = limit  # nothing filters: DynamoDB's page is exactly ours
        if after is not None:
            kwargs["ExclusiveStartKey"] = _by_store_start_key(store_id, after)
        found: list[InventoryItem] = []
        # A filtered page can come back short: read on until ours is full or the index is exhausted.
        while len(found) < limit:
            answer = self._call(self.client.query, **kwargs)
            found += [i for i in map(item_from_attributes, answer.get("Items", [])) if query.matches(i)]
            if "LastEvaluatedKey" not in answer:
                break
            kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        return found[:limit]

    def list_adjustments(
        self, key: ItemKey, *, after: str | None, limit: int
    ) -> list[tuple[str, Adjustment]]:
        """Up to `limit` of an item's audit records, newest first, older than sort key `after`;
        each with its sort key (the position a cursor resumes from)."""
        kwargs: dict[str, Any] = {
            "TableName": table_name(),
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :adj)",
            "ExpressionAttributeValues": {":pk": {"S": item_pk(key)}, ":adj": {"S": "ADJ#"}},
            "ScanIndexForward": False,
            "Limit": limit,
            "ConsistentRead": True,
        }
        if after is not None:
            kwargs["ExclusiveStartKey"] = {"pk": {"S": item_pk(key)}, "sk": {"S": after}}
        answer = self._call(self.client.query, **kwargs)
        return [(a["sk"]["S"], adjustment_from_attributes(a)) for a in answer.get("Items", [])]

    def _call(self, operation: Any, **kwargs: Any) -> Any:
        """One read, with DynamoDB's refusals translated."""
        try:
            return operation(**kwargs)
        except ClientError as error:
            raise _translate(error) from error
        except BotoCoreError as error:
            raise StorageUnavailable(f"DynamoDB did not answer ({type(error).__name__}).") from error

    def decrement_all(
        self,
        writes: Sequence[OrderItemWrite],
        *,
        restrict_inventory: bool,
        audit: AuditContext,
        marker: OrderMarker | None = None,
        attempt: int = 0,
    ) -> None:
        operations: list[dict[str, Any]] = []
        refusable: dict[int, int] = {}  # position of an operation whose refusal explains -> write position
        for position, write in enumerate(writes):
            key_attrs = _item_key_attrs(write.line.key)
            refusable[len(operations)] = position
            if write.path is None:
                # SPEC §4: an untracked item is accepted and left unchanged, as long as it stays untracked.
                operations.append(
                    {
                        "ConditionCheck": {
                            "TableName": table_name(),
                            "Key": key_attrs,
                            "ConditionExpression": "attribute_exists(pk) AND trackQuantity = :false",
                            "ExpressionAttributeValues": {":false": {"BOOL": False}},
                            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                        }
                    }
                )
                continue
            operations.extend(self._decrement_operations(write.line, write.path, restrict_inventory, audit))
        if marker is not None:
            operations.append(
                {
                    "Put": {
                        "TableName": table_name(),
                        "Item": {
                            "pk": {"S": order_pk(marker.store_id, marker.order_id)},
                            "sk": {"S": ORDER_SK},
                            "entity": {"S": "OrderMarker"},
                            "requestId": {"S": audit.request_id},
                            "createdDate": {"S": audit.created_date},
                            # The table's TTL attribute: DynamoDB deletes the marker once no copy of the
                            # order can still arrive (see ORDER_MARKER_TTL_SECONDS).
                            "expiresAt": _n(int(time.time()) + ORDER_MARKER_TTL_SECONDS),
                        },
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
        try:
            self._transact(operations, token=f"{audit.request_id}:all:{attempt}")
        except ClientError as error:
            reasons = _cancellation_reasons(error)
            if not reasons:
                raise _translate(error) from error
            if marker is not None and reasons[-1].get("Code") == "ConditionalCheckFailed":
                raise OrderAlreadyApplied() from error
            refused = {
                refusable[position]: (item_from_attributes(reason["Item"]) if reason.get("Item") else None)
                for position, reason in enumerate(reasons)
                if position in refusable and reason.get("Code") == "ConditionalCheckFailed"
            }
            if refused:
                raise OrderRefused(refused) from error
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


class DynamoDBApiKeyStore:
    """API keys, stored by the SHA-256 of the key: the table never holds a key itself. A second record, by
    the key's printable prefix, lets an operator revoke a key without having it."""

    def __init__(self, client: Any = None) -> None:
        self._client = client

    @property
    def client(self) -> Any:
        return self._client or dynamodb_client()

    def add(self, key_hash: str, prefix: str, store_ids: Sequence[str], created_date: str) -> None:
        key_record = {
            "pk": {"S": api_key_pk(key_hash)},
            "sk": {"S": API_KEY_SK},
            "entity": {"S": "ApiKey"},
            "prefix": {"S": prefix},
            "storeIds": {"L": [{"S": s} for s in store_ids]},
            "revoked": {"BOOL": False},
            "createdDate": {"S": created_date},
        }
        prefix_record = {
            "pk": {"S": api_key_prefix_pk(prefix)},
            "sk": {"S": API_KEY_SK},
            "entity": {"S": "ApiKeyPrefix"},
            "keyHash": {"S": key_hash},
        }
        self.client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": table_name(),
                        "Item": item,
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
                for item in (key_record, prefix_record)
            ]
        )

    def stores_of(self, key_hash: str) -> list[str] | None:
        """The stores a live key covers; None if unknown or revoked."""
        try:
            found = self.client.get_item(
                TableName=table_name(), Key={"pk": {"S": api_key_pk(key_hash)}, "sk": {"S": API_KEY_SK}}
            ).get("Item")
        except ClientError as error:
            raise _translate(error) from error
        if found is None or found["revoked"]["BOOL"]:
            return None
        return [s["S"] for s in found["storeIds"]["L"]]

    def revoke(self, prefix: str) -> bool:
        """Revoke the key with this prefix; False if there is none."""
        pointer = self.client.get_item(
            TableName=table_name(), Key={"pk": {"S": api_key_prefix_pk(prefix)}, "sk": {"S": API_KEY_SK}}
        ).get("Item")
        if pointer is None:
            return False
        self.client.update_item(
            TableName=table_name(),
            Key={"pk": {"S": api_key_pk(pointer["keyHash"]["S"])}, "sk": {"S": API_KEY_SK}},
            UpdateExpression="SET revoked = :true",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":true": {"BOOL": True}},
        )
        return True
