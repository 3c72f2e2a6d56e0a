"""The table's layout: every record's keys, and the item indexes.

Single-table layout (table `TABLE_NAME`, keys `pk`/`sk`):

| record            | pk                                             | sk                                  |
|-------------------|------------------------------------------------|-------------------------------------|
| item: stock       | `STORE#<store>#VARIANT#<variant>#LOC#<loc>`    | `ITEM`                              |
| item: profile     | same pk as its item                            | `PROFILE`                           |
| item-id pointer   | `STORE#<store>#ID#<itemId>`                    | `ITEM_ID`                           |
| item tombstone    | `STORE#<store>#ID#<itemId>` (replaces pointer) | `ITEM_ID`                           |
| ledger record     | same pk as its item                            | `ADJ#<itemId>#<revision, 12 digits>`|
| change witness    | same pk as its item                            | `REQ#<requestId>#<line, 4 digits>`  |
| line attempt      | same pk as its item                            | `TRY#<requestId>#<line, 4 digits>`  |
| store settings    | `STORE#<store>`                                | `STORE`                             |
| order marker      | `STORE#<store>#ORDER#<orderId>`                | `ORDER`                             |
| API key           | `APIKEY#<sha256 of the key>`                   | `APIKEY`                            |
| API key prefix    | `APIKEYPREFIX#<printable prefix>`              | `APIKEY`                            |

The item is keyed by (store, variant, location) because that is what both dialects name on the hot path: a
decrement is then a blind conditional write, with no read before it. It is two records: its stock (`ITEM`:
what the rules read and stock changes write) and its profile (`PROFILE`: the product, names, dates and index
keys, which never change after create), so a sale writes a small record and no index. The id pointer serves
the calls that name an item by id. Deleting an item puts a tombstone over its pointer (entity
`ItemTombstone`, with the item as it was and the change that deleted it): the id is never given out again,
and the tombstone's stream record is what the ledger writes the DELETE record from. A variant and location
can then be created again, as a new item with a new id; its ledger records are apart from the old item's by
their sort key.

Index `ByStoreItems` (sparse: only item profiles carry its keys) lists a store's items for the query, search
and count calls: `byStorePk = STORE#<store>`, `byStoreSk = <product>#<variant>#<location>`. Ids never
contain `#`, so `<product>#` is an exact prefix. Profiles are never written after create, so a sale writes
the item's stock, never the store's index partition. The counts are read from the items (BatchGetItem,
consistent) after the index. Index `ByVariant` (keys `variantId`, `storeId`: only profiles carry both) finds
a variant's items at every location without the store's list.

Index `ByStoreFeed` (sparse: only ledger records carry its keys) is a store's ledger in time order, the
store-wide feed: `feedPk = STORE#<store>#FEED#<shard>` (the item's, one of FEED_SHARDS, so a busy store's
feed is not one index partition), `feedSk = <createdDate>#<itemId>#<revision>`; a page merges the shards.
Ledger records are written by the stream's consumer (LedgerFunction), never by a request, and outlive
their item.
"""

from __future__ import annotations

import os
import zlib
from typing import Any

from stockroom.core.domain import ItemKey

AttributeMap = dict[str, Any]
BY_STORE_INDEX = "ByStoreItems"
BY_VARIANT_INDEX = "ByVariant"
FEED_INDEX = "ByStoreFeed"
WITNESS_PREFIX = "REQ#"
# An order marker outlives every redelivery: SQS keeps a message 4 days by default (14 at most) and the DLQ
# 14 more, after which a redrive may send it again. 35 days covers 14 + 14 with a week to spare.
ORDER_MARKER_TTL_SECONDS = 35 * 24 * 3600


def table_name() -> str:
    return os.environ.get("TABLE_NAME", "InventoryTable")


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
PROFILE_SK = "PROFILE"
ITEM_ID_SK = "ITEM_ID"
STORE_SK = "STORE"
ORDER_SK = "ORDER"
API_KEY_SK = "APIKEY"


def item_key_attrs(key: ItemKey) -> AttributeMap:
    return {"pk": {"S": item_pk(key)}, "sk": {"S": ITEM_SK}}


# The store-wide feed's index is split into this many partitions, by item: DynamoDB writes an index
# partition at most 1,000 units a second, and a store's ledger records all carry the store.
FEED_SHARDS = 8


def feed_shard(item_id: str) -> int:
    return zlib.crc32(item_id.encode()) % FEED_SHARDS


def feed_pk(store_id: str, item_id: str) -> str:
    """The feed partition a ledger record of this item goes to: all of one item's in the same one."""
    return f"STORE#{store_id}#FEED#{feed_shard(item_id)}"


def feed_pks(store_id: str) -> list[str]:
    return [f"STORE#{store_id}#FEED#{shard}" for shard in range(FEED_SHARDS)]


def feed_sk(created_date: str, item_id: str, revision: int) -> str:
    """A ledger record's place in its store's feed: oldest first, then by item and revision."""
    return f"{created_date}#{item_id}#{revision:012d}"


def by_store_sk(product_id: str, variant_id: str, location_id: str) -> str:
    return f"{product_id}#{variant_id}#{location_id}"


def by_store_start_key(store_id: str, position: tuple[str, str, str]) -> AttributeMap:
    """The index key of the item at `position` (product, variant, location): rebuilt from the position
    alone, so a cursor can never point a query at another store's partition."""
    _, variant_id, location_id = position
    return {
        "pk": {"S": item_pk(ItemKey(store_id, variant_id, location_id))},
        "sk": {"S": PROFILE_SK},
        "byStorePk": {"S": store_pk(store_id)},
        "byStoreSk": {"S": by_store_sk(*position)},
    }


# --- reservations (SPEC §7) -------------------------------------------------------------------------------
# | record            | pk                                    | sk                 |
# |-------------------|---------------------------------------|--------------------|
# | reservation       | `STORE#<store>#RES#<reservationId>`   | `RESERVATION`      |
# A hold is not a record of its own: the item counts it (`reserved`) and names it by a tag in its `holds`
# set (stockroom.core.tags), so one single-item write decides a hold, and a read of the item knows its live
# holds. The reservation record's TTL attribute is its expiry while ACTIVE: DynamoDB deletes an expired
# reservation's record, and the stream's REMOVE brings it to the collector (correctness never waits for
# it: see stockroom.core.holds), which frees its holds and keeps it as EXPIRED for GET.
RESERVATION_SK = "RESERVATION"
# A finished (or expired) reservation is kept this long for GET, then DynamoDB's TTL deletes it.
RESERVATION_RETENTION_SECONDS = 7 * 24 * 3600


def reservation_pk(store_id: str, reservation_id: str) -> str:
    return f"STORE#{store_id}#RES#{reservation_id}"
