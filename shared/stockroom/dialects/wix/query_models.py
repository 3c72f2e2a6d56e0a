"""Wix V3 shapes of the ledger's reads: an item's adjustments, the store-wide feed."""

from __future__ import annotations

from pydantic import Field

from stockroom.core.domain import HOLD_KINDS, Adjustment
from stockroom.core.paging import Page
from stockroom.dialects.wix.models import Absent, WixResponse
from stockroom.dialects.wix.search_models import PagingMetadata

# --- audit trail -------------------------------------------------------------------------------------------


class AdjustmentOut(WixResponse):
    """One ledger record (SPEC §8): exact, whatever the concurrency."""

    inventoryItemId: str
    revision: str = Field(description="The item's revision after the change.")
    kind: str
    delta: Absent[int] = None
    quantityBefore: Absent[int] = Field(None, description="On hand before the change (tracked items).")
    quantityAfter: Absent[int] = Field(None, description="On hand after the change (tracked items).")
    preorderCounterBefore: Absent[int] = Field(None, description="On a PREORDER record.")
    preorderCounterAfter: Absent[int] = None
    reservedQuantityBefore: Absent[int] = Field(
        None, description="On a RESERVE, RELEASE, CONFIRM or EXPIRE record: units held before the change."
    )
    reservedQuantityAfter: Absent[int] = None
    reason: str
    requestId: str
    createdDate: str

    @classmethod
    def of(cls, a: Adjustment) -> AdjustmentOut:
        holds = a.kind in HOLD_KINDS
        return cls(
            inventoryItemId=a.item_id,
            revision=str(a.revision),
            kind=a.kind.value,
            delta=a.delta,
            quantityBefore=a.quantity_before,
            quantityAfter=a.quantity_after,
            preorderCounterBefore=None if holds else a.counter_before,
            preorderCounterAfter=None if holds else a.counter_after,
            reservedQuantityBefore=a.counter_before if holds else None,
            reservedQuantityAfter=a.counter_after if holds else None,
            reason=a.reason,
            requestId=a.request_id,
            createdDate=a.created_date,
        )


class ListAdjustmentsResponse(WixResponse):
    adjustments: list[AdjustmentOut]
    pagingMetadata: PagingMetadata

    @classmethod
    def of(cls, page: Page[Adjustment]) -> ListAdjustmentsResponse:
        return cls(
            adjustments=[AdjustmentOut.of(a) for a in page.entries],
            pagingMetadata=PagingMetadata.of(len(page.entries), page.next_cursor),
        )
