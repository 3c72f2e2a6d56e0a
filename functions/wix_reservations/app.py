"""WixReservationsFunction: reservations (SPEC §7) in the Wix dialect, behind API Gateway.

A function of its own: checkout traffic scales, and is throttled, apart from catalog calls, and only this
function may write reservation records.
"""

from __future__ import annotations

import gc

# No collections while the cold start allocates (~100,000 objects): they were ~50 ms of the imports' CPU.
gc.disable()

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from stockroom.dialects.wix import reservation_routes
from stockroom.dialects.wix.errors import register_error_handlers
from stockroom.http.resolver import rest_resolver
from stockroom.tracing import capture_lambda_handler

logger = Logger()
metrics = Metrics()

app = rest_resolver(dict, "object")
app.include_router(reservation_routes.router)
register_error_handlers(app, fields={"lines": "reservation.lines"})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@capture_lambda_handler  # X-Ray, imported only where it traces
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


gc.freeze()  # what the cold start built is never scanned again by a warm call's collections
gc.enable()
