"""The local runtime: the embedded engine's lock, and the gateway's routing and API Gateway events."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.exceptions import ClientError

from stockroom_local.engine import Engine
from stockroom_local.gateway import Gateway, make_server, policy_allows
from stockroom_local.template import Template, load_template

REPO = Path(__file__).resolve().parents[2]


def request(
    base_url: str, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request with http.client, which sends header names exactly as given."""
    url = urlsplit(base_url)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
    try:
        conn.request(method, path, body=body or None, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


# --- the engine ------------------------------------------------------------------------------------------


def test_concurrent_conditional_updates_never_oversell(clean_tables: Engine) -> None:
    table = "InventoryTable"
    key = {"pk": {"S": "race"}, "sk": {"S": "item"}}
    boto3.client("dynamodb").put_item(TableName=table, Item={**key, "quantity": {"N": "10"}})
    outcomes: list[bool] = []
    start = threading.Barrier(20)

    def take_one() -> None:
        client = boto3.client("dynamodb")  # a client (and connection pool) per thread, like Lambdas
        start.wait()
        try:
            client.update_item(
                TableName=table,
                Key=key,
                UpdateExpression="SET quantity = quantity - :one",
                ConditionExpression="quantity >= :one",
                ExpressionAttributeValues={":one": {"N": "1"}},
            )
            outcomes.append(True)
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "ConditionalCheckFailedException"
            outcomes.append(False)

    threads = [threading.Thread(target=take_one) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert outcomes.count(True) == 10
    item = boto3.client("dynamodb").get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
    assert item["quantity"] == {"N": "0"}


def test_engine_points_boto3_at_itself(local_engine: Engine) -> None:
    import os

    assert local_engine.embedded
    assert os.environ["AWS_ENDPOINT_URL_DYNAMODB"] == local_engine.endpoint_url
    assert "InventoryTable" in boto3.client("dynamodb").list_tables()["TableNames"]


def test_external_endpoint_is_used_as_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:8000")
    engine = Engine.from_env()
    assert not engine.embedded
    assert engine.start() == "http://127.0.0.1:8000"  # nothing started
    engine.stop()


# --- the gateway, on a template of its own: the real authorizer and an echo function ----------------------

ECHO_APP = """
import base64, json

def lambda_handler(event, context):
    if event["path"].startswith("/binary"):
        return {"statusCode": 200, "headers": {"Content-Type": "application/octet-stream"},
                "body": base64.b64encode(b"\\xff\\x00").decode(), "isBase64Encoded": True}
    if event["path"].startswith("/broken"):
        raise RuntimeError("boom")
    return {"statusCode": 200, "multiValueHeaders": {"X-Echo": ["a", "b"]},
            "body": json.dumps({"event": event, "function": context.function_name})}
"""


@pytest.fixture(scope="module")
def echo_template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    root = tmp_path_factory.mktemp("echo")
    (root / "echo").mkdir()
    (root / "echo" / "app.py").write_text(ECHO_APP)

    def api(method: str, path: str, **extra: Any) -> dict[str, Any]:
        return {
            "Type": "Api",
            "Properties": {"RestApiId": {"Ref": "Api"}, "Method": method, "Path": path, **extra},
        }

    template = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Api": {
                "Type": "AWS::Serverless::Api",
                "Properties": {
                    "StageName": "v1",
                    "Auth": {
                        "DefaultAuthorizer": "Keys",
                        "Authorizers": {
                            "Keys": {
                                "FunctionArn": {"Fn::GetAtt": ["Authorizer", "Arn"]},
                                "FunctionPayloadType": "REQUEST",
                            }
                        },
                    },
                },
            },
            "Authorizer": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "CodeUri": str(REPO / "functions" / "authorizer"),
                    "Handler": "app.lambda_handler",
                },
            },
            "Echo": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "CodeUri": "echo/",
                    "Handler": "app.lambda_handler",
                    "Events": {
                        "Get": api("get", "/items/{itemId}"),
                        "Literal": api("get", "/items/special"),
                        "Post": api("post", "/items"),
                        "Greedy": api("any", "/files/{proxy+}"),
                        "Binary": api("get", "/binary"),
                        "Broken": api("get", "/broken"),
                        "Open": api("get", "/health", Auth={"Authorizer": "NONE"}),
                    },
                },
            },
        },
    }
    (root / "template.yaml").write_text(json.dumps(template))  # JSON is YAML
    return load_template(root / "template.yaml")


@pytest.fixture(scope="module")
def echo_server(echo_template: Template, local_engine: Engine) -> Iterator[str]:
    httpd = make_server(echo_template, port=0, verbose=False)
    thread = httpd.start_background()
    yield httpd.url
    httpd.shutdown()
    httpd.server_close()
    thread.join()


AUTH = {"Authorization": "local-dev-key"}


def echoed(
    base_url: str, method: str, path: str, headers: dict[str, str], body: bytes = b""
) -> dict[str, Any]:
    status, _, raw = request(base_url, method, path, headers, body)
    assert status == 200, raw
    return json.loads(raw)["event"]


