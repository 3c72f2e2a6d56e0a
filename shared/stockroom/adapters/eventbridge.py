"""Publishing to EventBridge: the one place that knows PutEvents and turns its failures into PublishFailed."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from stockroom.core.errors import PublishFailed

SOURCE = "stockroom.inventory"
PUT_EVENTS_LIMIT = 10  # entries a PutEvents call takes

Event = tuple[str, Mapping[str, Any]]  # (detail-type, detail)

_client_lock = threading.Lock()
_client: Any = None


def events_client() -> Any:
    """One client per process. The endpoint comes from AWS_ENDPOINT_URL_EVENTS / AWS_ENDPOINT_URL, so the
    same code reaches EventBridge or the local engine."""
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                _client = boto3.client(
                    "events",
                    config=Config(
                        connect_timeout=2, read_timeout=5, retries={"mode": "adaptive", "max_attempts": 5}
                    ),
                )
    return _client


def reset_client() -> None:
    """Forget the cached client (tests and the local runtime change endpoints)."""
    global _client
    with _client_lock:
        _client = None


def event_bus_name() -> str:
    return os.environ.get("EVENT_BUS_NAME", "default")


def publish(events: Sequence[Event]) -> None:
    """Put every event on the bus, or raise PublishFailed (some may then be out already: at least once)."""
    entries = [
        {
            "Source": SOURCE,
            "DetailType": detail_type,
            "Detail": json.dumps(detail, separators=(",", ":")),
            "EventBusName": event_bus_name(),
        }
        for detail_type, detail in events
    ]
    for start in range(0, len(entries), PUT_EVENTS_LIMIT):
        try:
            answer = events_client().put_events(Entries=entries[start : start + PUT_EVENTS_LIMIT])
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            raise PublishFailed(f"EventBridge refused the events ({code}).") from error
        except BotoCoreError as error:
            raise PublishFailed(f"EventBridge did not answer ({type(error).__name__}).") from error
        if answer.get("FailedEntryCount"):
            codes = sorted({e["ErrorCode"] for e in answer.get("Entries", []) if e.get("ErrorCode")})
            raise PublishFailed(f"EventBridge failed {answer['FailedEntryCount']} event(s): {codes}.")
