"""AuthorizerFunction: API Gateway REQUEST authorizer mapping an API key to the stores it covers."""

from __future__ import annotations

import gc

# No collections while the cold start allocates (~100,000 objects): they were ~50 ms of the imports' CPU.
gc.disable()

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import event_source
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerRequestEvent,
    APIGatewayAuthorizerResponse,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from stockroom.core.api_keys import stores_for_key
from stockroom.http.auth import stores_context
from stockroom.key_wiring import api_key_store

logger = Logger()


@logger.inject_lambda_context
@event_source(data_class=APIGatewayAuthorizerRequestEvent)
def lambda_handler(event: APIGatewayAuthorizerRequestEvent, context: LambdaContext) -> dict[str, Any]:
    header = event.headers.get("Authorization") or event.headers.get("authorization")
    stores = stores_for_key(header, api_key_store)  # the key store is built only for a minted key
    if stores is None:
        logger.info("rejected an unknown or missing API key")  # never log the key itself
        raise Exception("Unauthorized")  # API Gateway's contract for a 401
    policy = APIGatewayAuthorizerResponse.from_route_arn(
        event.method_arn, principal_id=f"stores:{stores[0]}", context=stores_context(stores)
    )
    # The answer is cached per key (ReauthorizeEvery), so it must cover every route, not just this one.
    policy.allow_all_routes()
    return policy.asdict()


gc.freeze()  # what the cold start built is never scanned again by a warm call's collections
gc.enable()
