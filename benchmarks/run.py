"""`make bench`: how close Stockroom is to the round-trip limit, every figure measured in this one run.

With DynamoDB a request costs its round trips, so figures 1 and 6 put a proxy that adds `DELAY` to every
DynamoDB request between the handler and the embedded engine, and report
rounds = (T(DELAY) - T(0)) / DELAY: how many round trips the call waited for one after another. Handlers
run in this process (stockroom_local.invoke), so only DynamoDB traffic crosses the proxy. Comparisons are
ratios measured side by side, because a shared machine is noisy; nothing here is a pass/fail timing.
"""

from __future__ import annotations

import compileall
import http.client
import json
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
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

import reservation_bench  # benchmarks/, beside this script

from stockroom import wiring
from stockroom.adapters.dynamodb import wire
from stockroom.adapters.dynamodb.client import reset_client
from stockroom.adapters.dynamodb.inventory import DynamoDBInventoryRepository
from stockroom.adapters.memory import InMemoryInventoryRepository
from stockroom.core import packs
from stockroom.core.api_keys import DEFAULT_DEV_KEYS
from stockroom.core.domain import ItemDraft, ItemKey
from stockroom.core.service import InventoryService
from stockroom_local.engine import Engine, ensure_tables
from stockroom_local.gateway import Gateway, make_server
from stockroom_local.invoke import invoke
from stockroom_local.seed import DEMO_DEFAULT_LOCATION_ID, DEMO_STORE_ID
from stockroom_local.template import Template, load_template

ROOT = Path(__file__).resolve().parents[1]
DELAY = 0.050
# Longer than the engine takes to serve one wave of 150 requests (~1.5 s), so the latency cannot hide in its
# queue, and short of the client's 5 s read timeout.
LONG_DELAY = 2.0
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


# --- the figures -------------------------------------------------------------------------------------------


def bulk_decrement_figures(caller: Caller, engine: RemoteEngine, variant_ids: list[str]) -> list[Row]:
    body = wix_decrement(variant_ids)

    def call() -> float:
        elapsed, answer = caller.timed("POST", DECREMENT_PATH, body)
        assert answer["bulkActionMetadata"]["totalSuccesses"] == LINES, answer["bulkActionMetadata"]
        return elapsed

    with handlers_through(engine.proxy_url):
        call()  # warm: client, connection pool, the store's default location
        engine.requests()
        call()
        requests = engine.requests()
        cpu_per_line = cpu_ms_per_line(call)
        with sdk_own_attribute_walk():
            call()  # a new client: warm it
            cpu_sdk_walk = cpu_ms_per_line(call)
        call()
        packed, t1, t2 = rounds_between(engine, call, 1.0, 2.0)
        # The naive baseline: the same handler and service, one line a transaction, one after another.
        one_by_one = ThreadPoolExecutor(1)
        wiring.provide(
            InventoryService(DynamoDBInventoryRepository(), max_parallel_writes=1, executor=one_by_one)
        )
        try:
            with one_line_packs():
                call()
                sequential, s0, sd = rounds(engine, call, repeats=1)
        finally:
            wiring.provide(None)
            one_by_one.shutdown()

    per_line = sum(requests.values()) / LINES
    by_operation = ", ".join(f"{n} {op}" for op, n in sorted(requests.items()))
    return [
        Row(
            f"1. round trips, {LINES}-line Wix bulk decrement (before: 2.9-3.2)",
            f"{packed:.2f} rounds = (T(2 s) {t2:.2f} s - T(1 s) {t1:.2f} s) / 1 s",
            "<= 2",
            packed <= 2.2,  # 2 rounds, and the noise of a shared machine
        ),
        Row(
            "   naive baseline: one line a transaction, one after another",
            f"{sequential:.1f} rounds (T0 {s0:.2f} s, T50 {sd:.2f} s)",
            "~300",
            None,
        ),
        Row(
            "2. DynamoDB requests per line (before: 1.01)",
            f"{per_line:.3f} ({by_operation})",
            "<= 0.05",
            per_line <= 0.05,
        ),
        Row(
            "3. server CPU per line, whole call through the SDK (before: ~2.1 ms, 0.54 ms)",
            f"{cpu_per_line:.3f} ms (median of {CPU_CALLS} calls)",
            "<= 0.4 ms",
            cpu_per_line <= 0.4,
        ),
        Row(
            "   the same with the SDK's own attribute-value walk",
            f"{cpu_sdk_walk:.3f} ms ({cpu_per_line / cpu_sdk_walk:.2f}x of it with the fast path)",
            "",
            None,
        ),
    ]


