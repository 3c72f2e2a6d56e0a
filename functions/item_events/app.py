"""ItemEventsFunction: the table's stream, published as Wix-shaped inventory item events (created, updated,
deleted, stock status changed, updated with reason)."""

from __future__ import annotations

import gc

# No collections while the cold start allocates (~100,000 objects): they were ~50 ms of the imports' CPU.
gc.disable()

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from stockroom.events.items import process_stream_batch
from stockroom.tracing import capture_lambda_handler

logger = Logger()


@logger.inject_lambda_context
@capture_lambda_handler  # X-Ray, imported only where it traces
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_stream_batch(event, context)


gc.freeze()  # what the cold start built is never scanned again by a warm call's collections
gc.enable()
