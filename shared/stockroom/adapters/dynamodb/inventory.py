"""The DynamoDB adapter of `stockroom.core.ports.InventoryRepository`.

Every change is one transaction: the item's conditional update (its condition is exactly the rule that
chose it, see `conditions`) and the put of its audit record. A refusal hands back the item DynamoDB judged
(ALL_OLD), so explaining it needs no read.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any, TypeGuard

from botocore.exceptions import ClientError

from stockroom.adapters.dynamodb import expired_holds, item_index
from stockroom.adapters.dynamodb.client import Cancelled, TableClient
from stockroom.adapters.dynamodb.codec import (
    adjustment_from_attributes,
    change_attributes,
    item_from_attributes,
    item_to_attributes,
    n,
    tombstone_attributes,
    witness_put,
)
from stockroom.adapters.dynamodb.conditions import (
    decrement_write,
    delete_write,
    increment_write,
    put_new,
    untracked_check,
    update_write,
    witnessed_update,
)
from stockroom.adapters.dynamodb.layout import (
    FEED_INDEX,
    ITEM_ID_SK,
    STORE_SK,
    item_id_pk,
    item_key_attrs,
    item_pk,
    store_pk,
    table_name,
)
from stockroom.adapters.dynamodb.orders import decided, marker_attributes, marker_put
from stockroom.core.domain import (
    Adjustment,
    AdjustmentKind,
    AuditContext,
    Change,
    IncrementLine,
    InventoryItem,
    ItemKey,
    LineResult,
)
from stockroom.core.errors import ItemAlreadyExists
from stockroom.core.ledger import deletion
from stockroom.core.ports import (
    ConditionNotMet,
    HoldsRemain,
    OrderMarker,
    StockWrite,
    WritesConflicted,
    WritesRefused,
)
from stockroom.core.rules import decrement_adjustment, quantity_change


def _is_witness(operation: dict[str, Any]) -> bool:
    return "Put" in operation and operation["Put"]["Item"].get("entity") == {"S": "ChangeWitness"}


def _is_pointer(attrs: dict[str, Any] | None) -> TypeGuard[dict[str, Any]]:
    return attrs is not None and attrs.get("entity") == {"S": "ItemIdPointer"}


def _old_item(cancelled: Cancelled, position: int) -> InventoryItem | None:
    old = cancelled.reasons[position].get("Item")
    return item_from_attributes(old) if old else None


class DynamoDBInventoryRepository:
    def __init__(self, client: Any = None) -> None:
        self._table = TableClient(client)

    @property
    def client(self) -> Any:
        return self._table.sdk

    def create_item(self, item: InventoryItem, audit: AuditContext, *, line_index: int = 0) -> InventoryItem:
        attrs = item_to_attributes(item)
        pointer = {
            "pk": {"S": item_id_pk(item.store_id, item.id)},
            "sk": {"S": ITEM_ID_SK},
            "entity": {"S": "ItemIdPointer"},
            "variantId": {"S": item.variant_id},
            "locationId": {"S": item.location_id},
        }
        change = Change(AdjustmentKind.CREATE, audit.reason, audit.request_id, line_index, item.quantity or 0)
        try:
            self._table.transact(
                [
                    # Never overwrite: a duplicate (store, variant, location) or id is refused by condition.
                    put_new({**attrs, "change": change_attributes(change)}),
                    put_new(pointer),
                    witness_put(item_key_attrs(item.key), audit, line_index, int(time.time())),
                ],
                # A lost answer's retry is recognised by DynamoDB (within 10 minutes) or by the witness.
                token=f"{audit.request_id}:create:{line_index}",
            )
        except Cancelled as cancelled:
            if cancelled.failed(2):
                # The witness of this very request and line exists: the item is ours, created by an
                # earlier attempt whose answer was lost (a retry under the same Idempotency-Key).
                stored = self._table.get(item_key_attrs(item.key))
                if stored is not None:
                    return item_from_attributes(stored)
            raise ItemAlreadyExists(
                "An inventory item for this variant and location (or with this id) already exists.",
                {"variantId": item.variant_id, "locationId": item.location_id},
            ) from cancelled
        return item

    def get_item(self, store_id: str, item_id: str) -> InventoryItem | None:
        pointer = self._table.get({"pk": {"S": item_id_pk(store_id, item_id)}, "sk": {"S": ITEM_ID_SK}})
        if not _is_pointer(pointer):
            return None  # no such id, or a deleted item's tombstone
        found = self._table.get(
            item_key_attrs(ItemKey(store_id, pointer["variantId"]["S"], pointer["locationId"]["S"]))
        )
        # Read apart from its pointer: the variant and location may have been deleted and created again since.
        return None if found is None or found["id"]["S"] != item_id else item_from_attributes(found)

    def get_items(self, keys: Iterable[ItemKey]) -> dict[ItemKey, InventoryItem]:
        found = self._table.batch_get([item_key_attrs(k) for k in dict.fromkeys(keys)])
        items = map(item_from_attributes, found)
        return {item.key: item for item in items}

    def update(
        self, before: InventoryItem, after: InventoryItem, *, line_index: int, audit: AuditContext
    ) -> None:
        """Make `before` into `after`, on condition that the item is still at `before`'s revision: every
        change bumps the revision, so the condition pins exactly the state `after` was computed from."""
        update, values, names = update_write(after)
        change = Change(
            AdjustmentKind.UPDATE, audit.reason, audit.request_id, line_index, quantity_change(before, after)
        )
        operations = witnessed_update(
            before.key,
            {
                "ConditionExpression": "#revision = :expected",
                "UpdateExpression": update,
                "ExpressionAttributeValues": {**values, ":expected": n(before.revision)},
                "ExpressionAttributeNames": names,
            },
            change,
            audit,
            int(time.time()),
        )
        try:
            self._table.transact(operations, token=f"{audit.request_id}:{line_index}:{before.revision}")
        except Cancelled as cancelled:
            if cancelled.failed(0):
                raise ConditionNotMet(_old_item(cancelled, 0)) from cancelled
            # Only the witness was refused: this very update was applied before, its answer lost.

    def delete(self, before: InventoryItem, *, line_index: int, audit: AuditContext) -> None:
        """One transaction: the item's delete, on condition that it is still at `before`'s revision and
        holds nothing for reservations, and the tombstone over its id pointer."""
        change = deletion(before, audit.reason, audit.request_id, line_index)
        tombstone = tombstone_attributes(before, change, audit.created_date)
        operations = [
            delete_write(before.key, before.revision),
            {
                "Put": {
                    "TableName": table_name(),
                    "Item": tombstone,
                    "ConditionExpression": "entity = :pointer",
                    "ExpressionAttributeValues": {":pointer": {"S": "ItemIdPointer"}},
                }
            },
        ]
        try:
            self._table.transact(
                operations, token=f"{audit.request_id}:delete:{line_index}:{before.revision}"
            )
        except Cancelled as cancelled:
            found = _old_item(cancelled, 0) if cancelled.failed(0) else None
            if found is not None and found.revision == before.revision and found.id == before.id:
                # The revision held, so the other half of the condition failed: the item holds units.
                old = cancelled.reasons[0]["Item"]
                raise HoldsRemain(found, int(old.get("reserved", {"N": "0"})["N"])) from cancelled
            raise ConditionNotMet(found) from cancelled

    def _operations(
        self, write: StockWrite, restrict_inventory: bool, audit: AuditContext, epoch_now: int
    ) -> list[dict[str, Any]]:
        line = write.line
        if isinstance(line, IncrementLine):
            update = increment_write(line, audit.created_date)
            change = Change(
                write.kind or AdjustmentKind.INCREMENT,
                audit.reason,
                audit.request_id,
                line.index,
                line.quantity,
            )
        elif write.path is None:
            return [untracked_check(line.key)]
        else:
            condition, expression, values = decrement_write(
                line, write.path, restrict_inventory, audit.created_date
            )
            update = {
                "ConditionExpression": condition,
                "UpdateExpression": expression,
                "ExpressionAttributeValues": values,
            }
            kind, delta = decrement_adjustment(write.path, line.quantity)
            change = Change(write.kind or kind, audit.reason, audit.request_id, line.index, delta)
        return witnessed_update(line.key, update, change, audit, epoch_now)

    def write_together(
        self,
        writes: Sequence[StockWrite],
        *,
        restrict_inventory: bool,
        audit: AuditContext,
        token: str,
        marker: OrderMarker | None = None,
    ) -> None:
        operations: list[dict[str, Any]] = []
        starts: list[int] = []  # each write's first operation (its update or check; a witness follows it)
        epoch_now = int(time.time())
        for write in writes:
            starts.append(len(operations))
            operations += self._operations(write, restrict_inventory, audit, epoch_now)
        if marker is not None:
            operations.append(marker_put(marker_attributes(marker, audit, epoch_now), table_name()))
        try:
            # One write retries its own conflicts; a pack hands them back, and its conflicted writes go alone.
            self._table.transact(operations, token=token, retry_conflicts=len(writes) == 1)
        except Cancelled as cancelled:
            if marker is not None and cancelled.failed(len(operations) - 1):
                raise decided(cancelled.reasons[-1].get("Item")) from cancelled
            refused = {
                w: _old_item(cancelled, start) for w, start in enumerate(starts) if cancelled.failed(start)
            }
            recorded = frozenset(
                w
                for w, start in enumerate(starts)
                if start + 1 < len(operations)
                and _is_witness(operations[start + 1])
                and cancelled.failed(start + 1)
            )
            if refused or recorded:
                raise WritesRefused(refused, recorded) from cancelled
            conflicted = frozenset(
                w
                for w, start in enumerate(starts)
                if cancelled.conflicted(start) or cancelled.conflicted(start + 1)
            )
            raise WritesConflicted(conflicted or frozenset(range(len(writes)))) from cancelled

    def record_order_rejection(
        self, marker: OrderMarker, failures: tuple[LineResult, ...], audit: AuditContext
    ) -> None:
        put = marker_put(marker_attributes(marker, audit, int(time.time()), failures), table_name())["Put"]
        try:
            self._table.call("put_item", **put)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            # Decided before (or this very put, retried after its answer was lost: the same failures).
            found: dict[str, Any] | None = error.response.get("Item")  # type: ignore[assignment]
            raise decided(found) from error

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
            for attrs in self._table.batch_get(keys)
            if _is_pointer(attrs)
        }

    def index_entries(
        self,
        store_id: str,
        *,
        product_ids: Sequence[str] | None,
        after: tuple[str, str, str] | None,
        limit: int,
    ) -> tuple[list[InventoryItem], bool]:
        return item_index.index_entries(
            self._table, store_id, product_ids=product_ids, after=after, limit=limit
        )

    def variant_keys(self, store_id: str, variant_ids: Iterable[str]) -> list[ItemKey]:
        return item_index.variant_keys(self._table, store_id, variant_ids)

    def list_adjustments(
        self, key: ItemKey, item_id: str, *, after: str | None, limit: int
    ) -> list[tuple[str, Adjustment]]:
        """Up to `limit` of an item's ledger records, newest first, older than sort key `after`;
        each with its sort key (the position a cursor resumes from)."""
        kwargs: dict[str, Any] = {
            "TableName": table_name(),
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :adj)",
            "ExpressionAttributeValues": {":pk": {"S": item_pk(key)}, ":adj": {"S": f"ADJ#{item_id}#"}},
            "ScanIndexForward": False,
            "Limit": limit,
            "ConsistentRead": True,
        }
        if after is not None:
            kwargs["ExclusiveStartKey"] = {"pk": {"S": item_pk(key)}, "sk": {"S": after}}
        answer = self._table.call("query", **kwargs)
        return [(a["sk"]["S"], adjustment_from_attributes(a)) for a in answer.get("Items", [])]

    def list_feed(self, store_id: str, *, after: str, limit: int) -> list[tuple[str, Adjustment]]:
        """Up to `limit` of the store's ledger records, oldest first, after feed position `after`: from the
        ByStoreFeed index, never a Scan. (An index is eventually consistent: the newest records may show a
        moment later, as the ledger itself trails its changes.)"""
        condition, values = "feedPk = :store", {":store": {"S": store_pk(store_id)}}
        if after:  # DynamoDB refuses an empty key value: from the beginning, the key condition is the store
            condition, values = f"{condition} AND feedSk > :after", {**values, ":after": {"S": after}}
        answer = self._table.call(
            "query",
            TableName=table_name(),
            IndexName=FEED_INDEX,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
            Limit=limit,
        )
        return [(a["feedSk"]["S"], adjustment_from_attributes(a)) for a in answer.get("Items", [])]

    def reclaim_expired(self, key: ItemKey, audit: AuditContext) -> int:
        return expired_holds.reclaim_expired(self._table, key, audit)

    def expired_reserved(self, keys: Iterable[ItemKey], now: str) -> dict[ItemKey, int]:
        return expired_holds.expired_reserved(self._table, keys, now)

    def default_location(self, store_id: str) -> str | None:
        found = self._table.get({"pk": {"S": store_pk(store_id)}, "sk": {"S": STORE_SK}}, consistent=False)
        return None if found is None else str(found["defaultLocationId"]["S"])

    def put_store(self, store_id: str, default_location_id: str) -> None:
        self._table.call(
            "put_item",
            TableName=table_name(),
            Item={
                "pk": {"S": store_pk(store_id)},
                "sk": {"S": STORE_SK},
                "entity": {"S": "Store"},
                "defaultLocationId": {"S": default_location_id},
            },
        )