def cpu_ms_per_line(call: Callable[[], float]) -> float:
    """Process CPU (the handler and every thread it starts) of whole calls, the median, per line. The
    median, since a shared machine's noise (caches, other processes) only ever adds."""
    spent = []
    for _ in range(CPU_CALLS):
        start = time.process_time()
        call()
        spent.append(time.process_time() - start)
    return statistics.median(spent) / LINES * 1000


@contextmanager
def sdk_own_attribute_walk() -> Iterator[None]:
    """A client without the adapter's attribute-value fast path (stockroom.adapters.dynamodb.wire): the
    figure before it, measured in this run."""
    saved = wire.install
    wire.install = lambda client: False
    reset_client()
    try:
        yield
    finally:
        wire.install = saved
        reset_client()


@contextmanager
def one_line_packs() -> Iterator[None]:
    saved = packs.PACK_LINES
    packs.PACK_LINES = 1
    try:
        yield
    finally:
        packs.PACK_LINES = saved


# Per function: the library imports its handler cannot do without, timed in a fresh interpreter. X-Ray
# (Tracer) is not among them: the handlers import it only where they trace (stockroom.tracing), nor is
# Powertools Idempotency: it is imported by the first request that carries an Idempotency-Key.
_API_IMPORTS = """
import boto3, botocore.config, pydantic
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
"""
_BATCH_IMPORTS = """
import boto3, botocore.config, pydantic
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.typing import LambdaContext
"""
_STREAM_IMPORTS = _BATCH_IMPORTS.replace(
    "import boto3, botocore.config, pydantic", "import boto3, botocore.config"
) + ("from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord\n")
# Functions on no stock path: their figures are reported, not held to the target.
OFF_STOCK_PATH = {"ApiDocsFunction"}
UNAVOIDABLE_IMPORTS = {
    "WixInventoryFunction": _API_IMPORTS,
    "ProspernaStockFunction": _API_IMPORTS,
    # The document is generated from the dialects' routers, which import the engine (boto3 among it).
    "ApiDocsFunction": _API_IMPORTS,
    "OrderPlacedFunction": _BATCH_IMPORTS
    + "from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord\n",
    # The stream functions use no pydantic (their records are Powertools' data classes).
    "AvailabilityFunction": _STREAM_IMPORTS,
    # It writes the ledger records to DynamoDB.
    "LedgerFunction": _STREAM_IMPORTS,
    # It looks hashed keys up in DynamoDB.
    "AuthorizerFunction": """
import boto3, botocore.config
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import event_source
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerRequestEvent, APIGatewayAuthorizerResponse)
from aws_lambda_powertools.utilities.typing import LambdaContext
""",
}

# Both sides start alike (the template read, the environment set), then time only their part: the
# process's CPU time, which is the work of the imports; the wall time adds whatever else the machine runs.
_INIT_PRELUDE = """
import sys, time
from stockroom_local.template import load_template
from stockroom_local.invoke import apply_environment, load_handler
function = load_template().functions[sys.argv[1]]
apply_environment(function)
start = time.process_time()
"""
PROJECT_CODE = [ROOT / "shared", ROOT / "local", ROOT / "functions"]


