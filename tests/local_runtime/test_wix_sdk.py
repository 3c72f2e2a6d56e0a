"""The Wix dialect's contract: Wix's official JavaScript SDK against `stockroom serve`.

tests/wix_sdk holds the SDK (@wix/sdk with @wix/stores, versions locked in its package-lock.json) and the
Node tests that drive it (node:test, Node 20). This test installs them with `npm ci` when the lock changed
(or nothing is installed yet), starts `stockroom serve` on the demo data, and runs them against it: the SDK
is pointed at the server through its `fetch` option and nothing else. Without Node or npm it fails, as CI
has both.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from tests.local_runtime.serve_process import REPO, serving

SDK_TESTS = REPO / "tests" / "wix_sdk"
CONTRACT_KEY = "sdk-contract-key"
FILES = ("contract.test.mjs", "query.test.mjs")
# The stores the Node tests use: the demo store (the SPEC's seed example), and one store per concern.
STORES = [
    "639749a5cb1db88617891bf0",
    "sdk-catalog",
    "sdk-stock",
    "sdk-query",
    "sdk-filter",
    "sdk-bound",
    "sdk-other",
]


def installed(directory: Path) -> None:
    """`npm ci` unless node_modules already holds what package-lock.json locks (a stamp of its hash)."""
    lock = hashlib.sha256((directory / "package-lock.json").read_bytes()).hexdigest()
    stamp = directory / "node_modules" / ".stockroom-lock-sha256"
    if stamp.exists() and stamp.read_text() == lock:
        return
    npm = shutil.which("npm")
    assert npm is not None, "npm is needed (Node 20): the Wix SDK contract runs under Node"
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"], cwd=directory, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr
    stamp.write_text(lock)


def test_wixs_own_sdk_works_against_stockroom_serve() -> None:
    node = shutil.which("node")
    assert node is not None, "node (20) is needed: the Wix SDK contract runs under Node"
    installed(SDK_TESTS)
    keys = {CONTRACT_KEY: STORES}
    with serving(env={"STOCKROOM_API_KEYS": json.dumps(keys)}) as (_, url):
        env = {**os.environ, "STOCKROOM_URL": url, "STOCKROOM_KEY": CONTRACT_KEY}
        done = subprocess.run(
            [node, "--test", "--test-reporter=tap", *FILES],
            cwd=SDK_TESTS,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    assert done.returncode == 0, done.stdout[-20_000:] + done.stderr[-5_000:]
    # Every test of the files ran and passed (node:test counts them): none skipped, none left out.
    written = sum(len(re.findall(r"^test\(", (SDK_TESTS / f).read_text(), re.M)) for f in FILES)
    assert f"# pass {written}\n" in done.stdout and "# skipped 0\n" in done.stdout, done.stdout[-3_000:]
