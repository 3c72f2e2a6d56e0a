"""The API functions' resolver: validation on, request bodies read strictly, answers written by orjson."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from stockroom.http.json_body import json_text, strict_json_deserializer


def rest_resolver(body: type, body_name: str) -> APIGatewayRestResolver:
    """`body`: the JSON type every request body must be (dict: an object; list: an array)."""
    return APIGatewayRestResolver(
        enable_validation=True,
        json_body_deserializer=strict_json_deserializer(body, body_name),
        serializer=json_text,
    )
