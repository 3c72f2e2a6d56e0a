"""Faults injected on the wire, under the whole real code path: the handlers, run in process behind the local
API Gateway, reach the embedded engine through a proxy that throttles, fails, cancels with a conflict, or
applies a request and then drops its answer (the case ClientRequestToken exists for).

Whatever happens, a Wix line is applied exactly once, or reported TEMPORARILY_UNAVAILABLE with nothing
changed, or OUTCOME_UNKNOWN (applied once or not at all); a Prosperna order is applied whole (200) or not at
all (503 with Retry-After), or, where its answer was lost, one of the two (503 saying so).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from botocore.retries.adaptive import ClientRateLimiter
from botocore.retries.standard import ExponentialBackoff

from stockroom.adapters.dynamodb.client import reset_client
from stockroom.adapters.dynamodb.inventory import DynamoDBInventoryRepository
from stockroom.adapters.dynamodb.layout import item_pk, table_name
from stockroom.core.domain import ItemDraft, ItemKey
from stockroom.core.service import InventoryService
from stockroom_local.engine import Engine
from stockroom_local.gateway import GatewayServer, make_server
from stockroom_local.template import Template
from tests.support import Api

# FAULT_RATE and FAULT_SEED in the environment try other mixes (e.g. a loop over seeds).
FAULT_RATE = float(os.environ.get("FAULT_RATE", "0.25"))
SEED = int(os.environ.get("FAULT_SEED", "20240606"))
KEY = "fault-key"
DYNAMODB_ERROR = "com.amazonaws.dynamodb.v20120810#"

FORWARD, THROTTLE, INTERNAL, CONFLICT, DROP = "forward", "throttle", "internal", "conflict", "drop"
# Every kind of fault at least once, whatever the random choices. The first transaction is applied, its
# answer lost, and every SDK retry (5 attempts in all) throttled: it was applied, and must be reported so.
# The second is applied, its answer lost, and its retry answered through its token: applied once.
APPLIED_THEN_THROTTLED = [DROP, THROTTLE, THROTTLE, THROTTLE, THROTTLE]
SCRIPTS = [APPLIED_THEN_THROTTLED, [DROP, FORWARD], [INTERNAL, CONFLICT]]


class FaultProxy(ThreadingHTTPServer):
    """A DynamoDB endpoint in front of the engine that, per request and by a seeded random choice, forwards
    it, or answers a fault without forwarding, or forwards it and drops the answer. Counts what it did."""

    daemon_threads = True

    def __init__(self, upstream: str, rate: float, seed: int, scripts: list[list[str]]) -> None:
        self.upstream = upstream.removeprefix("http://")
        self.rate = rate
        self.random = random.Random(seed)
        # The first transactions (by token) get these faults, attempt after attempt; the rest, random ones.
        self.scripts = scripts
        self.scripted: dict[str, tuple[list[str], str]] = {}  # token -> (faults left, the item it changes)
        self.lock = threading.Lock()
        self.faults: Counter[tuple[str, str]] = Counter()  # (operation, kind) -> requests
        self.dropped_tokens: set[str] = set()  # TransactWriteItems applied whose answer was dropped
        self.replayed_after_drop = 0  # ...and then answered 200 for the same token, delivered
        super().__init__(("127.0.0.1", 0), _FaultHandler)
        self.thread = threading.Thread(target=self.serve_forever, name="fault-proxy", daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def choose(self, operation: str, body: bytes) -> str:
        kinds = [THROTTLE, INTERNAL, DROP] + ([CONFLICT] if operation == "TransactWriteItems" else [])
        with self.lock:
            scripted = None
            if operation == "TransactWriteItems":
                request = json.loads(body)
                token = request.get("ClientRequestToken", "")
                if token not in self.scripted and len(self.scripted) < len(self.scripts):
                    first = next(iter(request["TransactItems"][0].values()))
                    item_pk = (first.get("Key") or first["Item"])["pk"]["S"]  # an update, or a put
                    self.scripted[token] = (list(self.scripts[len(self.scripted)]), item_pk)
                scripted = self.scripted.get(token, ([], ""))[0]
            if scripted:
                kind = scripted.pop(0)
            elif self.random.random() < self.rate:
                kind = self.random.choice(kinds)
            else:
                kind = FORWARD
            self.faults[operation, kind] += 1
        return kind

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self.thread.join()


class _FaultHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: FaultProxy

    def setup(self) -> None:
        super().setup()
        self.upstream = http.client.HTTPConnection(self.server.upstream, timeout=30)

    def finish(self) -> None:
        super().finish()
        self.upstream.close()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        operation = (self.headers.get("X-Amz-Target") or "?").rpartition(".")[2]
        kind = self.server.choose(operation, body)
        if kind == THROTTLE:
            return self.answer(400, "ThrottlingException", "Rate of requests exceeds the allowed throughput.")
        if kind == INTERNAL:
            return self.answer(500, "InternalServerError", "Internal server error")
        if kind == CONFLICT:
            operations = json.loads(body)["TransactItems"]
            return self.answer(
                400,
                "TransactionCanceledException",
                "Transaction cancelled, please refer cancellation reasons for specific reasons "
                f"[{', '.join(['TransactionConflict'] * len(operations))}]",
                CancellationReasons=[
                    {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}
                    for _ in operations
                ],
            )
        self.upstream.request("POST", self.path, body, dict(self.headers.items()))
        answer = self.upstream.getresponse()
        payload = answer.read()
        token = json.loads(body).get("ClientRequestToken") if operation == "TransactWriteItems" else None
        if kind == DROP:
            # Applied, and the client never hears it: close the connection without an answer.
            if token and answer.status == 200:
                with self.server.lock:
                    self.server.dropped_tokens.add(token)
            self.close_connection = True
            return
        if token and answer.status == 200:
            with self.server.lock:
                self.server.replayed_after_drop += token in self.server.dropped_tokens
        headers = [(n, v) for n, v in answer.getheaders() if n.lower() in ("content-type", "x-amz-crc32")]
        self.reply(answer.status, headers, payload)

    def answer(self, status: int, error: str, message: str, **extra: Any) -> None:
        payload = json.dumps({"__type": DYNAMODB_ERROR + error, "message": message, **extra}).encode()
        self.reply(status, [("Content-Type", "application/x-amz-json-1.0")], payload)

    def reply(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(autouse=True)
def quick_sdk_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK's own retry decisions, with its backoff sleeps (up to seconds) cut to a twentieth, and its
    adaptive send-rate limit (which one throttle turns on, slowing a 100-line burst threefold) not waited
    for: what is tested is what the retries do, not how long they wait."""
    delay_amount = ExponentialBackoff.delay_amount
    monkeypatch.setattr(
        ExponentialBackoff, "delay_amount", lambda self, context: delay_amount(self, context) / 20
    )
    monkeypatch.setattr(ClientRateLimiter, "on_sending_request", lambda self, request, **kwargs: None)


