"""DynamoDB attribute values on the wire without the SDK's generic shape walk.

The SDK serializes and parses every `AttributeValue` by walking its model: for each value it looks at all
ten members of the shape, and dispatches per member by type. A 300-line request sends 600 operations and
reads 300 items back, and that walk was the biggest share of the server's CPU a line (more than the rules,
pydantic and HTTP together). On the JSON wire an attribute value is already what the SDK takes and gives
(`{"S": "x"}`, `{"N": "3"}`, `{"M": {...}}`), except binary values, which are base64 there and bytes in
Python. So these subclasses pass attribute values through as they are (copying only those with binary in
them, to decode or encode `B` and `BS` the SDK's own way), and hand anything else (an unknown member, a
null, a value of the wrong type) to the SDK's generic code, which then does exactly what it would have
done. tests/adapters/test_wire.py holds them equal to the SDK's own.

The JSON text itself is orjson's: the standard library's encoder took as long as the SDK's walk (a 300-line
request is about 370 KB of it), orjson a tenth of that. Whatever orjson will not encode exactly (binary,
Decimal, integers past 64 bits, keys that are not strings) goes to `json.dumps`, as the SDK would send it.

Most requests need no walk at all: for an operation whose shapes the SDK writes as they are (no renamed
member, no binary, timestamp or float outside attribute values: all of DynamoDB's item operations), the
SDK's output equals its input whenever every key names a member and every attribute value is plain. That is
checked along a plan made once per operation (`_plan`), which visits only structures and attribute values,
and the parameters are then dumped as they are; any other request takes the walk above.

The endpoint resolver's context parameters are computed without JMESPath: `endpoint_params`.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from botocore import parsers, serialize

from stockroom.adapters.dynamodb.endpoint_params import EndpointRulesetResolver, TableNames

# The parts overridden here are the SDK's private methods (its type stubs leave them out).
JSONSerializer: Any = serialize.JSONSerializer
JSONParser: Any = parsers.JSONParser
ResponseParserFactory: Any = parsers.ResponseParserFactory

ATTRIBUTE_VALUE = "AttributeValue"
# Members whose JSON form is their Python form.
_AS_IS = frozenset({"S", "N", "SS", "NS", "BOOL", "NULL"})


class _NotPlain(Exception):
    """A value the fast path does not know: the SDK's generic code handles it."""


def _plain(value: Any) -> bool:
    """Whether an attribute value is the same in JSON and in Python (no binary, no null, known members):
    then it goes through as it is, the very object, with nothing copied."""
    if type(value) is not dict:
        return False
    for member, inner in value.items():
        if member in _AS_IS:
            if inner is None:
                return False
        elif member == "M":
            if type(inner) is not dict or not _plain_map(inner):
                return False
        elif member == "L":
            if type(inner) is not list or not all(map(_plain, inner)):
                return False
        else:
            return False
    return True


def _plain_map(values: dict[str, Any]) -> bool:
    for value in values.values():
        if type(value) is dict and len(value) == 1:  # most values: one scalar member, checked in line
            for member, inner in value.items():
                if member in _AS_IS and inner is not None:
                    break
            else:
                if not _plain(value):
                    return False
        elif not _plain(value):
            return False
    return True


def _copy(value: Any, blob: Any) -> dict[str, Any]:
    """One attribute value with binary in it: members copied, `B`/`BS` converted by `blob`, `M`/`L`
    recursively."""
    if type(value) is not dict:
        raise _NotPlain
    out: dict[str, Any] = {}
    for member, inner in value.items():
        if member in _AS_IS and inner is not None:
            out[member] = inner
        elif member == "M" and type(inner) is dict:
            out[member] = _through_map(inner, blob)
        elif member == "L" and type(inner) is list:
            out[member] = [_through(item, blob) for item in inner]
        elif member == "B":
            out[member] = blob(inner)
        elif member == "BS" and type(inner) is list:
            out[member] = [blob(item) for item in inner]
        else:
            raise _NotPlain
    return out


def _through(value: Any, blob: Any) -> Any:
    return value if _plain(value) else _copy(value, blob)


def _through_map(values: dict[str, Any], blob: Any) -> dict[str, Any]:
    if _plain_map(values):
        return values
    return {name: _through(value, blob) for name, value in values.items()}


class _NotVerbatim(Exception):
    """A shape the SDK rewrites on its way to JSON (or one this module does not know)."""


_AS_WRITTEN = frozenset({"string", "integer", "long", "boolean"})  # the SDK writes the value itself
_AV, _AV_MAP = "attribute value", "map of attribute values"


def _plan(shape: Any, depth: int = 0) -> Any:
    """What to check of a value of `shape` for the SDK to write it as it is: None (nothing), _AV, _AV_MAP,
    ("list", plan), ("map", plan) or ("structure", member names, ((member, plan), ...))."""
    if depth > 20:  # a recursive shape other than AttributeValue
        raise _NotVerbatim
    kind = shape.type_name
    if shape.name == ATTRIBUTE_VALUE:
        return _AV
    if kind in _AS_WRITTEN:
        return None
    if kind == "list":
        inner = _plan(shape.member, depth + 1)
        return None if inner is None else ("list", inner)
    if kind == "map":
        if shape.value.name == ATTRIBUTE_VALUE:
            return _AV_MAP
        inner = _plan(shape.value, depth + 1)
        return None if inner is None else ("map", inner)
    if kind == "structure" and not shape.is_document_type:
        members = shape.members
        if any("name" in member.serialization for member in members.values()):
            raise _NotVerbatim
        checks = tuple(
            (name, plan) for name, member in members.items() if (plan := _plan(member, depth + 1)) is not None
        )
        return ("structure", frozenset(members), checks)
    raise _NotVerbatim  # blob, timestamp, float, double, document