def compile_project() -> None:
    """Bytecode for the project's modules, as pip compiles the libraries' at install: both sides then load
    compiled code. (Where PYTHONDONTWRITEBYTECODE is set, every run would otherwise compile the handler's
    modules anew and only the handler side would pay for it.)"""
    for folder in PROJECT_CODE:
        compileall.compile_dir(folder, quiet=1)


def init_seconds(code: str, function_id: str) -> float:
    script = _INIT_PRELUDE + code + "\nprint(time.process_time() - start)\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    out = subprocess.run(
        [sys.executable, "-c", script, function_id], capture_output=True, text=True, check=True, env=env
    )
    return float(out.stdout.strip().splitlines()[-1])


def handler_init_figures(template: Template, runs: int = 11) -> list[Row]:
    compile_project()
    rows = []
    for function_id in sorted(template.functions):
        bare_code = UNAVOIDABLE_IMPORTS.get(function_id)
        if bare_code is None:
            rows.append(Row(f"3. handler init, {function_id}", "no baseline listed", "<= 1.2x", None))
            continue
        handler, bare = [], []
        for _ in range(runs):  # in turns, so that drift hits both alike
            handler.append(init_seconds("load_handler(function)", function_id))
            bare.append(init_seconds(bare_code, function_id))
        ratio = statistics.median(handler) / statistics.median(bare)
        held = function_id not in OFF_STOCK_PATH
        rows.append(
            Row(
                f"3. handler init, {function_id}" + ("" if held else " (no stock path)"),
                f"{ratio:.2f}x ({statistics.median(handler) * 1000:.0f} ms vs "
                f"{statistics.median(bare) * 1000:.0f} ms CPU of bare library imports)",
                "<= 1.2x" if held else "report",
                ratio <= 1.2 if held else None,
            )
        )
    return rows


def cpu_per_line_figure(caller: Caller, variant_ids: list[str], runs: int = 15) -> list[Row]:
    body = wix_decrement(variant_ids)
    # The in-memory repository: the rules and the service run for real, only storage is left out.
    repository = InMemoryInventoryRepository()
    repository.put_store(DEMO_STORE_ID, DEMO_DEFAULT_LOCATION_ID)
    service = InventoryService(repository)
    drafts = [ItemDraft(variant_id=v, item_id=v, quantity=runs + 2) for v in variant_ids]
    service.create_items(DEMO_STORE_ID, drafts, service.audit_context("bench-seed", None), False)
    cpu = []
    wiring.provide(service)
    try:
        for i in range(runs + 2):
            function_id, event = caller.event("POST", DECREMENT_PATH, body)
            start = time.process_time()  # every thread of the process: the line pool's too
            result = invoke(function_id, event, caller.template)
            if i >= 2:  # the first calls warm caches
                cpu.append(time.process_time() - start)
            assert result["statusCode"] == 200, result
    finally:
        wiring.provide(None)
    per_line = statistics.median(cpu) / LINES * 1e6
    return [
        Row(
            "4. handler CPU per line (in-memory storage)",
            f"{per_line:.0f} µs/line ({LINES} lines, returnEntity: validation, rules, serialization)",
            "report",
            None,
        )
    ]


