"""The README, then every docs page in the site's order, run as a reader runs them: on one freshly seeded
server, every shell block in one shell session, in order (a block sees what earlier blocks did and set).

Every ```sh / ```bash block runs, except one marked `<!-- not run: why -->` right above it (deploying,
starting a server, a benchmark). Each `curl` in a block must answer 2xx, or the statuses an
`<!-- expect: 409 -->` comment right above the block names (one per curl, in order; the last one repeats).
A comment line `# → {...}` after a curl is what that curl answers: its JSON must be part of the answer
(objects: these keys with these values; lists: the same length, each element part of the answer's). The
block's last command must succeed, and nothing may fail on the way (a command not found, a traceback).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from stockroom_local.engine import Engine
from stockroom_local.template import Template

ROOT = Path(__file__).resolve().parents[2]
LOCAL_URL = "http://127.0.0.1:3000"
BLOCK = re.compile(r"(?:<!--\s*(expect|not run):?\s*([^>]*?)\s*-->\s*\n)?```(?:sh|bash)\n(.*?)```", re.DOTALL)
CURL = re.compile(r"^\s*curl\b")
ANSWER = re.compile(r"^\s*# → (.*)$")
MORE = re.compile(r"^\s*#   (.*)$")  # an answer's JSON continued


@dataclass
class Block:
    name: str
    script: str
    statuses: list[int] = field(default_factory=list)
    answers: dict[int, Any] = field(default_factory=dict)  # curl number (from 1) -> JSON it answers


def pages() -> list[Path]:
    """The README, then the site's pages in the order of mkdocs.yml's nav."""
    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["nav"]

    def walk(entries: list[Any]) -> Iterator[str]:
        for entry in entries:
            for value in entry.values():
                if isinstance(value, list):
                    yield from walk(value)
                else:
                    yield value

    return [ROOT / "README.md", *(ROOT / "docs" / page for page in walk(nav))]


def blocks() -> list[Block]:
    found = []
    for path in pages():
        text = path.read_text(encoding="utf-8")
        for number, match in enumerate(BLOCK.finditer(text), start=1):
            kind, detail, script = match.groups()
            if kind == "not run":
                assert detail, f"{path.name}#{number}: say why it is not run"
                continue
            block = Block(f"{path.relative_to(ROOT)}#{number}", script)
            if kind == "expect":
                block.statuses = [int(s) for s in re.findall(r"\d+", detail)]
            curls, lines = 0, script.splitlines()
            for index, line in enumerate(lines):
                curls += bool(CURL.match(line))
                answer = ANSWER.match(line)
                if answer:
                    parts = [answer.group(1)]
                    for more in lines[index + 1 :]:
                        continued = MORE.match(more)
                        if not continued:
                            break
                        parts.append(continued.group(1))
                    assert curls, f"{block.name}: an answer with no curl before it"
                    block.answers[curls] = json.loads(" ".join(parts))
            found.append(block)
    return found


BLOCKS = blocks()
# Each curl leaves its status and body in $OUT/<block>.<n>.status and .body.
PRELUDE = """
curl() {
  n=$((n+1))
  command curl -s -o "$OUT/$BLOCK.$n.body" -w '%{http_code}' "$@" > "$OUT/$BLOCK.$n.status"
}
"""


def part_of(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Where `expected` is not part of `actual` (nothing: it is)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where or 'answer'}: {actual!r} is not an object"]
        return [
            problem
            for key, value in expected.items()
            for problem in (
                part_of(value, actual[key], f"{where}.{key}")
                if key in actual
                else [f"{where}.{key}: missing"]
            )
        ]
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{where}: {actual!r} is not a list of {len(expected)}"]
        return [
            p
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for p in part_of(e, a, f"{where}[{i}]")
        ]
    return [] if expected == actual else [f"{where}: {actual!r}, the docs say {expected!r}"]


@pytest.fixture(scope="module")
def fresh(local_engine: Engine, template: Template, server: str) -> str:
    """The session's server on freshly seeded tables, once for the whole run of the docs."""
    from stockroom_local.engine import recreate_tables
    from stockroom_local.seed import seed_demo_data
    from stockroom_local.streams import paused

    with paused():
        recreate_tables(template)
    seed_demo_data()
    return server


def test_the_docs_have_examples() -> None:
    names = {block.name.split("#")[0] for block in BLOCKS}
    assert {"README.md", "docs/wix-api.md", "docs/prosperna-api.md", "docs/reservations.md"} <= names
    assert sum(len(block.answers) for block in BLOCKS) >= 20


def test_the_readme_and_the_docs_run_in_order(fresh: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    work = tmp_path / "reader"  # the reader's folder: .venv/bin/stockroom as in a clone
    work.mkdir()
    (work / ".venv").symlink_to(ROOT / ".venv")
    script = PRELUDE
    for number, block in enumerate(BLOCKS):
        script += f'\nBLOCK={number}; n=0; exec 2> "$OUT/{number}.err"\n'
        script += block.script.replace(LOCAL_URL, fresh)
        script += f'\necho $? > "$OUT/{number}.rc"\n'
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=work,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(work),
            "OUT": str(out),
            "STOCKROOM_URL": fresh,
            "STOCKROOM_API": fresh,  # `stockroom import` and `export` default to it
        },
        capture_output=True,
        text=True,
        timeout=600,
    )
    problems: list[str] = []
    for number, block in enumerate(BLOCKS):
        rc, err = out / f"{number}.rc", out / f"{number}.err"
        if not rc.exists():
            problems.append(f"{block.name}: did not run ({done.stderr[-500:]})")
            continue
        errors = err.read_text()
        if rc.read_text().strip() != "0" or re.search(
            r"Traceback|not found|No such file|syntax error", errors
        ):
            problems.append(f"{block.name}: failed: {errors[-800:]}")
        statuses = sorted(out.glob(f"{number}.*.status"), key=lambda p: int(p.name.split(".")[1]))
        if not statuses and any(CURL.match(line) for line in block.script.splitlines()):
            problems.append(f"{block.name}: no curl ran")
        for index, path in enumerate(statuses):
            status = int(path.read_text())
            want = block.statuses[min(index, len(block.statuses) - 1)] if block.statuses else None
            if (want is None and not 200 <= status < 300) or (want is not None and status != want):
                problems.append(
                    f"{block.name}: curl #{index + 1} answered {status}, the docs say {want or '2xx'}"
                )
        for curl, expected in block.answers.items():
            body_path = out / f"{number}.{curl}.body"
            if not body_path.exists():
                problems.append(f"{block.name}: curl #{curl} did not run")
                continue
            body = body_path.read_text()
            try:
                answer = json.loads(body)
            except ValueError:
                problems.append(f"{block.name}: curl #{curl} answered {body[:200]!r}, not JSON")
                continue
            problems += [f"{block.name}: curl #{curl}{p}" for p in part_of(expected, answer)]
    assert not problems, "\n".join(problems)


def test_blocks_not_run_say_why() -> None:
    text = "".join(path.read_text(encoding="utf-8") for path in pages())
    assert all(reason.strip() for reason in re.findall(r"<!--\s*not run:?([^>]*)-->", text))
    assert os.path.isdir(ROOT / "docs")
