"""The engine's outcome codes in Wix's words (SPEC §11), for each kind of call.

The engine names outcomes once (`LineErrorCode`, and each error's `code`); Wix's SDK types name them
otherwise, and differently for a line that names its item by variant and location (`NOT_FOUND`) than for
one that names it by id (`INVENTORY_ITEM_NOT_FOUND`). Codes Wix has no word for (`REVISION_MISMATCH`,
`TEMPORARILY_UNAVAILABLE`...) keep the engine's.
"""

from __future__ import annotations

from collections.abc import Mapping

from stockroom.core.domain import LineErrorCode

Codes = Mapping[str, str]

BY_ID: Codes = {
    LineErrorCode.TRACK_QUANTITY_DISABLED: "INVENTORY_QUANTITY_NOT_TRACKED",
    # Rule 3's refusal is a shortage too: of preorder capacity rather than of stock.
    LineErrorCode.PREORDER_LIMIT_EXCEEDED: "INSUFFICIENT_INVENTORY",
    LineErrorCode.QUANTITY_LIMIT_EXCEEDED: "MAX_QUANTITY_LIMIT_REACHED",
    LineErrorCode.QUANTITY_FLOOR_EXCEEDED: "MIN_QUANTITY_LIMIT_REACHED",
    LineErrorCode.ALREADY_EXISTS: "ITEM_ALREADY_EXISTS",
    LineErrorCode.INVALID_PREORDER: "PRE_ORDER_VALIDATION",
    LineErrorCode.NEGATIVE_QUANTITY: "REQUESTED_QUANTITY_MUST_BE_NON_NEGATIVE_DECREASING",
}
BY_VARIANT_AND_LOCATION: Codes = {**BY_ID, LineErrorCode.INVENTORY_ITEM_NOT_FOUND: "NOT_FOUND"}
# An upsert names what the item should hold: a quantity it may not take is an invalid target.
UPSERT: Codes = {**BY_ID, LineErrorCode.NEGATIVE_QUANTITY: "INVALID_TARGET_QUANTITY"}


def wix_code(code: str, codes: Codes = BY_ID) -> str:
    return codes.get(code, code)
