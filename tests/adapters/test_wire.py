"""The fast attribute-value paths of the DynamoDB client send and read exactly what the SDK's own would:
for any attribute values (nested maps and lists, sets, binary, null), in requests, answers and the
reasons of a cancelled transaction; and anything they do not know goes to the SDK's code unchanged."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import boto3
import jmespath
import pytest
from botocore.parsers import JSONParser
from botocore.serialize import JSONSerializer
from hypothesis import given
from hypothesis import strategies as st

from stockroom.adapters.dynamodb import endpoint_params, wire
from stockroom.adapters.dynamodb.client import dynamodb_client, reset_client

MODEL = boto3.client("dynamodb", region_name="us-east-1").meta.service_model
names = st.text(min_size=1, max_size=6)
scalars = st.one_of(
    st.builds(lambda s: {"S": s}, st.text(max_size=8)),
    st.builds(lambda i: {"N": str(i)}, st.integers()),
    st.builds(lambda b: {"BOOL": b}, st.booleans()),
    st.just({"NULL": True}),
    st.builds(lambda b: {"B": b}, st.binary(max_size=8)),
    st.builds(lambda ss: {"SS": ss}, st.lists(st.text(max_size=4), min_size=1, max_size=3, unique=True)),
    st.builds(lambda ns: {"NS": [str(n) for n in ns]}, st.sets(st.integers(), min_size=1, max_size=3)),
    st.builds(lambda bs: {"BS": bs}, st.lists(st.binary(max_size=4), min_size=1, max_size=3)),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.builds(lambda m: {"M": m}, st.dictionaries(names, inner, max_size=3)),
        st.builds(lambda items: {"L": items}, st.lists(inner, max_size=3)),
    ),
    max_leaves=12,
)
attribute_maps = st.dictionaries(names, values, min_size=1, max_size=4)


def serialized(serializer: JSONSerializer, operation: str, params: dict[str, Any]) -> Any:
    request = serializer.serialize_to_request(params, MODEL.operation_model(operation))
    return json.loads(request["body"]), request["headers"]


def as_wire(value: Any) -> Any:
    """What DynamoDB sends: binary as base64 text."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: as_wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_wire(v) for v in value]
    return value


def parsed(parser: JSONParser, operation: str, body: Any, status: int = 200) -> Any:
    response = {"status_code": status, "headers": {}, "body": json.dumps(body).encode()}
    operation_model = MODEL.operation_model(operation)
    answer = parser.parse(response, operation_model.output_shape)  # type: ignore[arg-type]
    if status >= 300:  # the modeled error's fields, as the SDK's endpoint adds them
        code = answer["Error"]["Code"]
        shape = next(s for s in operation_model.error_shapes if s.name == code)
        answer.update(parser.parse(response, shape))
    return answer


