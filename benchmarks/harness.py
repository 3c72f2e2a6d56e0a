"""What the bench's figures are measured with: the embedded engine in its own process behind a proxy that
adds latency and counts DynamoDB requests, handlers called in process with API Gateway's events, the data,
and the table the figures are printed in."""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import platform
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

# Before the handlers load: no EMF metrics printed on stdout between the table's lines.
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")


from stockroom.adapters.dynamodb.client import reset_client
from stockroom.adapters.dynamodb.inventory import DynamoDBInventoryRepository
from stockroom.core.domain import ItemDraft
from stockroom.core.service import InventoryService
from stockroom_local.engine import Engine, ensure_tables
from stockroom_local.gateway import Gateway
from stockroom_local.invoke import invoke
from stockroom_local.seed import DEMO_STORE_ID
from stockroom_local.template import Template, load_template

ROOT = Path(__file__).resolve().parents[1]
DELAY = 0.050
# The bulk decrement's two latencies. The engine's own time for the call (~4-6 s, serialized in moto) varies
# by up to a second between calls and is in both T(d); 2 s apart, that noise is halved in the rounds. Well
# within the handlers' local read timeout (20 s, stockroom_local.invoke).
SHORT_DELAY, LONG_DELAY = 1.0, 3.0
LINES = 300
CPU_CALLS = 5
ORDER_LINES = 50
WIX_FUNCTION = "WixInventoryFunction"
DECREMENT_PATH = "/stores/v3/bulk/inventory-items/decrement-by-variant-and-location"
PROSPERNA_PATH = "/v1/products/stock-quantity"
AUTH = [("Authorization", "local-dev-key"), ("Content-Type", "application/json")]
PLENTY = 1_000_000  # stock for the items decremented again and again


# --- the latency-injecting proxy ---------------------------------------------------------------------------


