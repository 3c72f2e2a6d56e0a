"""Inventory items and adjustment records to and from DynamoDB attribute maps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeGuard

from stockroom.adapters.dynamodb.layout import (
    ITEM_SK,
    AttributeMap,
    by_store_sk,
    item_key_attrs,
    store_pk,
    table_name,
)
from stockroom.core.domain import Adjustment, AdjustmentKind, AuditContext, InventoryItem, PreorderSettings


def n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def item_to_attributes(item: InventoryItem) -> AttributeMap:
    attrs: AttributeMap = {
        **item_key_attrs(item.key),
        "entity": {"S": "InventoryItem"},
        "id": {"S": item.id},
        "storeId": {"S": item.store_id},
        "variantId": {"S": item.variant_id},
        "locationId": {"S": item.location_id},
        "productId": {"S": item.product_id},
        "trackQuantity": {"BOOL": item.track_quantity},
        "preorderEnabled": {"BOOL": item.preorder.enabled},
        "preorderCounter": n(item.preorder.counter),
        "revision": n(item.revision),
        "createdDate": {"S": item.created_date},
        "updatedDate": {"S": item.updated_date},
        "categoryIds": {"L": [{"S": c} for c in item.category_ids]},
        # The ByStore index's keys (the query call's access pattern).
        "byStorePk": {"S": store_pk(item.store_id)},
        "byStoreSk": {"S": by_store_sk(item.product_id, item.variant_id, item.location_id)},
    }
    if item.track_quantity:
        attrs["quantity"] = n(item.quantity or 0)
    else:
        attrs["inStock"] = {"BOOL": bool(item.in_stock)}
    if item.preorder.message is not None:
        attrs["preorderMessage"] = {"S": item.preorder.message}
    if item.preorder.limit is not None:
        attrs["preorderLimit"] = n(item.preorder.limit)
        # Conditions cannot do arithmetic, so "counter + n <= limit" is kept as "remaining >= n".
        attrs["preorderRemaining"] = n(item.preorder.limit - item.preorder.counter)
    if item.product_name is not None:
        attrs["productName"] = {"S": item.product_name}
    if item.low_stock_threshold is not None:
        attrs["lowStockThreshold"] = n(item.low_stock_threshold)
    return attrs


def opt_int(attrs: Mapping[str, Any], name: str) -> int | None:
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
        quantity=opt_int(attrs, "quantity"),
        in_stock=attrs["inStock"]["BOOL"] if "inStock" in attrs else None,
        preorder=PreorderSettings(
            enabled=attrs["preorderEnabled"]["BOOL"],
            message=attrs["preorderMessage"]["S"] if "preorderMessage" in attrs else None,
            limit=opt_int(attrs, "preorderLimit"),
            counter=int(attrs["preorderCounter"]["N"]),
        ),
        revision=int(attrs["revision"]["N"]),
        created_date=attrs["createdDate"]["S"],
        updated_date=attrs["updatedDate"]["S"],
        product_name=attrs["productName"]["S"] if "productName" in attrs else None,
        category_ids=tuple(c["S"] for c in attrs.get("categoryIds", {}).get("L", [])),
        low_stock_threshold=opt_int(attrs, "lowStockThreshold"),
    )


def is_item_attributes(attrs: Mapping[str, Any] | None) -> TypeGuard[Mapping[str, Any]]:
    """Whether a record (e.g. a stream image) is an inventory item, not a pointer, audit record or marker."""
    return (
        attrs is not None
        and attrs.get("sk") == {"S": ITEM_SK}
        and attrs.get("entity") == {"S": "InventoryItem"}
    )


def adjustment_put(
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
                **({} if delta is None else {"delta": n(delta)}),
                "reason": {"S": audit.reason},
                "requestId": {"S": audit.request_id},
                "lineIndex": n(line_index),
                "createdDate": {"S": audit.created_date},
                **(extra or {}),
            },
            "ConditionExpression": "attribute_not_exists(sk)",
        }
    }


def adjustment_from_attributes(attrs: Mapping[str, Any]) -> Adjustment:
    return Adjustment(
        kind=AdjustmentKind(attrs["kind"]["S"]),
        delta=opt_int(attrs, "delta"),
        quantity_after=opt_int(attrs, "quantityAfter"),
        reason=attrs["reason"]["S"],
        request_id=attrs["requestId"]["S"],
        created_date=attrs["createdDate"]["S"],
    )
