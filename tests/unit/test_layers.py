"""The package's layers, as the tree shows them: the core imports no adapter, no HTTP, no dialect and no
AWS SDK; nothing imports upwards; no module is over 400 lines."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "shared" / "stockroom"
SDKS = ("boto3", "botocore", "moto", "aws_lambda_powertools", "pydantic")

# What each layer may import from the package (besides itself). Above them: events, wiring, key_wiring,
# tracing.
ALLOWED = {
    "core": {"core"},
    "adapters": {"core", "adapters"},
    "http": {"core", "http"},
    "dialects": {"core", "http", "dialects", "wiring"},
}


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def modules(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_each_layer_imports_only_what_is_below_it(layer: str) -> None:
    wrong = {
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in modules(layer)
        for name in imports_of(path)
        if name.startswith("stockroom.") and name.split(".")[1] not in ALLOWED[layer]
    }
    assert not wrong


def test_the_core_imports_no_sdk() -> None:
    wrong = {
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in modules("core")
        for name in imports_of(path)
        if name.split(".")[0] in SDKS
    }
    assert not wrong


def test_dialects_do_not_import_each_other() -> None:
    for dialect in ("wix", "prosperna"):
        other = "prosperna" if dialect == "wix" else "wix"
        for path in modules(f"dialects/{dialect}"):
            assert not any(name.startswith(f"stockroom.dialects.{other}") for name in imports_of(path)), path


def test_core_and_memory_adapter_load_without_the_aws_sdk() -> None:
    code = (
        "import sys, stockroom.core.service, stockroom.core.api_keys, stockroom.adapters.memory;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'moto')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PACKAGE.parent
    ).stdout.strip()
    assert loaded == "[]"


def test_no_module_is_over_400_lines() -> None:
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 400
    }
    assert not long
