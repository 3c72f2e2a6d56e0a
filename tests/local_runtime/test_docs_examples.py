"""Every curl example of the docs and the README runs against a local server and gets its answer.

A ```sh or ```bash block that calls curl is run with bash, `http://127.0.0.1:3000` and `$STOCKROOM_URL`
pointing at the test's server, each block on freshly seeded data. Each curl must answer 2xx, or the statuses
an `<!-- expect: 400 -->` comment right above the block names (one per curl, in order; the last one repeats).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from stockroom_local.engine import Engine

ROOT = Path(__file__).resolve().parents[2]
LOCAL_URL = "http://127.0.0.1:3000"
BLOCK = re.compile(r"(?:<!--\s*expect:\s*([\d, ]+)-->\s*\n)?```(?:sh|bash)\n(.*?)```", re.DOTALL)
# Every curl records its status; -s keeps bodies off the terminal's progress meter.
PRELUDE = """
curl() { command curl -s -o /dev/null -w '%{http_code}\\n' "$@" >> "$STATUS_FILE"; }
"""


def examples() -> list[tuple[str, list[int], str]]:
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        for number, match in enumerate(BLOCK.finditer(text), start=1):
            script = match.group(2)
            if not re.search(r"^\s*curl\b|\bcurl -", script, re.MULTILINE):
                continue
            expected = [int(s) for s in re.findall(r"\d+", match.group(1) or "")]
            found.append((f"{path.relative_to(ROOT)}#{number}", expected, script))
    return found


EXAMPLES = examples()


def test_the_docs_have_curl_examples() -> None:
    names = {name.split("#")[0] for name, _, _ in EXAMPLES}
    assert {"README.md", "docs/wix-api.md", "docs/prosperna-api.md"} <= names
    assert len(EXAMPLES) >= 10


@pytest.mark.parametrize(("name", "expected", "script"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_a_curl_example_runs(
    name: str, expected: list[int], script: str, server: str, seeded: Engine, tmp_path: Path
) -> None:
    status_file = tmp_path / "statuses"
    status_file.touch()
    # The docs' own `STOCKROOM_URL=http://127.0.0.1:3000` lines become the server's URL too.
    body = script.replace(LOCAL_URL, server)
    done = subprocess.run(
        ["bash", "-c", PRELUDE + body],
        env={"PATH": "/usr/bin:/bin", "STOCKROOM_URL": server, "STATUS_FILE": str(status_file)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    statuses = [int(s) for s in status_file.read_text().split()]
    assert statuses, f"{name}: no curl ran"
    for index, status in enumerate(statuses):
        want = expected[min(index, len(expected) - 1)] if expected else None
        if want is None:
            assert 200 <= status < 300, f"{name}: curl #{index + 1} answered {status}"
        else:
            assert status == want, f"{name}: curl #{index + 1} answered {status}, the docs say {want}"
