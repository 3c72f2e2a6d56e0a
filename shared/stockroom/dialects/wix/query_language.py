"""Wix's query language, read into the engine's filter, sort and free text (`stockroom.core.filters`).

What the SDK's query builder sends: `{"field": value}` (equality), `{"field": {"$op": value}}`, and `$and`,
`$or`, `$not` around them; field paths dotted as Wix has them (`preorderInfo.enabled`, `product.name`); the
SDK's `_id`/`_createdDate`/`_updatedDate` arrive renamed `id`/`createdDate`/`updatedDate`. The fields are
those the SDK's typings mark filterable; the four of them that Wix takes from its product catalog
(`product.variantName`, `.variantSku`, `.variantBarcode`, `.brand.id`) Stockroom does not hold, and a filter
on them is refused rather than answered as if no item had them. Every refusal is a 400 naming the part of
the request that broke it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from stockroom.core.errors import InvalidRequest
from stockroom.core.filters import (
    MATCH_ALL,
    OPERATORS,
    And,
    Cond,
    Field,
    Filter,
    Kind,
    Not,
    Op,
    Or,
    SortKey,
    TextSearch,
)

FIELDS: dict[str, Field] = {
    "id": Field.ID,
    "variantId": Field.VARIANT_ID,
    "locationId": Field.LOCATION_ID,
    "productId": Field.PRODUCT_ID,
    "createdDate": Field.CREATED_DATE,
    "updatedDate": Field.UPDATED_DATE,
    "availabilityStatus": Field.AVAILABILITY_STATUS,
    "inStock": Field.IN_STOCK,
    "trackQuantity": Field.TRACK_QUANTITY,
    "quantity": Field.QUANTITY,
    "preorderInfo.enabled": Field.PREORDER_ENABLED,
    "product.name": Field.PRODUCT_NAME,
    "product.directCategoryIds": Field.CATEGORY_IDS,
}
FIELD_NAMES = {field: name for name, field in FIELDS.items()}
# Filterable in Wix's typings, but Wix's product catalog's: Stockroom keeps no catalog.
NOT_HELD = frozenset(
    {"product.variantName", "product.variantSku", "product.variantBarcode", "product.brand.id"}
)
STATUSES = frozenset({"IN_STOCK", "OUT_OF_STOCK", "PREORDER"})
_OPS = {op.value: op for op in Op}
_LISTS = (Op.IN, Op.HAS_SOME, Op.HAS_ALL)

# Bounds that keep a query, and the cursor that carries it, small: a cursor is at most 16,000 characters.
MAX_FILTER_CHARS = 8_000
MAX_DEPTH = 8
MAX_LIST_VALUES = 100

Loc = tuple[str | int, ...]


def _refuse(loc: Loc, description: str) -> InvalidRequest:
    return InvalidRequest(loc, description)


def parse_filter(raw: Any, loc: Loc) -> Filter:
    """A Wix filter (None or {} match everything)."""
    if raw is None:
        return MATCH_ALL
    if not isinstance(raw, dict):
        raise _refuse(loc, "A filter is a JSON object.")
    if len(json.dumps(raw, separators=(",", ":"))) > MAX_FILTER_CHARS:
        raise _refuse(loc, f"A filter is at most {MAX_FILTER_CHARS:,} characters of JSON.")
    return _node(raw, loc, 0)


def _node(obj: dict[str, Any], loc: Loc, depth: int) -> Filter:
    if depth > MAX_DEPTH:
        raise _refuse(loc, f"A filter nests at most {MAX_DEPTH} levels.")
    parts: list[Filter] = []
    for key, value in obj.items():
        here = (*loc, key)
        if key in ("$and", "$or"):
            if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
                raise _refuse(here, f"{key} takes a non-empty list of filters.")
            children = tuple(_node(v, (*here, i), depth + 1) for i, v in enumerate(value))
            parts.append(And(children) if key == "$and" else Or(children))
        elif key == "$not":
            if not isinstance(value, dict):
                raise _refuse(here, "$not takes a filter.")
            parts.append(Not(_node(value, here, depth + 1)))
        elif key.startswith("$"):
            raise _refuse(here, f"Unknown operator {key}: use $and, $or or $not around field conditions.")
        else:
            parts.extend(_conditions(key, value, here))
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def field_of(name: str, loc: Loc, what: str = "filtered") -> Field:
    field = FIELDS.get(name)
    if field is not None:
        return field
    if name in NOT_HELD:
        raise _refuse(loc, f"{name} comes from Wix's product catalog, which Stockroom does not keep.")
    raise _refuse(loc, f"{name} cannot be {what}: use one of {', '.join(FIELDS)}.")


def _conditions(name: str, value: Any, loc: Loc) -> list[Cond]:
    field = field_of(name, loc)
    if not (isinstance(value, dict) and value and all(str(k).startswith("$") for k in value)):
        if isinstance(value, dict | list):
            raise _refuse(loc, "Give a value, or an object of operators ($eq, $in, $gt...).")
        return [_condition(field, Op.EQ, value, loc)]
    conditions = []
    for key, operand in value.items():
        op = _OPS.get(key)
        if op is None:
            raise _refuse((*loc, key), f"Unknown operator {key}.")
        conditions.append(_condition(field, op, operand, (*loc, key)))
    return conditions


def _condition(field: Field, op: Op, operand: Any, loc: Loc) -> Cond:
    if op not in OPERATORS[field.kind]:
        raise _refuse(loc, f"{FIELD_NAMES[field]} does not take {op.value}.")
    if op is Op.EXISTS:
        if not isinstance(operand, bool):
            raise _refuse(loc, "$exists takes true or false.")
        return Cond(field, op, operand)
    if op in _LISTS:
        if not isinstance(operand, list) or not 1 <= len(operand) <= MAX_LIST_VALUES:
            raise _refuse(loc, f"{op.value} takes a list of 1 to {MAX_LIST_VALUES} values.")
        kind = Kind.ID if field.kind is Kind.LIST else field.kind
        return Cond(field, op, [_scalar(kind, v, (*loc, i)) for i, v in enumerate(operand)])
    if operand is None:
        if op not in (Op.EQ, Op.NE):
            raise _refuse(loc, f"{op.value} takes a value, not null.")
        return Cond(field, op, None)  # "has no value" ($eq) or "has one" ($ne)
    if op is Op.STARTS_WITH:
        if not isinstance(operand, str) or not operand:
            raise _refuse(loc, "$startsWith takes a non-empty string.")
        return Cond(field, op, operand)
    return Cond(field, op, _scalar(field.kind, operand, loc))


def _scalar(kind: Kind, value: Any, loc: Loc) -> Any:
    if kind in (Kind.ID, Kind.TEXT) and isinstance(value, str) and len(value) <= 500:
        return value
    if kind is Kind.INT and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind is Kind.BOOL and isinstance(value, bool):
        return value
    if kind is Kind.STATUS and value in STATUSES:
        return value
    if kind is Kind.DATE and isinstance(value, str):
        return _utc(value, loc)
    expected = {
        Kind.ID: "a string",
        Kind.TEXT: "a string of at most 500 characters",
        Kind.INT: "a whole number",
        Kind.BOOL: "true or false",
        Kind.STATUS: "IN_STOCK, OUT_OF_STOCK or PREORDER",
        Kind.DATE: "an ISO 8601 date-time",
    }
    raise _refuse(loc, f"Expected {expected[kind]}, got {json.dumps(value)[:60]}.")


def _utc(value: str, loc: Loc) -> str:
    """A time as the engine writes times (UTC, milliseconds, Z), so that string order is time order."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _refuse(loc, "Expected an ISO 8601 date-time, e.g. 2026-11-22T10:00:00.000Z.") from None
    if parsed.tzinfo is None:
        raise _refuse(loc, "The time needs a zone (Z or +hh:mm).")
    return parsed.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_sort(raw: list[Any] | None, loc: Loc) -> tuple[SortKey, ...]:
    """Wix's `sort`: [{"fieldName", "order": "ASC" | "DESC"}], on the fields the typings mark sortable."""
    keys = []
    for index, entry in enumerate(raw or []):
        here = (*loc, index, "fieldName")
        field = field_of(entry.fieldName, here, "sorted by")
        if not field.sortable:
            raise _refuse(here, f"{entry.fieldName} cannot be sorted by (Wix sorts it neither way).")
        keys.append(SortKey(field, entry.order == "DESC"))
    return tuple(keys)


SEARCHABLE = {"product.name": Field.PRODUCT_NAME}


def parse_text(expression: str | None, mode: str, fields: list[str], loc: Loc) -> TextSearch | None:
    """Wix's free-text `search`: terms found (case-insensitive) within the searchable fields. Stockroom
    holds one of the SDK's searchable fields, `product.name`; the catalog's variant name, SKU and barcode
    it does not keep (naming them is a 400). `fuzzy` is accepted and matches exactly."""
    chosen = []
    for index, name in enumerate(fields):
        if name in SEARCHABLE:
            chosen.append(SEARCHABLE[name])
        elif name in NOT_HELD:
            raise _refuse((*loc, "fields", index), f"{name} comes from Wix's catalog, not kept here.")
        else:
            raise _refuse((*loc, "fields", index), f"{name} is not searchable: use product.name.")
    terms = tuple((expression or "").casefold().split())
    if not terms:
        return None
    return TextSearch(terms, every_term=mode == "AND", fields=tuple(chosen) or (Field.PRODUCT_NAME,))
