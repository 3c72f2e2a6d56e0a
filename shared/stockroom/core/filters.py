"""Which items a call is about: a filter (and, or, not over field conditions), a sort, and free text.

Storage-neutral and dialect-neutral: the Wix dialect parses its query language into these, and the finder
(`stockroom.core.finding`) reads them. A filter is judged on an item as a reader sees it (`matches`), and,
before the item is read, on what the store's item index holds of it (`maybe_matches`): the index holds only
the fields a stock change never touches (`Field.static`), so a condition on the counts is "unknown" there,
and only entries that certainly fail are left unread.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from stockroom.core.domain import InventoryItem


class Kind(enum.Enum):
    ID = "ID"  # a string id: exact comparisons, startsWith
    TEXT = "TEXT"  # free text: exact comparisons, startsWith
    DATE = "DATE"  # an ISO time in UTC with milliseconds (string order is time order)
    INT = "INT"
    BOOL = "BOOL"
    STATUS = "STATUS"
    LIST = "LIST"  # a list of ids: hasSome, hasAll, exists


class Field(enum.Enum):
    """A field a filter may name: (its name, its kind, whether the item index holds it, whether it sorts).
    The name keeps every member its own (enum members with equal values would be one)."""

    ID = ("id", Kind.ID, True, False)
    VARIANT_ID = ("variant", Kind.ID, True, False)
    LOCATION_ID = ("location", Kind.ID, True, False)
    PRODUCT_ID = ("product", Kind.ID, True, True)
    CREATED_DATE = ("created", Kind.DATE, True, True)
    UPDATED_DATE = ("updated", Kind.DATE, False, True)
    AVAILABILITY_STATUS = ("availability", Kind.STATUS, False, True)
    IN_STOCK = ("in stock", Kind.BOOL, False, True)
    TRACK_QUANTITY = ("tracks quantity", Kind.BOOL, False, True)
    QUANTITY = ("quantity", Kind.INT, False, True)
    PREORDER_ENABLED = ("preorder", Kind.BOOL, False, True)
    PRODUCT_NAME = ("product name", Kind.TEXT, True, True)
    CATEGORY_IDS = ("categories", Kind.LIST, True, True)

    @property
    def kind(self) -> Kind:
        return self.value[1]

    @property
    def static(self) -> bool:
        """Held by the store's item index: no stock change ever writes it."""
        return bool(self.value[2])

    @property
    def sortable(self) -> bool:
        return bool(self.value[3])


_VALUE: dict[Field, Callable[[InventoryItem], Any]] = {
    Field.ID: lambda i: i.id,
    Field.VARIANT_ID: lambda i: i.variant_id,
    Field.LOCATION_ID: lambda i: i.location_id,
    Field.PRODUCT_ID: lambda i: i.product_id,
    Field.CREATED_DATE: lambda i: i.created_date,
    Field.UPDATED_DATE: lambda i: i.updated_date,
    Field.AVAILABILITY_STATUS: lambda i: i.availability_status.value,
    # One tracking method an item: `inStock` exists only where quantity is not counted, and the reverse.
    Field.IN_STOCK: lambda i: None if i.track_quantity else bool(i.in_stock),
    Field.TRACK_QUANTITY: lambda i: i.track_quantity,
    Field.QUANTITY: lambda i: i.quantity if i.track_quantity else None,
    Field.PREORDER_ENABLED: lambda i: i.preorder.enabled,
    Field.PRODUCT_NAME: lambda i: i.product_name,
    Field.CATEGORY_IDS: lambda i: list(i.category_ids) or None,
}


def value_of(item: InventoryItem, field: Field) -> Any:
    """The field's value on the item; None where the item has none."""
    return _VALUE[field](item)


class Op(enum.Enum):
    EQ = "$eq"
    NE = "$ne"
    IN = "$in"
    EXISTS = "$exists"
    GT = "$gt"
    GTE = "$gte"
    LT = "$lt"
    LTE = "$lte"
    STARTS_WITH = "$startsWith"
    HAS_SOME = "$hasSome"
    HAS_ALL = "$hasAll"


_ORDERED = (Op.GT, Op.GTE, Op.LT, Op.LTE)
# Which operators each kind of field takes (the SDK's query builder offers the same per field).
OPERATORS: dict[Kind, frozenset[Op]] = {
    Kind.ID: frozenset({Op.EQ, Op.NE, Op.IN, Op.EXISTS, *_ORDERED, Op.STARTS_WITH}),
    Kind.TEXT: frozenset({Op.EQ, Op.NE, Op.IN, Op.EXISTS, *_ORDERED, Op.STARTS_WITH}),
    Kind.DATE: frozenset({Op.EQ, Op.NE, Op.IN, Op.EXISTS, *_ORDERED}),
    Kind.INT: frozenset({Op.EQ, Op.NE, Op.IN, Op.EXISTS, *_ORDERED}),
    Kind.BOOL: frozenset({Op.EQ, Op.NE, Op.IN, Op.EXISTS}),
    Kind.STATUS: frozenset({Op.EQ, Op.NE, Op.IN, Op.EXISTS}),
    Kind.LIST: frozenset({Op.HAS_SOME, Op.HAS_ALL, Op.EXISTS}),
}


@dataclass(frozen=True, slots=True)
class Cond:
    """`field op value`; value is a list for $in, $hasSome and $hasAll, a bool for $exists, None for "no
    value" with $eq and $ne."""

    field: Field
    op: Op
    value: Any


@dataclass(frozen=True, slots=True)
class And:
    parts: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class Or:
    parts: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class Not:
    part: Filter


Filter = Cond | And | Or | Not
MATCH_ALL: Filter = And(())


