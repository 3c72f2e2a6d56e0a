"""The DynamoDB adapter of `stockroom.core.ports.InventoryRepository`: the catalog (create, read, update,
delete, query, the ledger's reads) here, the stock changes in `stock_writes`.

Every change is a conditional write whose condition is exactly the rule that chose it (see `conditions`).
A refusal hands back the item DynamoDB judged (ALL_OLD), so explaining it needs no read.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any, TypeGuard

from stockroom.adapters.dynamodb import expired_holds, item_index
from stockroom.adapters.dynamodb.catalog_writes import PackedCatalogWrites
from stockroom.adapters.dynamodb.client import Cancelled, TableClient
from stockroom.adapters.dynamodb.codec import (
    adjustment_from_attributes,
    change_attributes,
    item_from_attributes,
    item_to_attributes,
    n,
    profile_key_attrs,
    profile_to_attributes,
    tombstone_attributes,
    witness_put,
)
from stockroom.adapters.dynamodb.conditions import (
    delete_write,
    put_new,
    update_write,
    witnessed_update,
)
from stockroom.adapters.dynamodb.layout import (
    FEED_INDEX,
    ITEM_ID_SK,
    PROFILE_SK,
    STORE_SK,
    AttributeMap,
    feed_pks,
    item_id_pk,
    item_key_attrs,
    item_pk,
    store_pk,
    table_name,
)
from stockroom.adapters.dynamodb.stock_writes import StockWrites, _old_item
from stockroom.core.deadline import carried
from stockroom.core.domain import (
    Adjustment,
    AdjustmentKind,
    AuditContext,
    Change,
    InventoryItem,
    ItemKey,
)
from stockroom.core.errors import ItemAlreadyExists
from stockroom.core.lanes import shared_executor
from stockroom.core.ledger import deletion
from stockroom.core.ports import (
    ConditionNotMet,
    HoldsRemain,
)
from stockroom.core.rules import quantity_change


def _is_pointer(attrs: dict[str, Any] | None) -> TypeGuard[dict[str, Any]]:
    return attrs is not None and attrs.get("entity") == {"S": "ItemIdPointer"}


def _whole(records: Iterable[AttributeMap]) -> dict[ItemKey, InventoryItem]:
    """Items from their records, read together: each item's stock with its profile (an item whose profile
    is missing is being created or deleted at this instant, and is left out, as if not there yet)."""
    stock: dict[str, AttributeMap] = {}
    profiles: dict[str, AttributeMap] = {}
    for attrs in records:
        (profiles if attrs["sk"]["S"] == PROFILE_SK else stock)[attrs["pk"]["S"]] = attrs
    items = (item_from_attributes(attrs, profiles[pk]) for pk, attrs in stock.items() if pk in profiles)
    return {item.key: item for item in items}


class DynamoDBInventoryRepository(StockWrites, PackedCatalogWrites):  # bulk create, update: catalog_writes
    def __init__(self, client: Any = None) -> None:
        self._table = TableClient(client)

    @property
    def client(self) -> Any:
        return self._table.sdk

    def create_item(self, item: InventoryItem, audit: AuditContext, *, line_index: int = 0) -> InventoryItem:
        attrs = item_to_attributes(item)
        profile = profile_to_attributes(item)
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
                    put_new(profile),
                ],
                # A lost answer's retry is recognised by DynamoDB (within 10 minutes) or by the witness.
                token=f"{audit.request_id}:create:{line_index}",
            )
        except Cancelled as cancelled:
            if cancelled.failed(2):
                # The witness of this very request and line exists: the item is ours, created by an
                # earlier attempt whose answer was lost (a retry under the same Idempotency-Key).
                stored = self.get_items([item.key]).get(item.key)
                if stored is not None:
                    return stored
            raise ItemAlreadyExists(
                "An inventory item for this variant and location (or with this id) already exists.",
                {"variantId": item.variant_id, "locationId": item.location_id},
            ) from cancelled
        return item

    def get_item(self, store_id: str, item_id: str) -> InventoryItem | None:
        pointer = self._table.get({"pk": {"S": item_id_pk(store_id, item_id)}, "sk": {"S": ITEM_ID_SK}})
        if not _is_pointer(pointer):
            return None  # no such id, or a deleted item's tombstone
        key = ItemKey(store_id, pointer["variantId"]["S"], pointer["locationId"]["S"])
        found = self.get_items([key]).get(key)
        # Read apart from its pointer: the variant and location may have been deleted and created again since.
        return None if found is None or found.id != item_id else found

    def get_items(self, keys: Iterable[ItemKey], *, whole: bool = True) -> dict[ItemKey, InventoryItem]:
        """Each item's two records (or, not `whole`, its stock record alone), in batched consistent reads."""
        unique = list(dict.fromkeys(keys))
        if not whole:
            stock = map(item_from_attributes, self._table.batch_get([item_key_attrs(key) for key in unique]))
            return {item.key: item for item in stock}
        found = self._table.batch_get(
            [k for key in unique for k in (item_key_attrs(key), profile_key_attrs(key))]
        )
        return _whole(found)

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
                # The whole item as it is now (its profile too), not only the record DynamoDB judged.
                found = self.get_items([before.key]).get(before.key) if _old_item(cancelled, 0) else None
                raise ConditionNotMet(found) from cancelled
            # Only the witness was refused: this very update was applied before, its answer lost.

    def delete(self, before: InventoryItem, *, line_index: int, audit: AuditContext) -> None:
        """One transaction: the item's delete, on condition that it is still at `before`'s revision and
        holds nothing for reservations, and the tombstone over its id pointer."""
        change = deletion(before, audit.reason, audit.request_id, line_index)
        tombstone = tombstone_attributes(before, change, audit.created_date)
        operations = [
            delete_write(before.key, before.revision),
            {"Delete": {"TableName": table_name(), "Key": profile_key_attrs(before.key)}},
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
            judged = _old_item(cancelled, 0) if cancelled.failed(0) else None
            # The whole item (its profile too): a delete tried again keeps it in its tombstone.
            found = self.get_items([before.key]).get(before.key) if judged is not None else None
            held = judged is not None and judged.revision == before.revision and judged.reserved > 0
            if found is not None and judged is not None and held and found.id == before.id:
                # The revision held, so the other half of the condition failed: the item holds units.
                raise HoldsRemain(found, judged.reserved) from cancelled
            raise ConditionNotMet(found) from cancelled

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
        ByStoreFeed index, never a Scan. The feed's partitions are read together and merged: each gives
        its first `limit` after the position, so the first `limit` of all of them are among those. (An
        index is eventually consistent: the newest records may show a moment later, as the ledger itself
        trails its changes.)"""

        def shard(partition: str) -> list[AttributeMap]:
            condition, values = "feedPk = :shard", {":shard": {"S": partition}}
            if after:  # DynamoDB refuses an empty key value: from the beginning, the key is the shard's
                condition, values = f"{condition} AND feedSk > :after", {**values, ":after": {"S": after}}
            answer = self._table.call(
                "query",
                TableName=table_name(),
                IndexName=FEED_INDEX,
                KeyConditionExpression=condition,
                ExpressionAttributeValues=values,
                Limit=limit,
            )
            records: list[AttributeMap] = answer.get("Items", [])
            return records

        partitions = feed_pks(store_id)
        found = shared_executor(len(partitions)).map(carried(shard), partitions)
        merged = sorted((a for records in found for a in records), key=lambda a: a["feedSk"]["S"])
        return [(a["feedSk"]["S"], adjustment_from_attributes(a)) for a in merged[:limit]]

    def reclaim_expired(self, item: InventoryItem, audit: AuditContext) -> int:
        return expired_holds.reclaim_expired(self._table, item, audit)

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