class DelayProxy(ThreadingHTTPServer):
    """HTTP proxy in front of the engine: sleeps `delay` before forwarding each request, and counts them
    by DynamoDB operation. The sleep is outside the engine's lock, so concurrent requests wait together."""

    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.removeprefix("http://")
        self.delay = 0.0
        self.requests: Counter[str] = Counter()
        self.lock = threading.Lock()
        # The engine runs one request at a time anyway; handing it one at a time keeps a burst of woken
        # proxy threads from starving the request it is running of the GIL.
        self.forwarding = threading.Lock()
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        threading.Thread(target=self.serve_forever, name="delay-proxy", daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as boto3's pooled connections expect
    disable_nagle_algorithm = True  # else headers and body, sent apart, wait ~40 ms for a delayed ACK
    server: DelayProxy

    def setup(self) -> None:
        super().setup()
        self.upstream = http.client.HTTPConnection(self.server.upstream, timeout=30)  # one per connection

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        operation = (self.headers.get("X-Amz-Target") or "?").rpartition(".")[2]
        with self.server.lock:
            self.server.requests[operation] += 1
        time.sleep(self.server.delay)
        with self.server.forwarding:
            self.upstream.request("POST", self.path, body, dict(self.headers.items()))
            answer = self.upstream.getresponse()
            payload = answer.read()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("content-length", "connection", "transfer-encoding", "date", "server"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve_engine(commands: Connection) -> None:
    """The child process: the embedded engine with the proxy in front, driven over a pipe. Apart from the
    handlers, so that the engine's serialized work does not queue behind their threads for the GIL, as a
    real DynamoDB does not."""
    template = load_template()
    with Engine() as engine:
        ensure_tables(template)
        proxy = DelayProxy(engine.endpoint_url)
        commands.send((engine.endpoint_url, proxy.url))
        while (command := commands.recv()) != "stop":
            if command == "requests":
                commands.send(dict(proxy.requests))
                proxy.requests.clear()
            else:
                proxy.delay = float(command)
        proxy.shutdown()


class RemoteEngine:
    """The handle on the engine process: its URL, its proxy's URL, the delay, the request counts."""

    def __init__(self) -> None:
        self.commands, child = multiprocessing.get_context("spawn").Pipe()
        self.process = multiprocessing.get_context("spawn").Process(
            target=serve_engine, args=(child,), daemon=True
        )
        self.process.start()
        self.url, self.proxy_url = self.commands.recv()

    def set_delay(self, seconds: float) -> None:
        self.commands.send(seconds)

    def requests(self) -> dict[str, int]:
        """DynamoDB requests through the proxy, by operation, since the last call."""
        self.commands.send("requests")
        counts: dict[str, int] = self.commands.recv()
        return counts

    def stop(self) -> None:
        self.commands.send("stop")
        self.process.join(10)


@contextmanager
def handlers_through(endpoint: str) -> Iterator[None]:
    """Point the handlers' (module-scope) DynamoDB client at `endpoint` for the duration."""
    saved = os.environ["AWS_ENDPOINT_URL_DYNAMODB"]
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
    reset_client()
    try:
        yield
    finally:
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = saved
        reset_client()


# --- calling the handler in process ------------------------------------------------------------------------


class Caller:
    """Builds authorized API Gateway events with the local gateway, then times only the handler."""

    def __init__(self, template: Template) -> None:
        self.template = template
        self.gateway = Gateway(template)

    def event(self, method: str, target: str, body: Any) -> tuple[str, dict[str, Any]]:
        found = self.gateway.match(method, target.partition("?")[0])
        assert found, f"no route for {method} {target}"
        route, params = found
        path, _, query = target.partition("?")
        event = self.gateway.proxy_event(
            route, method, path, query, AUTH, json.dumps(body).encode(), params, "127.0.0.1"
        )
        assert self.gateway.authorize(route.authorizer_id or "", event) is None, "the dev key was refused"
        return route.function_id, event

    def timed(self, method: str, target: str, body: Any) -> tuple[float, dict[str, Any]]:
        function_id, event = self.event(method, target, body)  # a fresh request id every call
        start = time.perf_counter()
        result = invoke(function_id, event, self.template)
        elapsed = time.perf_counter() - start
        assert result["statusCode"] == 200, result
        return elapsed, json.loads(result["body"])


def rounds_between(
    engine: RemoteEngine, call: Callable[[], float], short: float, long: float, repeats: int = 2
) -> tuple[float, float, float]:
    """(rounds, best T(short), best T(long)): the engine's own queue is in both times and cancels out, so
    (T(long) - T(short)) / (long - short) counts the round trips on the critical path."""
    at_short, at_long = [], []
    for _ in range(repeats):
        engine.set_delay(short)
        at_short.append(call())
        engine.set_delay(long)
        at_long.append(call())
    engine.set_delay(0.0)
    t1, t2 = min(at_short), min(at_long)
    return (t2 - t1) / (long - short), t1, t2


def rounds(
    engine: RemoteEngine, call: Callable[[], float], repeats: int, delay: float = DELAY
) -> tuple[float, float, float]:
    """(rounds, best T(0), best T(delay)), taken in turns. The best of each, not the median: on a shared
    machine the noise only ever adds time, and T(0) here is seconds of serialized engine work."""
    without, with_delay = [], []
    for _ in range(repeats):
        engine.set_delay(0.0)
        without.append(call())
        engine.set_delay(delay)
        with_delay.append(call())
    engine.set_delay(0.0)
    t0, td = min(without), min(with_delay)
    return (td - t0) / delay, t0, td


# --- the data ----------------------------------------------------------------------------------------------


def create_items(variant_ids: Iterable[str], quantity: int) -> None:
    service = InventoryService(DynamoDBInventoryRepository())
    audit = service.audit_context(f"bench-{uuid.uuid4()}", "BENCH")
    drafts = [ItemDraft(variant_id=v, item_id=v, quantity=quantity) for v in variant_ids]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda d: service.create_item(DEMO_STORE_ID, d, audit), drafts))


def wix_decrement(variant_ids: list[str]) -> dict[str, Any]:
    return {
        "decrementData": [{"variantId": v, "decrementBy": 1} for v in variant_ids],
        "restrictInventory": True,
        "returnEntity": True,
        "reason": "ORDER",
    }


# --- the table ---------------------------------------------------------------------------------------------


class Row:
    def __init__(self, figure: str, measured: str, target: str, ok: bool | None) -> None:
        self.figure, self.measured, self.target = figure, measured, target
        self.verdict = "" if ok is None else ("ok" if ok else "MISSED")


def machine() -> str:
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        model = platform.processor() or model
    return f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, {platform.system()}"


def print_table(rows: list[Row]) -> None:
    widths = [max(len(getattr(r, a)) for r in rows) for a in ("figure", "measured", "target")]
    header = Row("figure", "measured", "target", None)
    header.verdict = ""
    for row in [header, *rows]:
        print(
            f"| {row.figure:<{widths[0]}} | {row.measured:<{widths[1]}} | {row.target:<{widths[2]}} "
            f"| {row.verdict:<6} |"
        )
        if row is header:
            print(f"|{'|'.join('-' * (w + 2) for w in [*widths, 6])}|")