@pytest.fixture
def store(clean_tables: Engine, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh store of its own (nothing cached about it anywhere), covered by KEY."""
    store_id = f"faults-{uuid.uuid4().hex[:12]}"
    keys = json.loads(os.environ["STOCKROOM_API_KEYS"])
    monkeypatch.setenv("STOCKROOM_API_KEYS", json.dumps({**keys, KEY: [store_id]}))
    return store_id


@pytest.fixture
def direct(clean_tables: Engine) -> Any:
    """A client of the engine itself, never through the proxy: to set up and to check."""
    return boto3.client("dynamodb", endpoint_url=clean_tables.endpoint_url)


@pytest.fixture
def proxy(clean_tables: Engine) -> Iterator[FaultProxy]:
    proxy = FaultProxy(clean_tables.endpoint_url, FAULT_RATE, SEED, SCRIPTS)
    yield proxy
    proxy.stop()


@pytest.fixture
def api(proxy: FaultProxy, template: Template, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    """The local API Gateway, handlers in this process, their DynamoDB client pointed at the proxy."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", proxy.url)
    reset_client()
    httpd: GatewayServer = make_server(template, port=0, verbose=False, environments=0)
    thread = httpd.start_background()
    try:
        yield Api(httpd.url, key=KEY)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
        monkeypatch.undo()
        reset_client()


def create_items(direct: Any, store: str, variants: list[str], quantity: int) -> dict[str, ItemKey]:
    service = InventoryService(DynamoDBInventoryRepository(direct))
    audit = service.audit_context("setup", "CREATE")
    drafts = [ItemDraft(variant_id=v, quantity=quantity) for v in variants]
    results = service.create_items(store, drafts, audit, return_entity=False)
    assert all(r.success for r in results)
    return {v: service.item_key(store, v, None) for v in variants}


def table_state(direct: Any) -> tuple[dict[str, int], dict[str, int]]:
    """One consistent read of the whole (small) table: each item's quantity, and how many witnesses of a
    change (one per applied line, written in the line's own transaction) the request left, by item pk;
    the setup's creations are not counted."""
    quantities: dict[str, int] = {}
    witnesses: dict[str, int] = {}
    for page in direct.get_paginator("scan").paginate(TableName=table_name(), ConsistentRead=True):
        for record in page["Items"]:
            if record["sk"]["S"] == "ITEM":
                quantities[record["pk"]["S"]] = int(record["quantity"]["N"])
            elif record["sk"]["S"].startswith("REQ#") and not record["sk"]["S"].startswith("REQ#setup#"):
                witnesses[record["pk"]["S"]] = witnesses.get(record["pk"]["S"], 0) + 1
    return quantities, witnesses


def quantity_of(direct: Any, key: ItemKey) -> int:
    item = direct.get_item(
        TableName=table_name(), Key={"pk": {"S": item_pk(key)}, "sk": {"S": "ITEM"}}, ConsistentRead=True
    )["Item"]
    return int(item["quantity"]["N"])


