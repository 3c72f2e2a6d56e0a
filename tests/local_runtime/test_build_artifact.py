"""The deploy artifact that `make build` (`sam build`) made: the layer holds the Lambda platform's own wheels
(CPython 3.12 on arm64) at the locked versions, and every function its handler.

`make test` builds before it runs pytest; run `make build` first when running this file alone.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stockroom_local.template import load_template

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / ".aws-sam" / "build"
LAYER = BUILD / "StockroomLayer" / "python"
# ELF header: e_machine (2 bytes, little-endian) at offset 18; 0xB7 is AArch64, 0x3E x86-64.
AARCH64 = 0xB7


def _built() -> Path:
    if not LAYER.is_dir():
        pytest.fail("no .aws-sam/build: run `make build` (make test does) before this test")
    return LAYER


def _locked() -> dict[str, str]:
    text = (ROOT / "requirements" / "layer.lock").read_text(encoding="utf-8")
    return {
        name.lower().replace("_", "-"): version
        for name, version in re.findall(r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)", text, re.MULTILINE)
    }


@pytest.mark.parametrize("distribution", ["orjson", "pydantic_core"])
def test_compiled_dependencies_are_cpython_312_aarch64_wheels(distribution: str) -> None:
    layer = _built()
    [info] = layer.glob(f"{distribution}-*.dist-info")
    tags = re.findall(r"^Tag: (\S+)$", (info / "WHEEL").read_text(), re.MULTILINE)
    assert tags, f"{info.name} names no wheel tag"
    for tag in tags:
        python, abi, platform = tag.split("-")
        assert (python, abi) == ("cp312", "cp312"), tag
        assert re.fullmatch(r"manylinux(2014|_2_\d+)_aarch64", platform), tag
    [extension] = (layer / distribution).glob("*.so")
    assert extension.name.endswith(".cpython-312-aarch64-linux-gnu.so"), extension.name
    header = extension.read_bytes()[:20]
    assert header[:4] == b"\x7fELF" and int.from_bytes(header[18:20], "little") == AARCH64


def test_the_layer_holds_the_locked_versions_and_the_engine() -> None:
    layer = _built()
    named = [info.name.removesuffix(".dist-info").rsplit("-", 1) for info in layer.glob("*.dist-info")]
    installed = {name.lower().replace("_", "-"): version for name, version in named}
    assert installed == _locked()
    assert (layer / "stockroom" / "wiring.py").is_file()
    # Bytecode of another Python would be dead weight (3.12 cannot use it); 3.12's own is welcome.
    foreign = [p.name for p in layer.rglob("*.pyc") if ".cpython-312" not in p.name]
    assert foreign == []


def test_every_function_is_built_with_its_handler() -> None:
    _built()
    functions = load_template().functions.values()
    assert len(functions) >= 10
    for function in functions:
        module = function.handler.split(".")[0]
        assert (BUILD / function.logical_id / f"{module}.py").is_file(), function.logical_id
