"""Inventory items and adjustment records to and from DynamoDB attribute maps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeGuard

from stockroom.adapters.dynamodb.layout import (
    ITEM_ID_SK,
    ITEM_SK,
    PROFILE_SK,
    WITNESS_PREFIX,
    AttributeMap,
    by_store_sk,
    feed_pk,
    feed_sk,
    item_id_pk,
    item_key_attrs,
    item_pk,
    store_pk,
    table_name,
)
from stockroom.core.domain import (
    Adjustment,
    AdjustmentKind,
    AuditContext,
    Change,
    InventoryItem,
    ItemKey,
    PreorderSettings,
)
from stockroom.core.ledger import position


def n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def item_to_attributes(item: InventoryItem) -> AttributeMap:
    """The item's stock record: everything a stock change reads or writes, and nothing else.

    An item is two records under its key. This one is written by every sale, so it holds only what
    changes and what the rules read: DynamoDB bills a write by the size of the item (1 unit a KB), so its
    size is every sale's price. The other (`profile_to_attributes`) holds what never changes after
    create (the product, its name and categories, the ids, the index keys), so a sale never writes an
    index and never pays for a long product name."""
    attrs: AttributeMap = {
        **item_key_attrs(item.key),
        "entity": {"S": "InventoryItem"},
        "id": {"S": item.id},
        "productId": {"S": item.product_id},
        "trackQuantity": {"BOOL": item.track_quantity},
        "preorderEnabled": {"BOOL": item.preorder.enabled},
        "preorderCounter": n(item.preorder.counter),
        "revision": n(item.revision),
        "updatedDate": {"S": item.updated_date},
        # What live reservations hold; kept on every item, so a hold's units survive any other change.
        "reserved": n(item.reserved),
    }
    if item.holds:  # DynamoDB keeps no empty set: no holds, no attribute
        attrs["holds"] = {"NS": [str(tag) for tag in item.holds]}
    if item.track_quantity:
        attrs["quantity"] = n(item.quantity or 0)
        # Conditions cannot subtract, so "quantity - reserved >= n" is kept as "available >= n".
        attrs["available"] = n(item.available)
    else:
        attrs["inStock"] = {"BOOL": bool(item.in_stock)}
    if item.preorder.message is not None:
        attrs["preorderMessage"] = {"S": item.preorder.message}
    if item.preorder.limit is not None:
        attrs["preorderLimit"] = n(item.preorder.limit)
        # Conditions cannot do arithmetic, so "counter + n <= limit" is kept as "remaining >= n".
        attrs["preorderRemaining"] = n(item.preorder.limit - item.preorder.counter)
    if item.low_stock_threshold is not None:
        attrs["lowStockThreshold"] = n(item.low_stock_threshold)
    return attrs


def profile_key_attrs(key: ItemKey) -> AttributeMap:
    return {"pk": {"S": item_pk(key)}, "sk": {"S": PROFILE_SK}}


def profile_to_attributes(item: InventoryItem) -> AttributeMap:
    """The item's profile record: what never changes after create, and the query's index keys."""
    attrs: AttributeMap = {
        **profile_key_attrs(item.key),
        "entity": {"S": "InventoryItemProfile"},
        "id": {"S": item.id},
        "storeId": {"S": item.store_id},
        "variantId": {"S": item.variant_id},
        "locationId": {"S": item.location_id},
        "productId": {"S": item.product_id},
        "createdDate": {"S": item.created_date},
        "categoryIds": {"L": [{"S": c} for c in item.category_ids]},
        # The ByStore index's keys (the query call's access pattern).
        "byStorePk": {"S": store_pk(item.store_id)},
        "byStoreSk": {"S": by_store_sk(item.product_id, item.variant_id, item.location_id)},
    }
    if item.product_name is not None:
        attrs["productName"] = {"S": item.product_name}
    return attrs


def opt_int(attrs: Mapping[str, Any], name: str) -> int | None:
    value = attrs.get(name)
    return None if value is None else int(value["N"])


def _key_of(attrs: Mapping[str, Any]) -> tuple[str, str, str]:
    """(store, variant, location): from the record's own fields, else from its key (ids never hold "#",
    so `STORE#s#VARIANT#v#LOC#l` splits exactly)."""
    if "storeId" in attrs:
        return attrs["storeId"]["S"], attrs["variantId"]["S"], attrs["locationId"]["S"]
    _, store, _, variant, _, location = attrs["pk"]["S"].split("#")
    return store, variant, location


def item_from_attributes(attrs: Mapping[str, Any], profile: Mapping[str, Any] | None = None) -> InventoryItem:
    """The item from its stock record, and its profile record where it is read too. Without the profile,
    the product's name, categories and the date of creation are left empty: enough for the rules, the
    ledger and the availability events, which never read them; an answer always reads both."""
    cold = {**attrs, **profile} if profile is not None else attrs
    store_id, variant_id, location_id = _key_of(cold)
    return InventoryItem(
        id=attrs["id"]["S"],
        store_id=store_id,
        variant_id=variant_id,
        location_id=location_id,
        product_id=attrs["productId"]["S"],
        track_quantity=attrs["trackQuantity"]["BOOL"],
        quantity=opt_int(attrs, "quantity"),
        in_stock=attrs["inStock"]["BOOL"] if "inStock" in attrs else None,
        preorder=PreorderSettings(
            enabled=attrs["preorderEnabled"]["BOOL"],
            message=attrs["preorderMessage"]["S"] if "preorderMessage" in attrs else None,
            limit=opt_int(attrs, "preorderLimit"),
            counter=int(attrs["preorderCounter"]["N"]),
        ),
        revision=int(attrs["revision"]["N"]),
        created_date=cold["createdDate"]["S"] if "createdDate" in cold else "",
        updated_date=attrs["updatedDate"]["S"],
        product_name=cold["productName"]["S"] if "productName" in cold else None,
        category_ids=tuple(c["S"] for c in cold.get("categoryIds", {}).get("L", [])),
        low_stock_threshold=opt_int(attrs, "lowStockThreshold"),
        reserved=opt_int(attrs, "reserved") or 0,
        holds=tuple(int(tag) for tag in attrs.get("holds", {}).get("NS", ())),
    )


def is_item_attributes(attrs: Mapping[str, Any] | None) -> TypeGuard[Mapping[str, Any]]:
    """Whether a record (e.g. a stream image) is an inventory item's stock record, not its profile, a
    pointer, a ledger record or a marker."""
    return (
        attrs is not None
        and attrs.get("sk") == {"S": ITEM_SK}
        and attrs.get("entity") == {"S": "InventoryItem"}
    )


# How long a change's witness outlives it: past DynamoDB's 10-minute token window and the Idempotency-Key's
# 24 hours, so a retry that late still finds the line applied.
WITNESS_SECONDS = 3 * 24 * 3600


def change_attributes(change: Change) -> AttributeMap:
    """The change an item carries (attribute `change`), for the stream's ledger consumer to read."""
    return {
        "M": {
            "kind": {"S": change.kind.value},
            "reason": {"S": change.reason},
            "requestId": {"S": change.request_id},
            "lineIndex": n(change.line_index),
            **({} if change.delta is None else {"delta": n(change.delta)}),
        }
    }


