"""What the Prosperna routes share: the store a call acts on (its `store_id`), and metrics."""

from __future__ import annotations

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

from stockroom.http.auth import choose_store, stores_from_event

TAGS = ["Prosperna stock"]

metrics = Metrics()  # shares its metric set with the handler's, which flushes it


def current_store(event: BaseProxyEvent) -> str:
    """The store named by `store_id`, if the caller's key covers it."""
    return choose_store(
        stores_from_event(event.raw_event), (event.query_string_parameters or {}).get("store_id")
    )
