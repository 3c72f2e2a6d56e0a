"""WixInventoryFunction: the Wix Stores V3 inventory-items API behind API Gateway."""

from __future__ import annotations

import gc

# No collections while the cold start allocates (~100,000 objects): they were ~50 ms of the imports' CPU.
gc.disable()

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from stockroom.dialects.wix import (
    bulk_routes,
    filter_routes,
    item_routes,
    list_routes,
    routes,
    search_routes,
)
from stockroom.dialects.wix.errors import register_error_handlers
from stockroom.http.request import api_deadline
from stockroom.http.resolver import rest_resolver
from stockroom.tracing import capture_lambda_handler

logger = Logger()
metrics = Metrics()

app = rest_resolver(dict, "object")
app.include_router(routes.router)
app.include_router(bulk_routes.router)
app.include_router(list_routes.router)
app.include_router(item_routes.router)
app.include_router(search_routes.router)
app.include_router(filter_routes.router)
register_error_handlers(app)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@capture_lambda_handler  # X-Ray, imported only where it traces
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with api_deadline(context):  # every DynamoDB request of the call fits before API Gateway gives up
        return app.resolve(event, context)


gc.freeze()  # what the cold start built is never scanned again by a warm call's collections
gc.enable()