def _compare(op: Op, value: Any, operand: Any) -> bool:
    if op is Op.EQ:
        return bool(value == operand)
    if op is Op.NE:
        return bool(value != operand)
    if op is Op.IN:
        return value in operand
    if op is Op.EXISTS:
        return (value is not None) == operand
    if value is None:
        return False  # no value is neither before nor after anything, nor starts with anything
    if op is Op.STARTS_WITH:
        return str(value).casefold().startswith(str(operand).casefold())  # as Wix: case-insensitive
    if op is Op.HAS_SOME:
        return any(v in value for v in operand)
    if op is Op.HAS_ALL:
        return all(v in value for v in operand)
    return {
        Op.GT: value > operand,
        Op.GTE: value >= operand,
        Op.LT: value < operand,
        Op.LTE: value <= operand,
    }[op]


def matches(f: Filter, item: InventoryItem) -> bool:
    if isinstance(f, Cond):
        return _compare(f.op, value_of(item, f.field), f.value)
    if isinstance(f, And):
        return all(matches(p, item) for p in f.parts)
    if isinstance(f, Or):
        return any(matches(p, item) for p in f.parts)
    return not matches(f.part, item)


def maybe_matches(f: Filter, entry: InventoryItem) -> bool | None:
    """Three-valued: True or False where the index's fields decide, None where a count would."""
    if isinstance(f, Cond):
        return _compare(f.op, value_of(entry, f.field), f.value) if f.field.static else None
    if isinstance(f, Not):
        inner = maybe_matches(f.part, entry)
        return None if inner is None else not inner
    seen = [maybe_matches(p, entry) for p in f.parts]
    decisive = isinstance(f, Or)  # an Or is decided by any True, an And by any False
    if decisive in seen:
        return decisive
    return None if None in seen else not decisive


def is_static(f: Filter) -> bool:
    """Whether the index alone decides the filter (no condition on a field stock changes write)."""
    if isinstance(f, Cond):
        return f.field.static
    if isinstance(f, Not):
        return is_static(f.part)
    return all(is_static(p) for p in f.parts)


def conjuncts(f: Filter) -> list[Filter]:
    """The parts that must all hold (an And's parts, flattened), from which keys can be taken."""
    if isinstance(f, And):
        return [c for p in f.parts for c in conjuncts(p)]
    return [f]


def values_of(f: Filter, field: Field) -> frozenset[Any] | None:
    """The values `field` must take for `f` to hold, where a conjunct says ($eq or $in); None: any."""
    found: frozenset[Any] | None = None
    for part in conjuncts(f):
        if isinstance(part, Cond) and part.field is field and part.value is not None:
            if part.op is Op.EQ:
                allowed = frozenset([part.value])
            elif part.op is Op.IN:
                allowed = frozenset(part.value)
            else:
                continue
            found = allowed if found is None else found & allowed
    return found


# --- free text ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TextSearch:
    """Free text over the searchable fields: each term (case-insensitive) found within a field's value;
    every term (AND) or any (OR)."""

    terms: tuple[str, ...]
    every_term: bool = False
    fields: tuple[Field, ...] = (Field.PRODUCT_NAME,)

    def matches(self, item: InventoryItem) -> bool:
        if not self.terms:
            return True
        texts = [str(v).casefold() for f in self.fields if (v := value_of(item, f)) is not None]
        found = (any(term in text for text in texts) for term in self.terms)
        return all(found) if self.every_term else any(found)


# --- sort --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SortKey:
    field: Field
    descending: bool = False


@dataclass(frozen=True, slots=True)
class Search:
    """What a query, search or count is about: its filter, free text and order (none: the index's own,
    product, variant, location)."""

    filter: Filter = MATCH_ALL
    text: TextSearch | None = None
    sort: tuple[SortKey, ...] = ()

    def matches(self, item: InventoryItem) -> bool:
        return matches(self.filter, item) and (self.text is None or self.text.matches(item))

    def maybe_matches(self, entry: InventoryItem) -> bool:
        """False only where the index's fields already rule the entry out."""
        if maybe_matches(self.filter, entry) is False:
            return False
        return self.text is None or self.text.matches(entry)  # searchable fields are the index's

    @property
    def in_index_order(self) -> bool:
        return not self.sort or self.sort == (SortKey(Field.PRODUCT_ID),)


def position_of(item: InventoryItem) -> list[str]:
    """An item's place in the index's order; unique in a store."""
    return [item.product_id, item.variant_id, item.location_id]


def _sortable(value: Any) -> tuple[int, Any]:
    # No value sorts first ascending (last descending); lists compare as tuples.
    if value is None:
        return (0, 0)
    return (1, tuple(value) if isinstance(value, list) else value)


def _cmp(a: Sequence[Any], b: Sequence[Any], descending: Sequence[bool]) -> int:
    for x, y, down in zip(a, b, descending, strict=True):
        kx, ky = _sortable(x), _sortable(y)
        if kx != ky:
            return (1 if kx > ky else -1) * (-1 if down else 1)
    return 0


def sort_position(item: InventoryItem, sort: Sequence[SortKey]) -> list[Any]:
    """The item's place in a sorted answer: its sort values, then its index position (so that no two
    items of a store share a place, and a cursor can resume exactly after one)."""
    return [value_of(item, k.field) for k in sort] + position_of(item)


def sort_order(sort: Sequence[SortKey]) -> Callable[[Sequence[Any]], Any]:
    """A sort key over `sort_position`s."""
    descending = [k.descending for k in sort] + [False, False, False]
    return functools.cmp_to_key(lambda a, b: _cmp(a, b, descending))
