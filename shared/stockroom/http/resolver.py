"""The API functions' resolver: validation on, request bodies read strictly, answers written by orjson."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from stockroom.http.json_body import json_text, strict_json_deserializer


def rest_resolver(body: type, body_name: str) -> APIGatewayRestResolver:
    """`body`: the JSON type every request body must be (dict: an object; list: an array)."""
    resolvers: list[APIGatewayRestResolver] = []  # the one built below: its request is the one being read
    app = APIGatewayRestResolver(
        enable_validation=True,
        # A body is read only once its headers say it is JSON, sent as it is.
        json_body_deserializer=strict_json_deserializer(
            body, body_name, headers=lambda: resolvers[0].current_event.headers
        ),
        serializer=json_text,
    )
    resolvers.append(app)
    return app
