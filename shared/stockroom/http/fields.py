"""Field types shared by every dialect's request models: strict, so a wrong type is refused, never coerced."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, Field, StrictInt, StrictStr

from stockroom.core.domain import ID_PATTERN
from stockroom.core.rules import MAX_UNITS_PER_LINE

Id = Annotated[StrictStr, Field(pattern=ID_PATTERN, description="An id: 1 to 128 of A-Z a-z 0-9 . _ : -")]
Units = Annotated[
    StrictInt,
    Field(ge=1, le=MAX_UNITS_PER_LINE, description="A whole number of units, 1 to 1,000,000,000"),
]
StockQuantity = Annotated[StrictInt, Field(ge=0, le=MAX_UNITS_PER_LINE)]
Reason = Annotated[StrictStr, Field(min_length=1, max_length=256)]


def _utc_milliseconds(value: str) -> str:
    """Any ISO 8601 time with a zone, as the engine writes times: UTC, milliseconds, "Z" (so that string
    order is time order)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("an ISO 8601 date-time, e.g. 2026-11-22T10:00:00.000Z") from None
    if parsed.tzinfo is None:
        raise ValueError("the time needs a zone (Z or +hh:mm)")
    return parsed.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


IsoTime = Annotated[
    StrictStr,
    Field(min_length=10, max_length=40, description="An ISO 8601 date-time with a zone"),
    AfterValidator(_utc_milliseconds),
]