def hot_item_figure(template: Template, units: int = 900, calls: int = 1000, threads: int = 16) -> list[Row]:
    create_items(["bench-hot"], units)
    server = make_server(template, port=0, verbose=False)
    server.start_background()
    host, port = server.server_address[:2]
    body = json.dumps(wix_decrement(["bench-hot"]) | {"returnEntity": False})
    remaining = iter(range(calls))
    lock = threading.Lock()
    outcomes: Counter[str] = Counter()

    def client() -> None:
        conn = http.client.HTTPConnection(str(host), port, timeout=30)
        while True:
            with lock:
                if next(remaining, None) is None:
                    return
            conn.request("POST", DECREMENT_PATH, body, dict(AUTH))
            response = conn.getresponse()
            answer = json.loads(response.read())
            if response.status != 200:
                outcome = f"HTTP {response.status}"
            else:
                meta = answer["results"][0]["itemMetadata"]
                outcome = "applied" if meta["success"] else meta["error"]["code"]
            with lock:
                outcomes[outcome] += 1

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        for done in [pool.submit(client) for _ in range(threads)]:
            done.result()  # a client's failure is the benchmark's
    elapsed = time.perf_counter() - start
    server.shutdown()
    server.server_close()
    hot = ItemKey(DEMO_STORE_ID, "bench-hot", DEMO_DEFAULT_LOCATION_ID)
    final = wiring.inventory_service().get_items([hot])[hot].quantity
    applied = outcomes["applied"]
    oversold = max(0, applied - units) + max(0, -(final or 0))
    ok = applied == units and final == 0 and oversold == 0
    refused = ", ".join(f"{n} {code}" for code, n in outcomes.items() if code != "applied")
    return [
        Row(
            f"5. hot item: {calls} x 1 unit, {threads} threads, {units} in stock (HTTP)",
            f"{calls / elapsed:.0f} decrements/s; {applied} applied, final quantity {final}, "
            f"oversold {oversold} ({refused})",
            f"{units} applied, 0 left, 0 oversold",
            ok,
        )
    ]


def order_figure(caller: Caller, engine: RemoteEngine) -> list[Row]:
    label = f"6. round trips, {ORDER_LINES}-line Prosperna order"
    if not any(route.path == PROSPERNA_PATH for route in caller.template.routes):
        return [Row(label, "n/a (Prosperna route not present)", "1 transaction ~ 1 round", None)]
    ids = [f"bench-order-{i:02d}" for i in range(ORDER_LINES)]
    create_items(ids, PLENTY)
    target = f"{PROSPERNA_PATH}?store_id={DEMO_STORE_ID}"
    body = [{"product_variant_combination_id": i, "purchased_quantity": 1} for i in ids]

    def call() -> float:
        return caller.timed("POST", target, body)[0]

    with handlers_through(engine.proxy_url):
        call()
        engine.requests()
        call()
        requests = sum(engine.requests().values())
        order_rounds, t0, td = rounds(engine, call, repeats=3)
    return [
        Row(
            label,
            f"{order_rounds:.2f} rounds, {requests} DynamoDB requests "
            f"(T0 {t0 * 1000:.0f} ms, T50 {td * 1000:.0f} ms)",
            "1 transaction ~ 1 round",
            None,
        )
    ]


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


def main() -> int:
    started = time.perf_counter()
    template = load_template()
    engine = RemoteEngine()
    # The handlers' environment, as `stockroom serve` gives it, pointed at the engine process.
    os.environ.update(
        AWS_ENDPOINT_URL_DYNAMODB=engine.url, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing"
    )
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("STOCKROOM_API_KEYS", json.dumps(DEFAULT_DEV_KEYS))  # as `stockroom serve` does
    for function in template.functions.values():
        for key, value in function.environment.items():
            os.environ.setdefault(key, value)
    rows: list[Row] = []
    try:
        DynamoDBInventoryRepository().put_store(DEMO_STORE_ID, DEMO_DEFAULT_LOCATION_ID)
        variant_ids = [f"bench-{i:03d}" for i in range(LINES)]
        create_items(variant_ids, PLENTY)
        caller = Caller(template)
        rows += bulk_decrement_figures(caller, engine, variant_ids)
        rows += handler_init_figures(template)
        rows += cpu_per_line_figure(caller, variant_ids)
        rows += hot_item_figure(template)
        rows += order_figure(caller, engine)
        rows += [Row(*reservation_bench.hot_reservations(template))]
    finally:
        engine.stop()
    print(f"Machine: {machine()}")
    print("Rounds: (T(2 s) - T(1 s)) / 1 s for the bulk decrement, (T(50 ms) - T(0)) / 50 ms elsewhere")
    print()
    print_table(rows)
    print(f"\n(whole run: {time.perf_counter() - started:.0f} s)")
    return 0 if all(r.verdict != "MISSED" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
