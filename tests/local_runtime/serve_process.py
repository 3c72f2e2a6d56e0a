"""`stockroom serve` as a subprocess in its own process group, for the tests that kill it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_serve(
    *args: str, env: dict[str, str] | None = None, timeout: float = 90
) -> tuple[subprocess.Popen[str], str]:
    """Start `stockroom serve` on a free port in a new session (its own process group); returns the process
    and its base URL once its banner is out."""
    port = free_port()
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")
    }  # the embedded engine, never the tests' own
    environment.update(env or {})
    process = subprocess.Popen(
        [sys.executable, "-m", "stockroom_local.cli", "serve", "--port", str(port), *args],
        cwd=REPO,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    lines = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("Send the header"):
            return process, f"http://127.0.0.1:{port}"
    kill_group(process)
    raise AssertionError("stockroom serve did not start:\n" + "".join(lines))


def kill_group(process: subprocess.Popen[str], sig: int = signal.SIGKILL) -> None:
    """Signal the whole process group (serve, its workers, the resource tracker); ignore a group gone."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def group_members(pgid: int) -> list[int]:
    """The live processes of a process group (zombies left out), read from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        state, group = fields[0], int(fields[2])
        if group == pgid and state != "Z":
            members.append(int(entry.name))
    return members


@contextmanager
def serving(*args: str, env: dict[str, str] | None = None) -> Iterator[tuple[subprocess.Popen[str], str]]:
    process, url = start_serve(*args, env=env)
    try:
        yield process, url
    finally:
        kill_group(process)