@given(item=attribute_maps, key=attribute_maps, value=values)
def test_requests_are_serialized_as_the_sdk_serializes_them(
    item: dict[str, Any], key: dict[str, Any], value: dict[str, Any]
) -> None:
    transaction = {
        "TransactItems": [
            {"Put": {"TableName": "t", "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}},
            {
                "Update": {
                    "TableName": "t",
                    "Key": key,
                    "UpdateExpression": "SET #a = :v",
                    "ExpressionAttributeNames": {"#a": "a"},
                    "ExpressionAttributeValues": {":v": value},
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
        ],
        "ClientRequestToken": "token",
    }
    reads = {"RequestItems": {"t": {"Keys": [key, item], "ConsistentRead": True}}}
    for operation, params in (("TransactWriteItems", transaction), ("BatchGetItem", reads)):
        assert serialized(wire.AttributeValueSerializer(), operation, params) == serialized(
            JSONSerializer(), operation, params
        )


@given(first=attribute_maps, second=attribute_maps)
def test_answers_are_parsed_as_the_sdk_parses_them(first: dict[str, Any], second: dict[str, Any]) -> None:
    reads = {
        "Responses": {"t": as_wire([first, second])},
        "UnprocessedKeys": {"t": {"Keys": as_wire([second])}},
    }
    cancelled = {
        "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
        "Message": "Transaction cancelled",
        "CancellationReasons": [
            {"Code": "ConditionalCheckFailed", "Item": as_wire(first)},
            {"Code": "None"},
        ],
    }
    cases = [("BatchGetItem", reads, 200), ("GetItem", {"Item": as_wire(first)}, 200)]
    cases.append(("TransactWriteItems", cancelled, 400))
    for operation, body, status in cases:
        fast = parsed(wire.AttributeValueParser(), operation, body, status)
        assert fast == parsed(JSONParser(), operation, body, status)
    assert parsed(wire.AttributeValueParser(), "GetItem", {"Item": as_wire(first)})["Item"] == first


@pytest.mark.parametrize(
    "odd",
    [
        {"S": "x", "FUTURE": {"a": 1}},  # a member DynamoDB may add one day
        {"S": None},
        {"M": None},
        {"L": "not a list"},
    ],
)
def test_what_the_fast_path_does_not_know_goes_to_the_sdk(odd: dict[str, Any]) -> None:
    body = {"Item": {"a": odd}}
    params = {"TableName": "t", "Key": {"a": odd}}
    same(lambda p: parsed(p, "GetItem", body), wire.AttributeValueParser(), JSONParser())
    same(lambda s: serialized(s, "GetItem", params), wire.AttributeValueSerializer(), JSONSerializer())


@pytest.mark.parametrize(
    "params",
    [
        {"TransactItems": [{"Put": {"TableName": "t", "Item": {"a": {"S": "x"}}}}], "Bogus": 1},
        {"TransactItems": [{"Put": {"TableName": "t", "Item": {"a": {"S": "x"}}, "Bogus": 1}}]},
        {"TransactItems": [{"Put": None}]},
        {"TransactItems": [{"Put": {"TableName": "t", "Item": [("a", {"S": "x"})]}}]},
        {"TransactItems": ({"Put": {"TableName": "t", "Item": {"a": {"S": "x"}}}},)},
        {"TransactItems": [{"Put": {"TableName": "t", "Item": {"a": {"B": "text, not bytes"}}}}]},
        {"TransactItems": [], "ClientRequestToken": None},
    ],
)
def test_requests_the_sdk_would_rewrite_or_refuse_take_its_walk(params: dict[str, Any]) -> None:
    """Unknown members, a null or a list where an object belongs, a tuple, text given as binary: the SDK's
    own answer (its body, or its error), never the parameters dumped as they are."""
    same(
        lambda s: serialized(s, "TransactWriteItems", params),
        wire.AttributeValueSerializer(),
        JSONSerializer(),
    )


def same(run: Callable[[Any], Any], fast: Any, stock: Any) -> None:
    """The same answer, or the same kind of error (the SDK refuses the value: so must the fast path)."""
    try:
        expected = run(stock)
    except Exception as error:
        with pytest.raises(type(error)):
            run(fast)
    else:
        assert run(fast) == expected


def test_the_adapter_client_has_the_fast_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    """If an SDK upgrade moved the parts install() replaces, this says so (the client would still work,
    only slower)."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    reset_client()
    try:
        client = dynamodb_client()
        assert type(client._serializer) is wire.AttributeValueSerializer
        assert type(client._endpoint._response_parser_factory.create_parser("json")) is (
            wire.AttributeValueParser
        )
        assert type(client._ruleset_resolver) is endpoint_params.TableNames
    finally:
        reset_client()


# Operations as callers may write them: any of the four kinds (or another), with a table name or not; and odd
# arguments (not a list, not an operation, an operation that is not an object).
kinds = st.sampled_from(["ConditionCheck", "Put", "Delete", "Update", "Other"])
table_names = st.one_of(st.none(), st.sampled_from(["t", "u", "arn:aws:dynamodb:us-east-1:1:table/v"]))
write_operations = st.dictionaries(
    kinds, st.builds(lambda t: {} if t is None else {"TableName": t}, table_names), max_size=4
)
odd_items = st.one_of(
    st.just("odd"),
    st.lists(
        st.one_of(st.none(), st.just("odd"), st.dictionaries(kinds, st.just("odd"), min_size=1)), min_size=1
    ),
)
transact_items = st.one_of(st.lists(write_operations, max_size=6), odd_items)


def same_table_names(operation: str, args: dict[str, Any]) -> None:
    model = MODEL.operation_model(operation)
    (name, parameter), *_ = model.operation_context_parameters.items()
    resolver = object.__new__(endpoint_params.TableNames)  # the method reads nothing of the resolver's state
    same(
        lambda resolve: resolve(name, model, args),
        resolver._resolve_param_as_operation_context_param,
        lambda _name, _model, args: jmespath.search(parameter["path"], args),
    )


@given(items=transact_items, requests=st.one_of(st.dictionaries(st.text(max_size=3), st.just({})), st.none()))
def test_endpoint_context_parameters_are_the_sdks(items: Any, requests: Any) -> None:
    """The table names the endpoint resolver gets are what the SDK's JMESPath gives (or the same error), for
    every operation that declares them: odd arguments go to JMESPath itself."""
    gets = [{"Get": item} for item in items] if isinstance(items, list) else items
    same_table_names("TransactWriteItems", {"TransactItems": items})
    same_table_names("TransactGetItems", {"TransactItems": gets})
    same_table_names("BatchGetItem", {"RequestItems": requests})
    same_table_names("BatchWriteItem", {})
