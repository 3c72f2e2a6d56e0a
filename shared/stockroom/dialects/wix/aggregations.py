"""Search's aggregations, over every item the search matches: value counts, ranges and scalars.

Served: `VALUE` (count of items a value; a list field counts each of its values), `RANGE` (items in each
[from, to) bucket of a number) and `SCALAR` (`COUNT_DISTINCT`, `MIN`, `MAX`, `SUM`, `AVG`). Not served:
`DATE_HISTOGRAM` and `NESTED` (and the deprecated `groupBy`): a request naming them is a 400.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from stockroom.core.domain import InventoryItem
from stockroom.core.errors import InvalidRequest
from stockroom.core.filters import Field, Kind, value_of
from stockroom.dialects.wix.query_language import Loc, field_of
from stockroom.dialects.wix.search_models import Aggregation

NUMERIC = frozenset({Kind.INT})


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _values(items: Sequence[InventoryItem], field: Field) -> list[Any]:
    """Each item's value (each of a list's), None where it has none."""
    found: list[Any] = []
    for item in items:
        value = value_of(item, field)
        found += value if isinstance(value, list) else [value]
    return found


def _kind(aggregation: Aggregation, loc: Loc) -> str:
    given = [k for k in ("value", "range", "scalar") if getattr(aggregation, k) is not None]
    if aggregation.dateHistogram is not None or aggregation.nested is not None or aggregation.groupBy:
        raise InvalidRequest(loc, "Date histograms and nested aggregations are not served.")
    if aggregation.type in ("DATE_HISTOGRAM", "NESTED"):
        raise InvalidRequest((*loc, "type"), f"{aggregation.type} aggregations are not served.")
    kind = aggregation.type.lower() if aggregation.type else (given[0] if len(given) == 1 else "value")
    if kind == "value" and not given:
        return kind  # a value aggregation with its defaults (the kind named by neither type nor options)
    if not kind or given not in ([], [kind]):
        raise InvalidRequest(loc, "Give one of value, range or scalar, agreeing with type.")
    if kind != "value" and not given:
        raise InvalidRequest((*loc, kind), f"A {kind.upper()} aggregation needs its {kind} options.")
    return kind


def aggregate(aggregations: Sequence[Aggregation], items: Sequence[InventoryItem]) -> list[dict[str, Any]]:
    results = []
    for index, aggregation in enumerate(aggregations):
        loc: Loc = ("search", "aggregations", index)
        kind = _kind(aggregation, loc)
        if aggregation.fieldPath is None:
            raise InvalidRequest((*loc, "fieldPath"), "An aggregation names its fieldPath.")
        field = field_of(aggregation.fieldPath, (*loc, "fieldPath"), "aggregated")
        values = _values(items, field)
        result: dict[str, Any] = {"type": kind.upper(), "fieldPath": aggregation.fieldPath}
        if aggregation.name is not None:
            result["name"] = aggregation.name
        if kind == "value":
            result["values"] = {"results": _value_counts(aggregation, values)}
        elif field.kind not in NUMERIC and (kind == "range" or _numeric_only(aggregation)):
            raise InvalidRequest((*loc, "fieldPath"), f"{aggregation.fieldPath} is not a number.")
        elif kind == "range":
            assert aggregation.range is not None
            result["ranges"] = {
                "results": [
                    {
                        **({} if b.from_ is None else {"from": b.from_}),
                        **({} if b.to is None else {"to": b.to}),
                        "count": sum(
                            1
                            for v in values
                            if v is not None
                            and (b.from_ is None or v >= b.from_)
                            and (b.to is None or v < b.to)
                        ),
                    }
                    for b in aggregation.range.buckets
                ]
            }
        else:
            assert aggregation.scalar is not None
            result["scalar"] = {
                "type": aggregation.scalar.type,
                "value": _scalar(aggregation.scalar.type, [v for v in values if v is not None]),
            }
        results.append(result)
    return results


def _numeric_only(aggregation: Aggregation) -> bool:
    return aggregation.scalar is not None and aggregation.scalar.type != "COUNT_DISTINCT"


def _scalar(kind: str, values: list[Any]) -> float:
    if kind == "COUNT_DISTINCT":
        return len(set(values))
    if not values:
        return 0
    if kind == "MIN":
        return min(values)
    if kind == "MAX":
        return max(values)
    total = sum(values)
    return total if kind == "SUM" else total / len(values)


def _value_counts(aggregation: Aggregation, values: list[Any]) -> list[dict[str, Any]]:
    options = aggregation.value
    missing = options.includeOptions.addToBucket if options and options.includeOptions else "N/A"
    include_missing = options is not None and options.missingValues == "INCLUDE"
    counts = Counter(
        _text(v) if v is not None else missing for v in values if v is not None or include_missing
    )
    by_value = options is not None and options.sortType == "VALUE"
    ascending = options is not None and options.sortDirection == "ASC"
    ordered = sorted(
        counts.items(),
        key=lambda kv: (kv[0] if by_value else kv[1], kv[0]),
        reverse=not ascending,
    )
    limit = options.limit if options and options.limit else 10
    return [{"value": value, "count": count} for value, count in ordered[:limit]]