def change_from_attributes(attrs: Mapping[str, Any]) -> Change | None:
    change = attrs.get("change", {}).get("M")
    if change is None:
        return None
    return Change(
        kind=AdjustmentKind(change["kind"]["S"]),
        reason=change["reason"]["S"],
        request_id=change["requestId"]["S"],
        line_index=int(change["lineIndex"]["N"]),
        delta=opt_int(change, "delta"),
    )


def witness_key(item_key: AttributeMap, request_id: str, line_index: int) -> AttributeMap:
    return {"pk": item_key["pk"], "sk": {"S": f"{WITNESS_PREFIX}{request_id}#{line_index:04d}"}}


def witness_put(
    item_key: AttributeMap, audit: AuditContext, line_index: int, epoch_now: int
) -> dict[str, Any]:
    """The witness of one line's change, in the change's own transaction: its key is the request and line,
    so a retry of an applied line is refused by condition (never applied twice), and a read of it tells
    whether a transaction whose answer was lost landed. It expires (TTL) after WITNESS_SECONDS."""
    return {
        "Put": {
            "TableName": table_name(),
            "Item": {
                **witness_key(item_key, audit.request_id, line_index),
                "entity": {"S": "ChangeWitness"},
                "createdDate": {"S": audit.created_date},
                "expiresAt": n(epoch_now + WITNESS_SECONDS),
            },
            "ConditionExpression": "attribute_not_exists(sk)",
        }
    }


