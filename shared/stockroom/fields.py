"""Field types shared by every dialect's request models: strict, so a wrong type is refused, never coerced."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictInt, StrictStr

from stockroom.rules import MAX_UNITS_PER_LINE

# Ids become parts of storage keys: a closed alphabet keeps out "#" (the separator) and control characters.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"

Id = Annotated[StrictStr, Field(pattern=ID_PATTERN, description="An id: 1 to 128 of A-Z a-z 0-9 . _ : -")]
Units = Annotated[
    StrictInt,
    Field(ge=1, le=MAX_UNITS_PER_LINE, description="A whole number of units, 1 to 1,000,000,000"),
]
StockQuantity = Annotated[StrictInt, Field(ge=0, le=MAX_UNITS_PER_LINE)]
Reason = Annotated[StrictStr, Field(min_length=1, max_length=256)]
