"""`make bench`: how close Stockroom is to the round-trip limit, every figure measured in this one run.

With DynamoDB a request costs its round trips, so figures 1 and 6 put a proxy that adds `DELAY` to every
DynamoDB request between the handler and the embedded engine, and report
rounds = (T(DELAY) - T(0)) / DELAY: how many round trips the call waited for one after another. Handlers
run in this process (stockroom_local.invoke), so only DynamoDB traffic crosses the proxy. Comparisons are
ratios measured side by side, because a shared machine is noisy; nothing here is a pass/fail timing.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import sys
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

# Before the handlers load: no EMF metrics printed on stdout between the table's lines.
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")

import reservation_bench  # benchmarks/, beside this script
from cold_start import handler_init_figures
from harness import (
    AUTH,
    CPU_CALLS,
    DECREMENT_PATH,
    LINES,
    LONG_DELAY,
    ORDER_LINES,
    PLENTY,
    PROSPERNA_PATH,
    SHORT_DELAY,
    Caller,
    RemoteEngine,
    Row,
    create_items,
    handlers_through,
    machine,
    print_table,
    rounds,
    rounds_between,
    wix_decrement,
)
from http_cpu import http_cpu_figure

from stockroom import wiring
from stockroom.adapters.dynamodb import wire
from stockroom.adapters.dynamodb.client import reset_client
from stockroom.adapters.dynamodb.inventory import DynamoDBInventoryRepository
from stockroom.adapters.memory import InMemoryInventoryRepository
from stockroom.core import packs
from stockroom.core.api_keys import DEFAULT_DEV_KEYS
from stockroom.core.domain import ItemDraft, ItemKey
from stockroom.core.service import InventoryService
from stockroom_local.gateway import make_server
from stockroom_local.invoke import invoke
from stockroom_local.seed import DEMO_DEFAULT_LOCATION_ID, DEMO_STORE_ID
from stockroom_local.template import Template, load_template

# Nor Powertools' warning, at every call, that it published none.
warnings.filterwarnings("ignore", message="No application metrics to publish")

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
        packed, t1, t2 = rounds_between(engine, call, SHORT_DELAY, LONG_DELAY, repeats=4)
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
            f"{packed:.2f} rounds = (T(3 s) {t2:.2f} s - T(1 s) {t1:.2f} s) / 2 s, best of 4 each",
            "<= 2",
            packed <= 2,
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
            "   the same, the handler called in this process (no HTTP server)",
            f"{cpu_per_line:.3f} ms (median of {CPU_CALLS} calls)",
            "",
            None,
        ),
        Row(
            "   the same with the SDK's own walks and JSON (wire fast paths off)",
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
        rows.insert(3, http_cpu_figure(engine, variant_ids))
        rows += handler_init_figures(template)
        rows += cpu_per_line_figure(caller, variant_ids)
        rows += hot_item_figure(template)
        rows += order_figure(caller, engine)
        rows += [Row(*reservation_bench.hot_reservations(template))]
    finally:
        engine.stop()
    print(f"Machine: {machine()}")
    print("Rounds: (T(3 s) - T(1 s)) / 2 s for the bulk decrement, (T(50 ms) - T(0)) / 50 ms elsewhere")
    print()
    print_table(rows)
    print(f"\n(whole run: {time.perf_counter() - started:.0f} s)")
    return 0 if all(r.verdict != "MISSED" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
