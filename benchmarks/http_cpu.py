"""Figure 3, as a user would measure it: the server's CPU a line over whole HTTP calls.

`stockroom serve` runs in its own process group, pointed at the engine's proxy (AWS_ENDPOINT_URL_DYNAMODB),
with no stream consumers (the ledger's CPU is its own function's, not the API call's). Each call is a
300-line Wix decrement over HTTP; its CPU is utime + stime from /proc of the server and every process under
it (the execution environments that run the handlers), read before and after the call.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from harness import AUTH, DECREMENT_PATH, LINES, RemoteEngine, Row, wix_decrement

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        return f.read().rsplit(")", 1)[1].split()  # after the command name, which may hold spaces


def process_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                children.setdefault(int(_stat(int(name))[1]), []).append(int(name))
            except OSError:
                continue  # ended meanwhile
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo += children.get(pid, [])
    return tree


def tree_cpu_seconds(root: int) -> float:
    """utime + stime of `root` and everything under it."""
    ticks = 0
    for pid in process_tree(root):
        try:
            fields = _stat(pid)
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / TICKS


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def served(endpoint_url: str) -> Iterator[tuple[int, int]]:
    """(pid, port) of a `stockroom serve` on the given DynamoDB endpoint; stopped with all its workers."""
    port = _free_port()
    env = dict(os.environ, AWS_ENDPOINT_URL_DYNAMODB=endpoint_url)
    command = [sys.executable, "-m", "stockroom_local.cli", "serve", "--no-seed", "--no-streams"]
    server = subprocess.Popen(
        [*command, "--port", str(port)],
        env=env,
        start_new_session=True,  # its own process group: the workers are stopped with it
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("stockroom serve did not start") from None
                time.sleep(0.2)
        yield server.pid, port
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def http_cpu_figure(engine: RemoteEngine, variant_ids: list[str], warm: int = 8, calls: int = 12) -> Row:
    body = json.dumps(wix_decrement(variant_ids))
    with served(engine.proxy_url) as (pid, port):

        def call() -> None:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            connection.request("POST", DECREMENT_PATH, body, dict(AUTH))
            response = connection.getresponse()
            answer = response.read()
            connection.close()
            assert response.status == 200, answer[:300]

        # Each of the server's execution environments warms on its own (imports, client, validators), and
        # any of them may take a call.
        for _ in range(warm):
            call()
        spent = []
        for _ in range(calls):
            before = tree_cpu_seconds(pid)
            call()
            spent.append(tree_cpu_seconds(pid) - before)
    per_line = statistics.median(spent) / LINES * 1000
    return Row(
        "3. server CPU per line, whole HTTP call (before: ~2.1 ms)",
        f"{per_line:.3f} ms (stockroom serve + workers, /proc; median of {calls} calls, "
        f"{min(spent) / LINES * 1000:.3f}-{max(spent) / LINES * 1000:.3f})",
        "<= 0.4 ms",
        per_line <= 0.4,
    )
