"""The DynamoDB adapter of `stockroom.core.ports.InventoryRepository`.

Every change is one transaction: the item's conditional update (its condition is exactly the rule that
chose it, see `conditions`) and the put of its audit record. A refusal hands back the item DynamoDB judged
(ALL_OLD), so explaining it needs no read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from stockroom.adapters.dynamodb.client import Cancelled, TableClient
from stockroom.adapters.dynamodb.codec import (
    adjustment_from_attributes,
    adjustment_put,
    item_from_attributes,
    item_to_attributes,
    n,
)
from stockroom.adapters.dynamodb.conditions import (
    audited_update,
    decrement_write,
    increment_write,
    put_new,
    untracked_check,
    update_write,
)
from stockroom.adapters.dynamodb.layout import (
    BY_STORE_INDEX,
    ITEM_ID_SK,
    ORDER_SK,
    STORE_SK,
    AttributeMap,
    by_store_start_key,
    item_id_pk,
    item_key_attrs,
    item_pk,
    order_pk,
    store_pk,
    table_name,
)
from stockroom.core.domain import (
    Adjustment,
    AdjustmentKind,
    AuditContext,
    DecrementLine,
    IncrementLine,
    InventoryItem,
    ItemKey,
    ItemQuery,
)
from stockroom.core.errors import ItemAlreadyExists
from stockroom.core.ports import (
    ConditionNotMet,
    OrderAlreadyApplied,
    OrderItemWrite,
    OrderMarker,
    OrderRefused,
)
from stockroom.core.rules import WritePath, decrement_adjustment, quantity_change


def _old_item(cancelled: Cancelled, position: int) -> InventoryItem | None:
    old = cancelled.reasons[position].get("Item")
    return item_from_attributes(old) if old else None


class DynamoDBInventoryRepository:
    def __init__(self, client: Any = None) -> None:
        self._table = TableClient(client)

    @property
    def client(self) -> Any:
        return self._table.sdk

    def _write_with_audit(self, operations: list[dict[str, Any]], token: str) -> None:
        """One item's conditional update and its audit record (`audited_update`), in one transaction;
        raises ConditionNotMet with the item DynamoDB judged, so a refusal needs no read to explain it."""
        try:
            self._table.transact(operations, token=token)
        except Cancelled as cancelled:
            if cancelled.failed(0):
                raise ConditionNotMet(_old_item(cancelled, 0)) from cancelled
            # Only the audit record's put failed: this very line was recorded already, by an earlier
            # attempt of the same transaction whose answer was lost.

    @staticmethod
    def _decrement_operations(
        line: DecrementLine, path: WritePath, restrict_inventory: bool, audit: AuditContext
    ) -> list[dict[str, Any]]:
        """The conditional update of the item and the put of its audit record: one line's transaction."""
        condition, update, values = decrement_write(line, path, restrict_inventory, audit.created_date)
        kind, delta = decrement_adjustment(path, line.quantity)
        return audited_update(
            line.key,
            {
                "ConditionExpression": condition,
                "UpdateExpression": update,
                "ExpressionAttributeValues": values,
            },
            adjustment_put(item_key_attrs(line.key), audit, line.index, kind, delta),
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
        quantity_after = {"quantityAfter": n(item.quantity)} if item.quantity is not None else {}
        try:
            self._table.transact(
                [
                    # Never overwrite: a duplicate (store, variant, location) or id is refused by condition.
                    put_new(attrs),
                    put_new(pointer),
                    adjustment_put(
                        attrs, audit, 0, AdjustmentKind.CREATE, item.quantity or 0, quantity_after
                    ),
                ]
            )
        except Cancelled as cancelled:
            raise ItemAlreadyExists(
                "An inventory item for this variant and location (or with this id) already exists.",
                {"variantId": item.variant_id, "locationId": item.location_id},
            ) from cancelled

    def get_item(self, store_id: str, item_id: str) -> InventoryItem | None:
        pointer = self._table.get({"pk": {"S": item_id_pk(store_id, item_id)}, "sk": {"S": ITEM_ID_SK}})
        if pointer is None:
            return None
        found = self._table.get(
            item_key_attrs(ItemKey(store_id, pointer["variantId"]["S"], pointer["locationId"]["S"]))
        )
        return None if found is None else item_from_attributes(found)

    def get_items(self, keys: Iterable[ItemKey]) -> dict[ItemKey, InventoryItem]:
        found = self._table.batch_get([item_key_attrs(k) for k in dict.fromkeys(keys)])
        items = map(item_from_attributes, found)
        return {item.key: item for item in items}

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
        self._write_with_audit(
            audited_update(
                line.key,
                increment_write(line, audit.created_date),
                adjustment_put(
                    item_key_attrs(line.key), audit, line.index, AdjustmentKind.INCREMENT, line.quantity
                ),
            ),
            token=f"{audit.request_id}:{line.index}:{attempt}",
        )

    def update(
        self, before: InventoryItem, after: InventoryItem, *, line_index: int, audit: AuditContext
    ) -> None:
        """Make `before` into `after`, on condition that the item is still at `before`'s revision: every
        change bumps the revision, so the condition pins exactly the state `after` was computed from."""
        update, values, names = update_write(after)
        delta = quantity_change(before, after)
        quantity_after = {"quantityAfter": n(after.quantity)} if after.quantity is not None else {}
        self._write_with_audit(
            audited_update(
                before.key,
                {
                    "ConditionExpression": "#revision = :expected",
                    "UpdateExpression": update,
                    "ExpressionAttributeValues": {**values, ":expected": n(before.revision)},
                    "ExpressionAttributeNames": names,
                },
                adjustment_put(
                    item_key_attrs(before.key),
                    audit,
                    line_index,
                    AdjustmentKind.UPDATE,
                    delta,
                    quantity_after,
                ),
            ),
            token=f"{audit.request_id}:{line_index}:{before.revision}",
        )

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
            refusable[len(operations)] = position
            if write.path is None:
                operations.append(untracked_check(write.line.key))
            else:
                operations += self._decrement_operations(write.line, write.path, restrict_inventory, audit)
        if marker is not None:
            operations.append(
                put_new(
                    {
                        "pk": {"S": order_pk(marker.store_id, marker.order_id)},
                        "sk": {"S": ORDER_SK},
                        "entity": {"S": "OrderMarker"},
                        "requestId": {"S": audit.request_id},
                        "createdDate": {"S": audit.created_date},
                    }
                )
            )
        try:
            self._table.transact(operations, token=f"{audit.request_id}:all:{attempt}")
        except Cancelled as cancelled:
            if marker is not None and cancelled.failed(len(operations) - 1):
                raise OrderAlreadyApplied() from cancelled
            refused = {
                write_position: _old_item(cancelled, position)
                for position, write_position in refusable.items()
                if cancelled.failed(position)
            }
            if refused:
                raise OrderRefused(refused) from cancelled
            # Only audit records failed: this transaction was applied before, its answer lost.

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
            kwargs["ExclusiveStartKey"] = by_store_start_key(store_id, after)
        found: list[InventoryItem] = []
        # A filtered page can come back short: read on until ours is full or the index is exhausted.
        while len(found) < limit:
            answer = self._table.call("query", **kwargs)
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
        answer = self._table.call("query", **kwargs)
        return [(a["sk"]["S"], adjustment_from_attributes(a)) for a in answer.get("Items", [])]

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
