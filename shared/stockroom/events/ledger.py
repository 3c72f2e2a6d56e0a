"""The exact ledger, written from the table's stream (SPEC §8).

A change of an item is a blind conditional write, so the writer never knows the counts before it. The
stream does: its NEW_AND_OLD_IMAGES record holds the item before and after each change, in per-item order,
and the new image carries the change's kind, reason, request and line (`change`). Each record becomes one
ledger record keyed by item and revision, so a redelivered stream record writes the same record again,
and the records of an item form a chain: revisions 1..N, each `quantityBefore` the previous
`quantityAfter`. The ledger trails the change by the stream's delay (typically well under a second on
DynamoDB; the local runtime polls every 50 ms).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from stockroom.adapters.dynamodb.codec import (
    change_from_attributes,
    is_item_attributes,
    is_tombstone_attributes,
    item_from_attributes,
    tombstone_from_attributes,
)
from stockroom.adapters.dynamodb.ledger import DynamoDBLedger
from stockroom.core.ledger import adjustment, deleted

logger = Logger(child=True)

_ledger: DynamoDBLedger | None = None


def ledger() -> DynamoDBLedger:
    global _ledger
    if _ledger is None:
        _ledger = DynamoDBLedger()
    return _ledger


def process_stream_batch(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    """The stream batch: a record that could not be written is reported, and the batch retried from it."""
    processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
    return process_partial_response(event, handle_stream_record, processor, context)


def handle_stream_record(record: DynamoDBRecord) -> str:
    """Write the record's ledger entry; returns its kind ("" for a record that is not an item's change)."""
    images = record.raw_event.get("dynamodb") or {}
    old, new = images.get("OldImage"), images.get("NewImage")
    if is_tombstone_attributes(new):
        # A delete: its tombstone holds the item as it was (the delete was pinned to that revision).
        last, deletion, deleted_date = tombstone_from_attributes(new)
        gone = deleted(last, deleted_date)
        ledger().put(gone, adjustment(last, gone, deletion))
        return deletion.kind.value
    if not is_item_attributes(new):
        return ""  # a witness, pointer, marker or the ledger's own records; an item's REMOVE (its tombstone)
    change = change_from_attributes(new)
    if change is None:
        logger.warning("an item changed without saying how", extra={"id": record.event_id})
        return ""
    before = item_from_attributes(old) if is_item_attributes(old) else None
    after = item_from_attributes(new)
    if before is not None and before.revision == after.revision:
        return ""  # no change of the item (an extended hold's tag swapped): its record stands as written
    ledger().put(after, adjustment(before, after, change))
    return change.kind.value
