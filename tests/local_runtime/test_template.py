"""template.yaml: every function runs locally, every route is served, permissions are least-privilege."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from stockroom.adapters.eventbridge import SOURCE
from stockroom_local.gateway import Gateway
from stockroom_local.template import Template

EVENTS = Path(__file__).resolve().parents[2] / "events"


def test_every_function_has_a_sample_event(template: Template) -> None:
    for logical_id in template.functions:
        assert sorted((EVENTS / logical_id).glob("*.json")), f"no sample event in events/{logical_id}/"


def test_every_function_has_its_code(template: Template) -> None:
    for function in template.functions.values():
        module = function.handler.rpartition(".")[0]
        assert (function.code_uri / f"{module.replace('.', '/')}.py").is_file(), function.logical_id


def test_gateway_serves_every_api_route(template: Template) -> None:
    gateway = Gateway(template, invoker=lambda function_id, event: None)
    assert template.routes
    for route in template.routes:
        concrete = route.path.replace("{", "x").replace("}", "")  # /items/{id} -> /items/xid
        found = gateway.match(route.method, concrete)
        assert found is not None and found[0] == route, route


def test_every_api_route_but_the_documentation_requires_the_api_key(template: Template) -> None:
    assert template.authorizer_function == "AuthorizerFunction"
    public = {(r.method.upper(), r.path) for r in template.routes if r.authorizer_id != "AuthorizerFunction"}
    assert public == {("GET", "/openapi.json"), ("GET", "/swagger")}
    assert all(r.function_id == "ApiDocsFunction" for r in template.routes if not r.authorized)


def _statements(resource: dict[str, Any]) -> list[dict[str, Any]]:
    statements = []
    for policy in resource.get("Properties", {}).get("Policies", []):
        # Managed policies and SAM policy templates (DynamoDBCrudPolicy...) are broader than we allow.
        assert isinstance(policy, dict) and "Statement" in policy, f"not an inline policy: {policy!r}"
        statements += policy["Statement"]
    return statements


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_dynamodb_permissions_are_least_privilege(template: Template) -> None:
    for logical_id, resource in template.resources.items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for statement in _statements(resource):
            actions = _as_list(statement["Action"])
            if not any(a.startswith("dynamodb:") for a in actions):
                continue
            assert not any("*" in a for a in actions), (logical_id, actions)
            for arn in _as_list(statement["Resource"]):
                assert "*" not in str(arn), (logical_id, arn)
                # Only our own tables (or their indexes, via !Sub "${Table.Arn}/index/...").
                assert isinstance(arn, dict) and ("Fn::GetAtt" in arn or "Fn::Sub" in arn), (logical_id, arn)


def test_table_is_protected_and_streams(template: Template) -> None:
    table = template.tables["InventoryTable"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table["DeletionProtectionEnabled"] == {"Fn::If": ["DeletionProtectionOn", True, False]}
    # On unless the deployer says otherwise, and the data outlives the stack and any replacement.
    assert template.parameters["DeletionProtection"] == "true"
    resource = template.resources["InventoryTable"]
    assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == ("Retain", "Retain")


def test_the_store_functions_cannot_touch_api_key_records(template: Template) -> None:
    """Every statement of the Wix, Prosperna and order functions on the table is limited to STORE# keys, so a
    bug or an injected key can never write an APIKEY# (or APIKEYPREFIX#) record."""
    table_arn = {"Fn::GetAtt": ["InventoryTable", "Arn"]}
    for logical_id in ("WixInventoryFunction", "ProspernaStockFunction", "OrderPlacedFunction"):
        on_table = [s for s in _statements(template.resources[logical_id]) if s["Resource"] == table_arn]
        assert on_table, logical_id
        for statement in on_table:
            assert statement["Condition"] == {
                "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["STORE#*"]}
            }
            assert statement["Effect"] == "Allow"