def _verbatim(value: Any, plan: Any) -> bool:
    """Whether the SDK would write `value` (of the shape `plan` was made for) as it is."""
    if plan is None:
        return True
    if plan is _AV:
        return _plain(value)
    if plan is _AV_MAP:
        return type(value) is dict and _plain_map(value)
    kind, *rest = plan
    if kind == "structure":
        names, checks = rest
        if type(value) is not dict or not value.keys() <= names:  # an unknown member: the SDK raises
            return False
        return all(name not in value or _verbatim(value[name], inner) for name, inner in checks)
    (inner,) = rest
    if kind == "list":
        return type(value) is list and all(_verbatim(item, inner) for item in value)
    return type(value) is dict and all(_verbatim(item, inner) for item in value.values())


def _dumps(body: Any) -> bytes:
    try:
        return orjson.dumps(body)
    except TypeError:  # orjson's JSONEncodeError: what json.dumps may still take (or refuse the same way)
        return json.dumps(body).encode()


class AttributeValueSerializer(JSONSerializer):
    """The SDK's JSON serializer, with attribute values (and maps of them) passed through. The request's
    body is dumped to JSON at once, so sharing the caller's objects is safe: nothing writes to them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[str, Any] = {}  # by operation name; False: not verbatim

    def _plan_for(self, operation_model: Any) -> Any:
        plan = self._plans.get(operation_model.name)
        if plan is None:
            try:
                plan = _plan(operation_model.input_shape)
            except _NotVerbatim:
                plan = False
            self._plans[operation_model.name] = plan
        return plan

    def serialize_to_request(self, parameters: Any, operation_model: Any) -> Any:
        if operation_model.endpoint or operation_model.input_shape is None:  # a host prefix: the SDK's way
            return super().serialize_to_request(parameters, operation_model)
        # The SDK's request for no parameters (method, target and content-type headers, URL), with the
        # body dumped by orjson: the parameters themselves where the SDK would write them as they are.
        request = super().serialize_to_request({}, operation_model)
        plan = self._plan_for(operation_model)
        if plan is not False and _verbatim(parameters, plan):
            body = parameters
        else:
            body = self.MAP_TYPE()
            self._serialize(body, parameters, operation_model.input_shape)
        request["body"] = _dumps(body)
        return request

    def _serialize_type_structure(self, serialized: Any, value: Any, shape: Any, key: Any) -> None:
        if shape.name == ATTRIBUTE_VALUE and key is not None:
            try:
                serialized[key] = _through(value, self._get_base64)
                return
            except _NotPlain:
                pass
        super()._serialize_type_structure(serialized, value, shape, key)

    def _serialize_type_map(self, serialized: Any, value: Any, shape: Any, key: Any) -> None:
        if shape.value.name == ATTRIBUTE_VALUE and type(value) is dict:
            try:
                serialized[key] = _through_map(value, self._get_base64)
                return
            except _NotPlain:
                pass
        super()._serialize_type_map(serialized, value, shape, key)


class AttributeValueParser(JSONParser):
    """The SDK's JSON parser, with attribute values (and maps of them) passed through: the objects the
    body's JSON decoded to, which nothing else holds. The body is decoded by orjson (the SDK's way for
    what orjson refuses)."""

    def _parse_body_as_json(self, body_contents: bytes) -> Any:
        if body_contents:
            try:
                return orjson.loads(body_contents)
            except orjson.JSONDecodeError:
                pass
        return super()._parse_body_as_json(body_contents)

    def _handle_structure(self, shape: Any, value: Any) -> Any:
        if shape.name == ATTRIBUTE_VALUE:
            try:
                return _through(value, self._blob_parser)
            except _NotPlain:
                pass
        return super()._handle_structure(shape, value)

    def _handle_map(self, shape: Any, value: Any) -> Any:
        if shape.value.name == ATTRIBUTE_VALUE and type(value) is dict:
            try:
                return _through_map(value, self._blob_parser)
            except _NotPlain:
                pass
        return super()._handle_map(shape, value)


class _ParserFactory(ResponseParserFactory):
    def create_parser(self, protocol_name: str) -> Any:
        if parsers.PROTOCOL_PARSERS.get(protocol_name) is JSONParser:
            return AttributeValueParser(**self._defaults)
        return super().create_parser(protocol_name)


def install(client: Any) -> bool:
    """Give a DynamoDB client the fast paths (its serializer, its endpoint's parser factory, its endpoint
    resolver's context parameters). The SDK exposes no public hook for them, so this checks that the parts
    are the ones it replaces, and leaves the client as it is otherwise (slower, never different). Returns
    whether it installed them."""
    serializer: Any = getattr(client, "_serializer", None)
    endpoint: Any = getattr(client, "_endpoint", None)
    factory: Any = getattr(endpoint, "_response_parser_factory", None)
    resolver: Any = getattr(client, "_ruleset_resolver", None)
    if (
        type(serializer) is not JSONSerializer
        or type(factory) is not ResponseParserFactory
        or type(resolver) is not EndpointRulesetResolver
    ):
        return False
    client._serializer = AttributeValueSerializer(timestamp_precision=serializer._timestamp_precision)
    fast = _ParserFactory()
    fast._defaults = dict(factory._defaults)
    endpoint._response_parser_factory = fast
    # The same resolver (its provider, caches and settings), with the method above in place of the SDK's.
    resolver.__class__ = TableNames
    return True
