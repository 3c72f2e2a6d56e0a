"""`stockroom import` as a person runs it: a progress bar in a terminal (a pseudo-terminal here), plain lines
in a pipe, and a Ctrl-C mid-import that a re-run completes."""

from __future__ import annotations

import io
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from stockroom_local.catalog_io import StoreApi, import_csv
from stockroom_local.engine import Engine
from stockroom_local.seed import DEMO_STORE_ID
from tests.local_runtime.test_catalog_import import catalog_row, write_csv
from tests.support import DEV_KEY


def import_command(path: Path) -> list[str]:
    return [sys.executable, "-m", "stockroom_local.cli", "import", str(path), "--store", DEMO_STORE_ID]


def run_in_pty(args: list[str], server: str, timeout: float = 120) -> tuple[int, str]:
    """Run a command with stdout and stderr on a pseudo-terminal; return its exit code and all it drew."""
    controller, terminal = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"}
    process = subprocess.Popen(
        [*args, "--api", server], stdin=subprocess.DEVNULL, stdout=terminal, stderr=terminal, env=env
    )
    os.close(terminal)
    drawn = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(controller, 65536)
                except OSError:  # EIO: the command closed the terminal (it ended)
                    break
                if not chunk:
                    break
                drawn += chunk
            elif process.poll() is not None:
                break
        return process.wait(timeout=10), drawn.decode("utf-8", "replace")
    finally:
        os.close(controller)
        if process.poll() is None:
            process.kill()


def test_a_terminal_shows_a_progress_bar(server: str, seeded: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bar.csv", [catalog_row(i) for i in range(300)])
    code, drawn = run_in_pty(import_command(path), server)
    assert code == 0, drawn
    assert "\x1b[" in drawn  # redrawn in place, with terminal control sequences
    assert "━" in drawn  # rich's bar
    assert "300/300" in drawn and "rows/s" in drawn and "ETA" in drawn
    assert "300 rows: 300 created" in drawn


def test_a_pipe_gets_plain_lines(server: str, seeded: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "plain.csv", [catalog_row(i) for i in range(300)])
    done = subprocess.run(
        [*import_command(path), "--api", server], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "\x1b[" not in done.stderr and "━" not in done.stderr
    assert "importing: 300/300 rows" in done.stderr and "rows/s" in done.stderr
    assert done.stdout == ""


def test_ctrl_c_mid_import_leaves_a_state_a_rerun_completes(
    server: str, seeded: Engine, tmp_path: Path
) -> None:
    rows = 2000  # two bulk-create pages: interrupted after the first
    path = write_csv(tmp_path / "big.csv", [catalog_row(i) for i in range(rows)])
    process = subprocess.Popen(
        [*import_command(path), "--api", server],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    seen = ""
    for line in process.stderr:  # plain progress lines: the first page is in once one says 1,000
        seen += line
        if line.startswith("importing: 1,000/"):
            process.send_signal(signal.SIGINT)
            break
    rest = process.communicate(timeout=120)[1]
    assert process.returncode == 130, seen + rest
    assert "run the same import again" in rest

    api = StoreApi(server, DEV_KEY, DEMO_STORE_ID)
    partial = sum(item["variantId"].startswith("imp-") for item in api.items())
    assert 1000 <= partial <= rows

    report = import_csv(str(path), DEMO_STORE_ID, server, DEV_KEY, out=io.StringIO())
    assert report.ok and report.created == rows - partial and report.updated == 0
    assert sum(item["variantId"].startswith("imp-") for item in api.items()) == rows
