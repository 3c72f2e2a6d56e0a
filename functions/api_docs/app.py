"""ApiDocsFunction: the whole API's OpenAPI document (GET /openapi.json) and Swagger UI (GET /swagger).

Both dialects' routers are included so the document covers every route; this function is only wired to the
two documentation paths, so it never serves those routes itself. Swagger UI's script and styles come from
the Powertools package, inlined in the page: no CDN.
"""

from __future__ import annotations

import gc

# No collections while the cold start allocates (~100,000 objects): they were ~50 ms of the imports' CPU.
gc.disable()

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn, SecurityScheme, Server
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from stockroom.dialects.prosperna import routes as prosperna_routes
from stockroom.dialects.wix import (
    bulk_routes,
    filter_routes,
    item_routes,
    list_routes,
    reservation_routes,
    routes,
    search_routes,
)

logger = Logger()

TITLE = "Stockroom"
VERSION = "1.0.0"
DESCRIPTION = (
    "Inventory over DynamoDB in two dialects: Wix Stores Catalog V3 inventory items, and Prosperna's "
    "stock quantity. Every call carries an API key in the Authorization header; mutating calls accept an "
    "Idempotency-Key header."
)
SECURITY: dict[str, SecurityScheme] = {"apiKey": APIKey(name="Authorization", in_=APIKeyIn.header)}

app = APIGatewayRestResolver(enable_validation=True)
for router in (
    routes.router,
    bulk_routes.router,
    list_routes.router,
    reservation_routes.router,
    item_routes.router,
    search_routes.router,
    filter_routes.router,
    prosperna_routes.router,
):
    app.include_router(router)
app.configure_openapi(
    title=TITLE,
    version=VERSION,
    description=DESCRIPTION,
    security_schemes=SECURITY,
    security=[{"apiKey": []}],
)
app.enable_swagger(
    path="/swagger",
    title=TITLE,
    version=VERSION,
    description=DESCRIPTION,
    security_schemes=SECURITY,
    security=[{"apiKey": []}],
)


@app.get("/openapi.json", include_in_schema=False)
def openapi_document() -> Response[str]:
    # The server is the stage, as Swagger UI's page has it: a client resolving the document fetched from
    # .../v1/openapi.json must call .../v1/stores/..., not .../stores/... (behind a custom domain, no stage).
    context = app.current_event.request_context
    stage = context.stage
    base = f"/{stage}" if stage and stage != "$default" and context.path.startswith(f"/{stage}") else "/"
    document = app.get_openapi_json_schema(servers=[Server(url=base)])
    return Response(200, content_types.APPLICATION_JSON, document)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


gc.freeze()  # what the cold start built is never scanned again by a warm call's collections
gc.enable()
