"""Field types shared by every dialect's request models: strict, so a wrong type is refused, never coerced."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictInt, StrictStr

from stockroom.core.domain import ID_PATTERN
from stockroom.core.rules import MAX_UNITS_PER_LINE

Id = Annotated[StrictStr, Field(pattern=ID_PATTERN, description="An id: 1 to 128 of A-Z a-z 0-9 . _ : -")]
Units = Annotated[
    StrictInt,
    Field(ge=1, le=MAX_UNITS_PER_LINE, description="A whole number of units, 1 to 1,000,000,000"),
]
StockQuantity = Annotated[StrictInt, Field(ge=0, le=MAX_UNITS_PER_LINE)]
Reason = Annotated[StrictStr, Field(min_length=1, max_length=256)]
