"""Reading the item indexes: a store's items in order (ByStoreItems), a variant's items (ByVariant).

Neither index holds a count: only an item's profile record carries their keys, and a profile is never written
after create (a test reads every stock write's update expression and the template's projection to keep it
so), so a decrement, a hold or a restock writes the item's stock record and never the store's index
partition. What an entry
holds is enough to rule most items out before they are read (`stockroom.core.filters.Search.maybe_matches`);
the counts come from the items, read after.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from stockroom.adapters.dynamodb.client import TableClient
from stockroom.adapters.dynamodb.layout import (
    BY_STORE_INDEX,
    BY_VARIANT_INDEX,
    AttributeMap,
    by_store_start_key,
    store_pk,
    table_name,
)
from stockroom.core.domain import InventoryItem, ItemKey

# What ByStoreItems holds besides its keys and the table's (template.yaml says the same; a test checks):
# the profile's fields.
STORE_INDEX_ATTRIBUTES = (
    "id",
    "storeId",
    "variantId",
    "locationId",
    "productId",
    "createdDate",
    "productName",
    "categoryIds",
)


def entry_from_attributes(attrs: Mapping[str, Any]) -> InventoryItem:
    """An index entry as an item whose counts, tracking, preorder settings, revision and update date are
    placeholders: only the index's fields are meaningful (filters judge the others on the item, read
    afterwards)."""
    return InventoryItem(
        id=attrs["id"]["S"],
        store_id=attrs["storeId"]["S"],
        variant_id=attrs["variantId"]["S"],
        location_id=attrs["locationId"]["S"],
        product_id=attrs["productId"]["S"],
        track_quantity=True,
        created_date=attrs["createdDate"]["S"],
        product_name=attrs["productName"]["S"] if "productName" in attrs else None,
        category_ids=tuple(c["S"] for c in attrs.get("categoryIds", {}).get("L", [])),
    )


def _read(
    table: TableClient, store_id: str, prefix: str, start: AttributeMap | None, limit: int
) -> tuple[list[InventoryItem], AttributeMap | None]:
    """Up to `limit` entries under one key prefix (all the store's with ""), and where to go on from."""
    condition = "byStorePk = :store"
    values: AttributeMap = {":store": {"S": store_pk(store_id)}}
    if prefix:
        condition += " AND begins_with(byStoreSk, :prefix)"
        values[":prefix"] = {"S": prefix}
    kwargs: dict[str, Any] = {
        "TableName": table_name(),
        "IndexName": BY_STORE_INDEX,
        "KeyConditionExpression": condition,
        "ExpressionAttributeValues": values,
    }
    found: list[InventoryItem] = []
    while len(found) < limit:
        kwargs["Limit"] = limit - len(found)
        if start is not None:
            kwargs["ExclusiveStartKey"] = start
        answer = table.call("query", **kwargs)
        found += map(entry_from_attributes, answer.get("Items", []))
        start = answer.get("LastEvaluatedKey")
        if start is None:
            break
    return found, start


def index_entries(
    table: TableClient,
    store_id: str,
    *,
    product_ids: Sequence[str] | None,
    after: tuple[str, str, str] | None,
    limit: int,
) -> tuple[list[InventoryItem], bool]:
    """Up to `limit` of the store's entries in (product, variant, location) order after `after`: the
    store's whole partition, or one key prefix a product (in product order, so the order is the same)."""
    prefixes = [""] if product_ids is None else [f"{p}#" for p in sorted(set(product_ids))]
    found: list[InventoryItem] = []
    for number, prefix in enumerate(prefixes):
        start = None
        if after is not None:
            if prefix and prefix < f"{after[0]}#":
                continue  # a product before the position: read already
            if not prefix or prefix == f"{after[0]}#":
                # The index key is rebuilt from the position under the caller's store: a position can
                # never point a query at another store's partition.
                start = by_store_start_key(store_id, after)
        entries, start = _read(table, store_id, prefix, start, limit - len(found))
        found += entries
        if len(found) >= limit:
            return found, start is not None or number < len(prefixes) - 1
    return found, False


def variant_keys(table: TableClient, store_id: str, variant_ids: Iterable[str]) -> list[ItemKey]:
    """A variant's items, at every location: one key condition a variant, none of the store's others."""
    keys = []
    for variant_id in sorted(set(variant_ids)):
        kwargs: dict[str, Any] = {
            "TableName": table_name(),
            "IndexName": BY_VARIANT_INDEX,
            "KeyConditionExpression": "variantId = :variant AND storeId = :store",
            "ExpressionAttributeValues": {":variant": {"S": variant_id}, ":store": {"S": store_id}},
        }
        while True:
            answer = table.call("query", **kwargs)
            keys += [ItemKey(store_id, variant_id, a["locationId"]["S"]) for a in answer.get("Items", [])]
            if "LastEvaluatedKey" not in answer:
                break
            kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
    return keys