def test_path_and_query_parameters(echo_server: str) -> None:
    event = echoed(echo_server, "GET", "/items/a%20b?tag=x&tag=y&empty=", {**AUTH, "wix-site-id": "s1"})
    assert event["resource"] == "/items/{itemId}"
    assert event["path"] == "/items/a%20b"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"itemId": "a b"}
    assert event["queryStringParameters"] == {"tag": "y", "empty": ""}
    assert event["multiValueQueryStringParameters"] == {"tag": ["x", "y"], "empty": [""]}
    assert event["headers"]["wix-site-id"] == "s1"  # header names arrive as the client sent them
    assert event["multiValueHeaders"]["Authorization"] == ["local-dev-key"]
    assert event["stageVariables"] is None
    assert event["body"] is None and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["stage"] == "v1"
    assert context["resourcePath"] == "/items/{itemId}"
    assert context["httpMethod"] == "GET"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["requestId"]
    assert context["authorizer"] == {
        "principalId": "stores:639749a5cb1db88617891bf0",
        "stores": '["639749a5cb1db88617891bf0"]',
    }


def test_literal_route_beats_path_parameter_and_no_query_is_none(echo_server: str) -> None:
    event = echoed(echo_server, "GET", "/items/special", AUTH)
    assert event["resource"] == "/items/special"
    assert event["pathParameters"] is None
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None


def test_greedy_path_and_any_method(echo_server: str) -> None:
    event = echoed(echo_server, "DELETE", "/files/a/b/c.txt", AUTH)
    assert event["pathParameters"] == {"proxy": "a/b/c.txt"}
    assert event["resource"] == "/files/{proxy+}"


def test_bodies_text_and_binary(echo_server: str) -> None:
    event = echoed(echo_server, "POST", "/items", {**AUTH, "Content-Type": "application/json"}, b'{"a": 1}')
    assert (event["body"], event["isBase64Encoded"]) == ('{"a": 1}', False)
    event = echoed(echo_server, "POST", "/items", AUTH, b"\xff\xfe")
    assert (event["body"], event["isBase64Encoded"]) == ("//4=", True)


def test_response_headers_and_base64_body(echo_server: str) -> None:
    status, headers, raw = request(echo_server, "GET", "/binary", AUTH)
    assert (status, raw, headers["Content-Type"]) == (200, b"\xff\x00", "application/octet-stream")
    status, _, raw = request(echo_server, "GET", "/items/1", AUTH)
    assert json.loads(raw)["function"] == "Echo"


def test_route_without_authorizer_is_open(echo_server: str) -> None:
    assert echoed(echo_server, "GET", "/health", {})["requestContext"]["authorizer"] is None


def test_handler_exception_is_502(echo_server: str) -> None:
    status, _, raw = request(echo_server, "GET", "/broken", AUTH)
    assert (status, json.loads(raw)) == (502, {"message": "Internal server error"})


def test_body_over_10_mb_is_413(echo_template: Template) -> None:
    response = Gateway(echo_template).handle(
        "POST", "/items", list(AUTH.items()), b"x" * (10 * 1024 * 1024 + 1)
    )
    assert response.status == 413


def test_denying_policy_is_403(echo_template: Template) -> None:
    deny = {
        "principalId": "x",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": "*"}],
        },
    }
    gateway = Gateway(echo_template, invoker=lambda function_id, event: deny)
    response = gateway.handle("GET", "/items/1", list(AUTH.items()), b"")
    assert (response.status, json.loads(response.body)) == (
        403,
        {"message": "User is not authorized to access this resource"},
    )


def test_policy_evaluation() -> None:
    arn = "arn:aws:execute-api:us-east-1:123456789012:local/v1/GET/items/1"

    def policy(*statements: tuple[str, str]) -> dict[str, Any]:
        return {
            "Statement": [{"Action": "execute-api:Invoke", "Effect": e, "Resource": r} for e, r in statements]
        }

    assert policy_allows(policy(("Allow", "arn:aws:execute-api:us-east-1:123456789012:local/v1/*/*")), arn)
    assert not policy_allows(
        policy(("Allow", "arn:aws:execute-api:us-east-1:123456789012:local/v1/POST/*")), arn
    )
    assert not policy_allows(policy(("Allow", "*"), ("Deny", arn)), arn)
    assert not policy_allows({}, arn)


# --- the real template's API: authorization and unknown routes (no handler is needed for these) ----------

DECREMENT = "/stores/v3/bulk/inventory-items/decrement-by-variant-and-location"


def test_missing_key_is_401(server: str) -> None:
    status, headers, raw = request(server, "POST", DECREMENT, {"Content-Type": "application/json"}, b"{}")
    assert (status, json.loads(raw)) == (401, {"message": "Unauthorized"})
    assert headers["Content-Type"] == "application/json"


def test_unknown_key_is_401(server: str) -> None:
    status, _, raw = request(server, "GET", "/stores/v3/inventory-items/x", {"Authorization": "nope"})
    assert (status, json.loads(raw)) == (401, {"message": "Unauthorized"})


@pytest.mark.parametrize(("method", "path"), [("GET", "/nowhere"), ("DELETE", "/stores/v3/inventory-items")])
def test_unknown_route_is_api_gateways_403(server: str, method: str, path: str) -> None:
    status, _, raw = request(server, method, path, AUTH)
    assert (status, json.loads(raw)) == (403, {"message": "Missing Authentication Token"})
