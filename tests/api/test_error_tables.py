"""Each function registers its dialect's error table on its own resolver: an app with only some of the
routes still answers in the dialect's words, and importing a router registers nothing by itself."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from stockroom.dialects.prosperna import errors as prosperna_errors
from stockroom.dialects.prosperna import routes as prosperna_routes
from stockroom.dialects.wix import bulk_routes
from stockroom.dialects.wix import errors as wix_errors
from stockroom.http.json_body import strict_json_deserializer

EVENTS = Path(__file__).resolve().parents[2] / "events"
CONTEXT: Any = SimpleNamespace(aws_request_id="test-request", function_name="test")


def bad_increment() -> dict[str, Any]:
    event = json.loads((EVENTS / "WixInventoryFunction" / "increment.json").read_text())
    return {**event, "body": json.dumps({"incrementData": [{"inventoryItemId": "x", "incrementBy": "1"}]})}


def wix_app(*, with_errors: bool) -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(
        enable_validation=True, json_body_deserializer=strict_json_deserializer(dict, "object")
    )
    app.include_router(bulk_routes.router)
    if with_errors:
        wix_errors.register_error_handlers(app)
    return app


def test_an_app_of_only_the_bulk_routes_answers_wix_400() -> None:
    answer = wix_app(with_errors=True).resolve(bad_increment(), CONTEXT)
    assert answer["statusCode"] == 400
    violations = json.loads(answer["body"])["details"]["validationError"]["fieldViolations"]
    assert [(v["field"], v["violatedRule"]) for v in violations] == [
        ("incrementData[0].incrementBy", "FORMAT")
    ]


def test_importing_a_router_registers_no_error_table() -> None:
    # Without the function's registration, Powertools answers with its own 422: nothing hidden does it.
    assert wix_app(with_errors=False).resolve(bad_increment(), CONTEXT)["statusCode"] == 422


def test_prosperna_renders_the_engines_neutral_line_as_its_index() -> None:
    from stockroom.core.errors import InvalidRequest

    app = APIGatewayRestResolver(enable_validation=True)
    app.include_router(prosperna_routes.router)
    prosperna_errors.register_error_handlers(app)

    @app.get("/boom")
    def boom() -> None:
        raise InvalidRequest(("lines", 2), "Lines for one item must agree.")

    event = {**bad_increment(), "path": "/boom", "resource": "/boom", "httpMethod": "GET", "body": None}
    answer = app.resolve(event, CONTEXT)
    assert answer["statusCode"] == 400
    [failure] = json.loads(answer["body"])["data"]["failures"]
    assert (failure["index"], failure["code"]) == (2, "INVALID_ARGUMENT")
