"""`stockroom import` of 10,000 rows into a locally started `stockroom serve`: rows a second, and DynamoDB
requests per row.

Three processes, each in its own process group and stopped with all its workers at the end: the embedded
engine (this script with --engine) with a proxy in front that counts DynamoDB requests by operation,
`stockroom serve` pointed at the proxy, and this script, which runs the import over HTTP as a user would.

    .venv/bin/python benchmarks/import_bench.py [--rows 10000] [--rerun]
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
    """The child: the embedded engine, the counting proxy (run.py's, at no delay), and a tiny control
    server answering GET / with the counts since the last GET."""
    sys.path.insert(0, str(Path(__file__).parent))
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from run import DelayProxy

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


def catalog(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["variantId", "productId", "quantity", "productName"])
        for i in range(rows):
            writer.writerow([f"bench-{i:06d}", f"product-{i // 5:05d}", i % 100, f"Product {i // 5}"])


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/openapi.json", timeout=2).read()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not start")


def measure(label: str, path: Path, api: str, control: int, rows: int) -> None:
    from stockroom_local.catalog_io import import_csv

    counts(control)  # reset
    started = time.monotonic()
    report = import_csv(str(path), STORE, api, "bench-key", out=io.StringIO())
    seconds = time.monotonic() - started
    used = counts(control)
    total = sum(used.values())
    detail = ", ".join(f"{n} {op}" for op, n in used.most_common())
    print(f"{label}: {report.summary()}")
    rate = f"{rows / seconds:,.0f} rows/s ({seconds:.1f} s)"
    print(f"  {rate}; {total / rows:.2f} DynamoDB requests/row ({detail})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rerun", action="store_true", help="also time a second, no-op import")
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
            path = Path(folder) / "catalog.csv"
            catalog(path, args.rows)
            print(f"Machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; {args.rows:,} rows")
            measure("first import", path, api, urls["control"], args.rows)
            if args.rerun:
                measure("second import (no-op)", path, api, urls["control"], args.rows)
    finally:
        if server is not None:
            stop(server)
        stop(engine)
    return 0


if __name__ == "__main__":
    sys.exit(main())
