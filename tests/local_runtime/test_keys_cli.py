"""`stockroom keys create` against a data directory that a running server holds: one clear line, exit 2,
no traceback; and a key minted without --data-dir says it lasts only for that command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.local_runtime.serve_process import REPO, serving


def keys(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stockroom_local.cli", "keys", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(REPO)},
    )


def test_a_data_dir_held_by_a_server_is_one_clear_line(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    with serving("--data-dir", data, "--no-seed"):
        done = keys("create", "--store", "s-1", "--data-dir", data)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("error: ") and "in use by another stockroom process" in line, line
    assert done.stdout == ""  # no key was printed: none was stored


def test_a_key_minted_in_memory_says_it_lasts_only_for_the_command() -> None:
    done = keys("create", "--store", "s-1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith("sr_")
    assert "lives only as long as this command" in done.stderr