def test_the_api_sheds_load_and_logs_access(template: Template) -> None:
    api = template.resources["StockroomApi"]["Properties"]
    [settings] = api["MethodSettings"]
    assert (settings["ResourcePath"], settings["HttpMethod"]) == ("/*", "*")
    assert settings["ThrottlingRateLimit"] == {"Ref": "ApiThrottlingRateLimit"}
    assert settings["ThrottlingBurstLimit"] == {"Ref": "ApiThrottlingBurstLimit"}
    assert api["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    assert "$context.requestId" in api["AccessLogSetting"]["Format"]
    # One client's flood of API calls cannot take the concurrency OrderPlacedFunction needs.
    resources = template.resources
    for logical_id in ("WixInventoryFunction", "ProspernaStockFunction"):
        reserved = resources[logical_id]["Properties"]["ReservedConcurrentExecutions"]
        assert reserved == {"Ref": "ApiReservedConcurrency"}, logical_id
    orders = resources["OrderPlacedFunction"]["Properties"]
    assert orders["ReservedConcurrentExecutions"] == {"Ref": "OrderReservedConcurrency"}
    scaling = orders["Events"]["OrderPlaced"]["Properties"]["ScalingConfig"]
    assert scaling == {"MaximumConcurrency": {"Ref": "OrderReservedConcurrency"}}


def test_alarms_watch_every_dead_letter_queue_5xx_and_throttles(template: Template) -> None:
    alarms = {
        k: v["Properties"] for k, v in template.resources.items() if v["Type"] == "AWS::CloudWatch::Alarm"
    }
    watched_queues = {
        alarm["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for alarm in alarms.values()
        if alarm.get("Namespace") == "AWS/SQS"
    }
    queues = {k for k, v in template.resources.items() if v["Type"] == "AWS::SQS::Queue"}
    assert watched_queues == queues - {"OrderPlacedQueue"}  # every queue where messages wait for a person
    assert any(
        a.get("MetricName") == "5XXError" and a.get("Namespace") == "AWS/ApiGateway" for a in alarms.values()
    )
    throttled = {
        dimension["Value"]["Ref"]
        for alarm in alarms.values()
        for metric in [
            alarm,
            *(m["MetricStat"]["Metric"] for m in alarm.get("Metrics", []) if "MetricStat" in m),
        ]
        if metric.get("MetricName") == "Throttles"
        for dimension in metric["Dimensions"]
    }
    assert throttled == {"WixInventoryFunction", "ProspernaStockFunction", "OrderPlacedFunction"}
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == {
            "Fn::If": ["AlarmTopicOn", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]
        }


def test_events_are_published_on_the_bus_only(template: Template) -> None:
    bus_arn = {
        "Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/${EventBusName}"
    }
    publishers = set()
    for logical_id, resource in template.resources.items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for statement in _statements(resource):
            if any(a.startswith("events:") for a in _as_list(statement["Action"])):
                assert (statement["Action"], statement["Resource"]) == ("events:PutEvents", bus_arn), (
                    logical_id
                )
                # Only as Stockroom (bus.SOURCE): never as the order service whose events we apply.
                assert statement["Condition"] == {"StringEquals": {"events:source": SOURCE}}, logical_id
                publishers.add(logical_id)
    assert publishers == {
        "OrderPlacedFunction",
        "AvailabilityFunction",
        "ItemEventsFunction",
        "ReservationExpiryFunction",
    }


def test_event_sources_return_only_failed_records(template: Template) -> None:
    resources = template.resources
    orders = resources["OrderPlacedFunction"]["Properties"]["Events"]["OrderPlaced"]
    assert orders["Type"] == "SQS" and orders["Properties"]["FunctionResponseTypes"] == [
        "ReportBatchItemFailures"
    ]
    queue = resources["OrderPlacedQueue"]["Properties"]
    assert queue["RedrivePolicy"]["maxReceiveCount"] >= 1
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["OrderPlacedDeadLetterQueue", "Arn"]
    }
    rule = resources["OrderPlacedRule"]["Properties"]
    # Pinned to the configured sender, which the handler checks again.
    assert rule["EventPattern"] == {
        "detail-type": ["OrderPlaced"],
        "source": [{"Ref": "OrderEventSource"}],
        "account": [{"Ref": "AWS::AccountId"}],
    }
    variables = resources["OrderPlacedFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["ORDER_EVENT_SOURCE"] == {"Ref": "OrderEventSource"}
    assert variables["ORDER_EVENT_ACCOUNT"] == {"Ref": "AWS::AccountId"}
    assert variables["ORDERS_MAY_OVERSELL"] == {"Ref": "OrdersMayOversell"}
    assert template.parameters["OrdersMayOversell"] == "false"

    stream = resources["AvailabilityFunction"]["Properties"]["Events"]["ItemChanges"]["Properties"]
    assert stream["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert stream["BisectBatchOnFunctionError"] is True and stream["MaximumRetryAttempts"] >= 1
    assert stream["DestinationConfig"]["OnFailure"]["Type"] == "SQS"
    [pattern] = [json.loads(f["Pattern"]) for f in stream["FilterCriteria"]["Filters"]]
    assert pattern["dynamodb"]["Keys"]["sk"] == {"S": ["ITEM"]}
    assert pattern["dynamodb"]["NewImage"]["entity"] == {"S": ["InventoryItem"]}
