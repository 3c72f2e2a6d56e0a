"""`stockroom import` and `export` of 10,000 rows against a locally started `stockroom serve`, and three
concurrent 1,000-item bulk creates: seconds against the targets, and DynamoDB requests per row.

Three processes, each in its own process group and stopped with all its workers at the end: the embedded
engine (this script with --engine) with a proxy in front that counts DynamoDB requests by operation,
`stockroom serve` pointed at the proxy (its stream delivered, so the ledger is written as deployed), and
this script, which runs the import and export over HTTP as a user would. Before each figure the engine is
left to finish the ledger's work of the previous one (no write for 2 s), so each figure is its own.

    .venv/bin/python benchmarks/import_bench.py [--rows 10000] [--bulk 1000] [--concurrent 3]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

STORE = "bench-store"
ROOT = Path(__file__).resolve().parent.parent


def run_engine() -> None:
    """The child: the embedded engine, the counting proxy (the harness's, at no delay), and a tiny control
    server answering GET / with the counts since the last GET. A transaction DynamoDB refused (a
    condition failed: nothing written) is counted apart from those that wrote."""
    sys.path.insert(0, str(Path(__file__).parent))
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import harness
    from harness import DelayProxy

    class Counting(harness._ProxyHandler):
        def do_POST(self) -> None:
            self.status = 0
            super().do_POST()
            if self.status == 400 and self.headers.get("X-Amz-Target", "").endswith(".TransactWriteItems"):
                with self.server.lock:
                    self.server.requests["TransactWriteItems"] -= 1
                    self.server.requests["TransactWriteItems refused"] += 1

        def send_response(self, code: int, message: str | None = None) -> None:
            self.status = code
            super().send_response(code, message)

    harness._ProxyHandler = Counting  # DelayProxy builds its handlers from this name

    from stockroom_local.engine import Engine, ensure_tables
    from stockroom_local.template import load_template

    with Engine() as engine:
        ensure_tables(load_template())
        proxy = DelayProxy(engine.endpoint_url)

        class Control(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = json.dumps(dict(proxy.requests)).encode()
                proxy.requests.clear()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        control = ThreadingHTTPServer(("127.0.0.1", 0), Control)
        print(
            json.dumps(
                {"engine": engine.endpoint_url, "proxy": proxy.url, "control": control.server_address[1]}
            )
        )
        sys.stdout.flush()
        control.serve_forever()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop(process: subprocess.Popen[Any]) -> None:
    """SIGTERM to the whole process group (the server's worker processes too), then SIGKILL."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
    except ProcessLookupError:
        pass


def counts(control: int) -> Counter[str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{control}/", timeout=10) as answer:
        return Counter(json.loads(answer.read()))


def catalog(path: Path, rows: int, shift: int = 0) -> None:
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["variantId", "productId", "quantity", "productName"])
        for i in range(rows):
            writer.writerow([f"bench-{i:06d}", f"product-{i // 5:05d}", i % 100 + shift, f"Product {i // 5}"])


def wait_for(url: str, seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/openapi.json", timeout=2).read()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not start")


WRITES = {"TransactWriteItems", "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"}


def settle(control: int, quiet: float = 2.0, most: float = 300.0) -> None:
    """Wait until the engine took no write for `quiet` seconds (the ledger caught up), then reset."""
    deadline = time.monotonic() + most
    counts(control)
    while time.monotonic() < deadline:
        time.sleep(quiet)
        if not any(counts(control)[op] for op in WRITES):
            return
    raise RuntimeError("the engine never went quiet")


def writes_of(used: Counter[str]) -> int:
    return sum(n for op, n in used.items() if op in WRITES)


def detail(used: Counter[str]) -> str:
    return ", ".join(f"{n} {op}" for op, n in used.most_common()) or "none"


def timed_import(path: Path, api: str, control: int) -> tuple[float, Any, Counter[str]]:
    from stockroom_local.catalog_io import import_csv

    settle(control)
    started = time.monotonic()
    report = import_csv(str(path), STORE, api, "bench-key", out=io.StringIO())
    return time.monotonic() - started, report, counts(control)


def concurrent_creates(api: str, calls: int, items: int) -> list[float]:
    """`calls` bulk creates of `items` new items each, all at once: each call's seconds."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    def create(call: int) -> float:
        body = {
            "inventoryItems": [
                {"variantId": f"bulk-{call}-{i:05d}", "quantity": i % 50} for i in range(items)
            ],
            "returnEntity": False,
        }
        headers = {"Authorization": "bench-key", "wix-site-id": STORE, "Content-Type": "application/json"}
        started = time.monotonic()
        answer = requests.post(
            f"{api}/stores/v3/bulk/inventory-items/create", json=body, headers=headers, timeout=120
        )
        seconds = time.monotonic() - started
        metadata = answer.json()["bulkActionMetadata"]
        assert metadata["totalSuccesses"] == items, metadata
        return seconds

    with ThreadPoolExecutor(calls) as pool:
        return list(pool.map(create, range(calls)))


def figures(folder: Path, api: str, control: int, rows: int, bulk: int, concurrent: int) -> list[Any]:
    sys.path.insert(0, str(Path(__file__).parent))
    from harness import Row

    from stockroom_local.catalog_io import export_csv

    first_file, second_file = folder / "catalog.csv", folder / "counted-again.csv"
    catalog(first_file, rows)
    catalog(second_file, rows, shift=1)  # every count one more: every row an update
    table: list[Row] = []

    def done(row: Row) -> None:
        table.append(row)
        print(f"{row.figure}: {row.measured} [{row.verdict}]", file=sys.stderr, flush=True)

    seconds, report, used = timed_import(first_file, api, control)
    ok = report.created == rows and not report.errors and seconds <= 20
    done(
        Row(
            f"import, {rows:,} new rows",
            f"{seconds:.1f} s ({rows / seconds:,.0f} rows/s); {report.summary()}; DynamoDB: {detail(used)}",
            "<= 20 s",
            ok,
        )
    )

    seconds, report, used = timed_import(first_file, api, control)
    ok = report.unchanged == rows and writes_of(used) == 0 and seconds <= 10
    done(
        Row(
            "the same file again",
            f"{seconds:.1f} s; {writes_of(used)} writes; {report.summary()}; DynamoDB: {detail(used)}",
            "<= 10 s, 0 writes",
            ok,
        )
    )

    seconds, report, used = timed_import(second_file, api, control)
    ok = report.updated == rows and not report.errors and seconds <= 30
    done(
        Row(
            f"import, {rows:,} updates",
            f"{seconds:.1f} s ({rows / seconds:,.0f} rows/s); {report.summary()}; DynamoDB: {detail(used)}",
            "<= 30 s",
            ok,
        )
    )

    settle(control)
    started = time.monotonic()
    exported = export_csv(STORE, io.StringIO(), api, "bench-key")
    seconds = time.monotonic() - started
    used = counts(control)
    done(
        Row(
            f"export, {exported:,} items",
            f"{seconds:.1f} s; DynamoDB: {detail(used)}",
            "<= 10 s",
            exported == rows and seconds <= 10,
        )
    )

    settle(control)
    calls = concurrent_creates(api, concurrent, bulk)
    used = counts(control)
    done(
        Row(
            f"{concurrent} concurrent {bulk:,}-item bulk creates",
            f"{', '.join(f'{s:.1f}' for s in calls)} s; DynamoDB: {detail(used)}",
            "each well inside 29 s (<= 20 s)",
            max(calls) <= 20,
        )
    )
    return table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--bulk", type=int, default=1_000, help="items of each concurrent bulk create")
    parser.add_argument("--concurrent", type=int, default=3)
    parser.add_argument("--engine", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine:
        run_engine()
        return 0

    env = {
        **os.environ,
        "POWERTOOLS_METRICS_DISABLED": "true",
        "STOCKROOM_API_KEYS": json.dumps({"bench-key": [STORE]}),
    }
    engine = subprocess.Popen(
        [sys.executable, __file__, "--engine"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    server: subprocess.Popen[bytes] | None = None
    missed: list[str] = []
    try:
        assert engine.stdout is not None
        urls = json.loads(engine.stdout.readline())
        port = free_port()
        # DynamoDB through the counting proxy; EventBridge and SQS straight to the engine.
        server_env = {**env, "AWS_ENDPOINT_URL": urls["engine"], "AWS_ENDPOINT_URL_DYNAMODB": urls["proxy"]}
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            server_env.setdefault(name, "testing")
        server_env.setdefault("AWS_DEFAULT_REGION", "us-east-1")
        server = subprocess.Popen(
            [sys.executable, "-m", "stockroom_local.cli", "serve", "--port", str(port), "--no-seed"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=server_env,
            start_new_session=True,
            cwd=ROOT,
        )
        api = f"http://127.0.0.1:{port}"
        wait_for(api)
        with tempfile.TemporaryDirectory() as folder:
            sys.path.insert(0, str(Path(__file__).parent))
            from harness import machine, print_table

            print(f"Machine: {machine()}; {args.rows:,} rows")
            table = figures(Path(folder), api, urls["control"], args.rows, args.bulk, args.concurrent)
            print_table(table)
            missed = [row.figure for row in table if row.verdict == "MISSED"]
    finally:
        if server is not None:
            stop(server)
        stop(engine)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