def adjustment_attributes(item: InventoryItem, record: Adjustment) -> AttributeMap:
    """A ledger record, keyed by item and revision (a redelivered stream record writes the same record),
    and by store and time in the ByStoreFeed index (the store-wide feed for sync clients)."""
    optional = {
        "delta": record.delta,
        "quantityBefore": record.quantity_before,
        "quantityAfter": record.quantity_after,
        "counterBefore": record.counter_before,
        "counterAfter": record.counter_after,
    }
    return {
        **item_key_attrs(item.key),
        "sk": {"S": position(record.item_id, record.revision)},
        "entity": {"S": "Adjustment"},
        "inventoryItemId": {"S": record.item_id},
        "revision": n(record.revision),
        "kind": {"S": record.kind.value},
        "reason": {"S": record.reason},
        "requestId": {"S": record.request_id},
        "lineIndex": n(record.line_index),
        "createdDate": {"S": record.created_date},
        **{name: n(value) for name, value in optional.items() if value is not None},
        "feedPk": {"S": feed_pk(item.store_id, record.item_id)},
        "feedSk": {"S": feed_sk(record.created_date, record.item_id, record.revision)},
    }


def adjustment_from_attributes(attrs: Mapping[str, Any]) -> Adjustment:
    return Adjustment(
        item_id=attrs["inventoryItemId"]["S"],
        revision=int(attrs["revision"]["N"]),
        kind=AdjustmentKind(attrs["kind"]["S"]),
        delta=opt_int(attrs, "delta"),
        reason=attrs["reason"]["S"],
        request_id=attrs["requestId"]["S"],
        created_date=attrs["createdDate"]["S"],
        quantity_before=opt_int(attrs, "quantityBefore"),
        quantity_after=opt_int(attrs, "quantityAfter"),
        counter_before=opt_int(attrs, "counterBefore"),
        counter_after=opt_int(attrs, "counterAfter"),
        line_index=opt_int(attrs, "lineIndex") or 0,
    )


# What of an item a tombstone keeps: not its keys, nor the index's (a tombstone is no item).
_NOT_KEPT = ("pk", "sk", "entity", "byStorePk", "byStoreSk", "change")


def tombstone_attributes(before: InventoryItem, change: Change, deleted_date: str) -> AttributeMap:
    """What replaces a deleted item's id pointer: the item as it was (both records) and the change that
    deleted it."""
    whole = {**item_to_attributes(before), **profile_to_attributes(before)}
    kept = {k: v for k, v in whole.items() if k not in _NOT_KEPT}
    return {
        "pk": {"S": item_id_pk(before.store_id, before.id)},
        "sk": {"S": ITEM_ID_SK},
        "entity": {"S": "ItemTombstone"},
        "item": {"M": kept},
        "change": change_attributes(change),
        "deletedDate": {"S": deleted_date},
    }


def is_tombstone_attributes(attrs: Mapping[str, Any] | None) -> TypeGuard[Mapping[str, Any]]:
    return attrs is not None and attrs.get("entity") == {"S": "ItemTombstone"}


def tombstone_from_attributes(attrs: Mapping[str, Any]) -> tuple[InventoryItem, Change, str]:
    """(the item before its deletion, the deletion's change, when it was deleted)."""
    change = change_from_attributes(attrs)
    assert change is not None, "a tombstone always carries its change"
    return item_from_attributes(attrs["item"]["M"]), change, attrs["deletedDate"]["S"]
