"""A hung DynamoDB, over HTTP: every request to the inventory table held past the function's deadline, as a
proxy in front of the engine does here. The requests still reach the engine, late, and are applied there:
the answer cannot know, and must say so.

- The call is answered within its function's deadline (Timeout in the template, as Lambda gives it), with
  each line applied or OUTCOME_UNKNOWN, never a silence that API Gateway turns into a 504.
- It costs at most 3x the DynamoDB requests of the same call on a healthy table (the retry budget).
- Once DynamoDB is back, the retry with the same Idempotency-Key applies every line exactly once: the first
  answer was not remembered, and the retry's writes are the first call's (their witnesses decide).
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest

from stockroom.adapters.dynamodb.client import reset_client
from stockroom.adapters.dynamodb.inventory import DynamoDBInventoryRepository
from stockroom.adapters.dynamodb.layout import item_pk, table_name
from stockroom.core.domain import ItemDraft, ItemKey
from stockroom.core.service import InventoryService
from stockroom_local.engine import Engine
from stockroom_local.gateway import GatewayServer, make_server
from stockroom_local.template import Template
from tests.support import DECREMENT_BY_VARIANT, Api

KEY = "hung-key"
# The function's Timeout for this test (the template's is 29 s, API Gateway's limit): small, so the test is
# quick, and the hold longer than any request's share of it.
DEADLINE_SECONDS = 5
HOLD_SECONDS = 3.5
LINES = 50


def tables_named(body: bytes) -> set[str]:
    """Every table a DynamoDB request names (TableName anywhere, or a BatchGetItem's RequestItems)."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for name, inner in value.items():
                if name == "TableName" and isinstance(inner, str):
                    found.add(inner)
                elif name == "RequestItems" and isinstance(inner, dict):
                    found.update(inner)
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(json.loads(body or b"{}"))
    return found


class HoldingProxy(ThreadingHTTPServer):
    """A DynamoDB endpoint in front of the engine: while `holding`, each request to the inventory table
    waits HOLD_SECONDS and is then forwarded (so it is applied, late, whatever its client decided). Counts
    the inventory table's requests, and knows how many are still held."""

    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.removeprefix("http://")
        self.holding = False
        self.lock = threading.Lock()
        self.requests = 0
        self.in_flight = 0
        super().__init__(("127.0.0.1", 0), _Handler)
        self.thread = threading.Thread(target=self.serve_forever, name="holding-proxy", daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def drained(self) -> None:
        """Wait until every held request has reached the engine (bounded: they each wait HOLD_SECONDS)."""
        for _ in range(int(HOLD_SECONDS * 40) + 200):
            with self.lock:
                if self.in_flight == 0:
                    return
            time.sleep(0.05)
        raise AssertionError("held requests never reached the engine")

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self.thread.join()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: HoldingProxy

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        inventory = table_name() in tables_named(body)
        with self.server.lock:
            self.server.requests += inventory
            self.server.in_flight += 1
            hold = inventory and self.server.holding
        try:
            if hold:
                time.sleep(HOLD_SECONDS)
            upstream = http.client.HTTPConnection(self.server.upstream, timeout=30)
            try:
                upstream.request("POST", self.path, body, dict(self.headers.items()))
                answer = upstream.getresponse()
                payload = answer.read()
            finally:
                upstream.close()
        finally:
            with self.server.lock:
                self.server.in_flight -= 1
        try:
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() in ("content-type", "x-amz-crc32"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass  # the client gave up waiting (its read timeout): the request was applied all the same

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def store(clean_tables: Engine, monkeypatch: pytest.MonkeyPatch) -> str:
    store_id = f"hung-{uuid.uuid4().hex[:12]}"
    keys = json.loads(os.environ["STOCKROOM_API_KEYS"])
    monkeypatch.setenv("STOCKROOM_API_KEYS", json.dumps({**keys, KEY: [store_id]}))
    return store_id


@pytest.fixture
def direct(clean_tables: Engine) -> Any:
    return boto3.client("dynamodb", endpoint_url=clean_tables.endpoint_url)


@pytest.fixture
def proxy(clean_tables: Engine) -> Iterator[HoldingProxy]:
    proxy = HoldingProxy(clean_tables.endpoint_url)
    yield proxy
    proxy.holding = False
    proxy.drained()
    proxy.stop()


@pytest.fixture
def api(proxy: HoldingProxy, template: Template, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    """The local API Gateway, handlers in this process with a DEADLINE_SECONDS Timeout, their DynamoDB
    client pointed at the proxy."""
    function = template.functions["WixInventoryFunction"]
    short = dataclasses.replace(
        template,
        functions={
            **template.functions,
            "WixInventoryFunction": dataclasses.replace(function, timeout_s=DEADLINE_SECONDS),
        },
    )
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", proxy.url)
    reset_client()
    httpd: GatewayServer = make_server(short, port=0, verbose=False, environments=0)
    thread = httpd.start_background()
    try:
        yield Api(httpd.url, key=KEY)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
        monkeypatch.undo()
        reset_client()


def create_items(direct: Any, store: str, quantity: int) -> list[ItemKey]:
    service = InventoryService(DynamoDBInventoryRepository(direct))
    audit = service.audit_context("setup", "CREATE")
    drafts = [ItemDraft(variant_id=f"v{i:03d}", quantity=quantity) for i in range(LINES)]
    assert all(r.success for r in service.create_items(store, drafts, audit, return_entity=False))
    return [service.item_key(store, d.variant_id, None) for d in drafts]


def quantities(direct: Any, keys: list[ItemKey]) -> list[int]:
    return [
        int(
            direct.get_item(
                TableName=table_name(),
                Key={"pk": {"S": item_pk(key)}, "sk": {"S": "ITEM"}},
                ConsistentRead=True,
            )["Item"]["quantity"]["N"]
        )
        for key in keys
    ]


def decrement(api: Api, keys: list[ItemKey], idempotency_key: str) -> Any:
    return api.post(
        DECREMENT_BY_VARIANT,
        {
            "decrementData": [
                {"variantId": k.variant_id, "locationId": k.location_id, "decrementBy": 1} for k in keys
            ],
            "reason": "ORDER",
        },
        headers={"Idempotency-Key": idempotency_key},
    )


def codes(answer: Any) -> list[str]:
    return [
        "APPLIED" if r["itemMetadata"]["success"] else r["itemMetadata"]["error"]["code"]
        for r in answer.body["results"]
    ]


def test_a_hung_table_is_answered_in_time_and_the_retry_applies_every_line_once(
    api: Api, proxy: HoldingProxy, direct: Any, store: str
) -> None:
    keys = create_items(direct, store, quantity=10)

    # The same call on a healthy table: what the fault-free path costs.
    healthy = decrement(api, keys, "healthy")
    assert codes(healthy) == ["APPLIED"] * LINES
    fault_free = proxy.requests

    proxy.requests = 0
    proxy.holding = True
    started = time.monotonic()
    first = decrement(api, keys, "order-7")
    answered_after = time.monotonic() - started
    sent = proxy.requests

    # Answered by the function's deadline (API Gateway's 504 otherwise): a correctness bound, not a
    # performance figure. The handler keeps 1 s of it for the answer; this clock also counts the local
    # gateway and client around it, which a loaded machine slows (5.01 s seen once), hence the half second.
    assert answered_after < DEADLINE_SECONDS + 0.5, answered_after
    assert first.status == 200, first.body
    # Each line applied, or plainly unknown: never "nothing was applied" for a write that was sent.
    assert set(codes(first)) <= {"APPLIED", "OUTCOME_UNKNOWN"}, codes(first)
    assert "OUTCOME_UNKNOWN" in codes(first)
    # The retry budget: no storm against a hung table.
    assert sent <= 3 * fault_free, (sent, fault_free)

    # DynamoDB is back; the held requests have all been applied by now.
    proxy.holding = False
    proxy.drained()
    retry = decrement(api, keys, "order-7")
    assert retry.status == 200, retry.body
    assert "Idempotent-Replayed" not in retry.headers  # the unsettled first answer was not remembered
    assert codes(retry) == ["APPLIED"] * LINES
    # Exactly once: 10, the healthy call's 1, and this order's 1.
    assert quantities(direct, keys) == [8] * LINES
    # Now settled, the answer is remembered and replayed.
    replay = decrement(api, keys, "order-7")
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert quantities(direct, keys) == [8] * LINES
