"""Every outcome a line can have is an answer of a single-item call (PATCH, DELETE), with its status: a code
the table does not know would be a 500 (it once was, for HELD_BY_RESERVATIONS and three others)."""

from __future__ import annotations

import pytest

from stockroom.core.domain import LineError, LineErrorCode, LineResult
from stockroom.core.errors import StockroomError
from stockroom.core.lifecycle import error_for, raise_for
from stockroom.http.errors import HTTP_STATUS, RETRY_LATER

# What a caller of PATCH or DELETE gets for each outcome of its one line.
EXPECTED = {
    LineErrorCode.INVENTORY_ITEM_NOT_FOUND: 404,
    LineErrorCode.TRACK_QUANTITY_DISABLED: 409,
    LineErrorCode.INSUFFICIENT_INVENTORY: 409,
    LineErrorCode.PREORDER_LIMIT_EXCEEDED: 409,
    LineErrorCode.QUANTITY_LIMIT_EXCEEDED: 409,
    LineErrorCode.ALREADY_EXISTS: 409,
    LineErrorCode.REVISION_MISMATCH: 409,
    LineErrorCode.HELD_BY_RESERVATIONS: 409,
    LineErrorCode.INVENTORY_ITEM_RESERVED: 409,
    LineErrorCode.TEMPORARILY_UNAVAILABLE: 503,
    LineErrorCode.OUTCOME_UNKNOWN: 503,
    LineErrorCode.IDEMPOTENCY_CONFLICT: 409,
    LineErrorCode.QUANTITY_FLOOR_EXCEEDED: 409,
    LineErrorCode.NEGATIVE_QUANTITY: 409,
    LineErrorCode.INVALID_PREORDER: 409,
    LineErrorCode.IMMUTABLE_FIELD: 409,
}


def test_the_table_names_every_code() -> None:
    assert set(EXPECTED) == set(LineErrorCode)


@pytest.mark.parametrize("code", list(LineErrorCode))
def test_every_line_outcome_answers_its_status_with_its_code(code: LineErrorCode) -> None:
    error = error_for(LineError(code, "why it failed", {"inventoryItemId": "i-1"}))
    status = next(s for cls, s in HTTP_STATUS.items() if isinstance(error, cls))
    assert status == EXPECTED[code]
    assert error.code == code.value
    assert (error.description, error.data) == ("why it failed", {"inventoryItemId": "i-1"})
    # Busy storage asks for a retry; the rules' answers do not.
    assert isinstance(error, RETRY_LATER) == (status == 503)


def test_raise_for_raises_only_for_a_failed_line() -> None:
    raise_for(LineResult(0, "i-1"))
    with pytest.raises(StockroomError) as raised:
        raise_for(LineResult(0, "i-1", error=LineError(LineErrorCode.HELD_BY_RESERVATIONS, "held")))
    assert raised.value.code == "HELD_BY_RESERVATIONS"