def witnesses_of(direct: Any, key: ItemKey) -> int:
    """How many changes of the item were applied: each leaves one witness, in its own transaction."""
    answer = direct.query(
        TableName=table_name(),
        KeyConditionExpression="pk = :pk AND begins_with(sk, :req)",
        ExpressionAttributeValues={":pk": {"S": item_pk(key)}, ":req": {"S": "REQ#"}},
        ConsistentRead=True,
    )
    return len(answer["Items"])  # (a bulk create leaves none: its item carries its change stamp)


def assert_every_fault_seen(proxy: FaultProxy) -> None:
    kinds = Counter(kind for (_, kind), n in proxy.faults.items() for _ in range(n))
    assert all(kinds[k] > 0 for k in (THROTTLE, INTERNAL, CONFLICT, DROP)), proxy.faults
    assert proxy.faults["TransactWriteItems", DROP] > 0, proxy.faults
    # An applied transaction whose answer was lost, answered again through its token: applied once.
    assert proxy.replayed_after_drop > 0, (proxy.dropped_tokens, proxy.faults)


def first_scripted_item(proxy: FaultProxy) -> str:
    """The pk of the item the APPLIED_THEN_THROTTLED transaction changes."""
    return next(iter(proxy.scripted.values()))[1]


def test_a_wix_bulk_line_is_applied_once_or_reported_failed(
    api: Api, proxy: FaultProxy, direct: Any, store: str
) -> None:
    # Three packs of 50 lines: one for each scripted transaction, so every kind of fault is seen.
    variants = [f"v{i:03d}" for i in range(150)]
    keys = create_items(direct, store, variants, quantity=10)
    location = keys[variants[0]].location_id
    units = {v: i % 3 + 1 for i, v in enumerate(variants)}

    answer = api.post(
        "/stores/v3/bulk/inventory-items/decrement-by-variant-and-location",
        {
            "decrementData": [
                {"variantId": v, "locationId": location, "decrementBy": units[v]} for v in variants
            ],
            "reason": "ORDER",
        },
        headers={"wix-site-id": store},
    )

    assert answer.status == 200, answer.body
    results = answer.body["results"]
    assert [r["itemMetadata"]["originalIndex"] for r in results] == list(range(len(variants)))
    quantities, witnesses = table_state(direct)
    applied = 0
    for variant, result in zip(variants, results, strict=True):
        metadata, pk = result["itemMetadata"], item_pk(keys[variant])
        if metadata["success"]:
            applied += units[variant]
            assert (quantities[pk], witnesses.get(pk, 0)) == (10 - units[variant], 1), variant
        elif metadata["error"]["code"] == "OUTCOME_UNKNOWN":
            # Sent, answer lost, witness not found in time: applied once or not at all, never twice.
            state = (quantities[pk], witnesses.get(pk, 0))
            assert state in ((10 - units[variant], 1), (10, 0)), variant
            applied += 10 - quantities[pk]
        else:
            assert metadata["error"]["code"] == "TEMPORARILY_UNAVAILABLE", metadata
            assert (quantities[pk], witnesses.get(pk, 0)) == (10, 0), variant
    assert sum(10 - quantities[item_pk(k)] for k in keys.values()) == applied
    # Applied, answer lost, every retry throttled: reported applied, and applied once.
    [ambiguous] = [
        r for v, r in zip(variants, results, strict=True) if item_pk(keys[v]) == first_scripted_item(proxy)
    ]
    assert ambiguous["itemMetadata"]["success"], ambiguous
    metadata = answer.body["bulkActionMetadata"]
    assert metadata["totalSuccesses"] + metadata["totalFailures"] == len(variants)
    assert_every_fault_seen(proxy)


def test_a_prosperna_order_is_applied_whole_or_not_at_all(
    api: Api, proxy: FaultProxy, direct: Any, store: str
) -> None:
    keys = create_items(direct, store, ["shirt", "hat"], quantity=1000)
    order = [
        {"product_id": "shirt", "purchased_quantity": 1},
        {"product_id": "hat", "purchased_quantity": 2},
    ]
    statuses: Counter[int] = Counter()
    before = (1000, 1000)
    for n in range(30):
        answer = api.post(f"/v1/products/stock-quantity?store_id={store}", order)
        statuses[answer.status] += 1
        if n == 0:  # applied, answer lost, every retry throttled: reported applied
            assert answer.status == 200, answer.body
        after = (quantity_of(direct, keys["shirt"]), quantity_of(direct, keys["hat"]))
        if answer.status == 200:
            assert after == (before[0] - 1, before[1] - 2)
        else:
            assert answer.status == 503, answer.body
            assert answer.headers.get("Retry-After"), answer.headers
            if "may or may not have been applied" in json.dumps(answer.body):  # OUTCOME_UNKNOWN
                assert after in (before, (before[0] - 1, before[1] - 2)), answer.body
                statuses[200] += after != before
            else:
                assert after == before
        before = after

    applied = statuses[200]
    assert applied > 0, statuses
    assert quantity_of(direct, keys["shirt"]) == 1000 - applied
    assert quantity_of(direct, keys["hat"]) == 1000 - 2 * applied
    assert witnesses_of(direct, keys["shirt"]) == applied
    assert witnesses_of(direct, keys["hat"]) == applied
    assert_every_fault_seen(proxy)
