"""The catalog CSV of `stockroom import` / `stockroom export`: reading rows with their line numbers, and
writing items back in the same columns.

Rows are checked here, before any request, with the API's own rules (id alphabet, one tracking method,
non-negative counts): one invalid item refuses a whole bulk request, so a bad row must never reach one.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

COLUMNS = (
    "variantId",
    "productId",
    "locationId",
    "quantity",
    "inStock",
    "preorderEnabled",
    "preorderLimit",
    "productName",
)
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")  # the API's Id alphabet (shared fields.py)
# The API's bounds (Wix's): a row past them is refused alone, not with the batch the API would refuse.
MAX_QUANTITY = 99_999
MAX_PREORDER_LIMIT = 100_000
MAX_NAME = 80
_TRUE = {"true", "yes", "1", "y"}
_FALSE = {"false", "no", "0", "n"}


class CsvFormatError(Exception):
    """The file as a whole cannot be read (no header, unknown columns): nothing is imported."""


@dataclass(frozen=True)
class Row:
    line: int
    variant_id: str
    product_id: str | None
    location_id: str | None
    quantity: int | None
    in_stock: bool | None
    preorder_enabled: bool | None
    preorder_limit: int | None
    product_name: str | None


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def _count(value: str, column: str) -> int:
    if not re.fullmatch(r"\+?[0-9]+", value):
        raise ValueError(f"{column} must be a whole number >= 0, not {value!r}")
    number = int(value)
    most = MAX_PREORDER_LIMIT if column == "preorderLimit" else MAX_QUANTITY
    if number > most:
        raise ValueError(f"{column} must be at most {most:,}, not {value}")
    return number


def _flag(value: str, column: str) -> bool:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{column} must be true or false, not {value!r}")


def _id(value: str, column: str) -> str:
    if not ID_PATTERN.fullmatch(value):
        raise ValueError(f"{column} {value!r} is not an id (1 to 128 of A-Z a-z 0-9 . _ : -)")
    return value


def parse_row(line: int, fields: dict[str, str]) -> Row:
    """One data row; raises ValueError with a message for the user."""
    get = {k: (fields.get(k) or "").strip() for k in COLUMNS}
    if not get["variantId"]:
        raise ValueError("variantId is missing")
    if bool(get["quantity"]) == bool(get["inStock"]):
        raise ValueError("give exactly one of quantity (a count) and inStock (true/false)")
    if get["inStock"] and get["preorderLimit"]:
        raise ValueError("a preorderLimit needs a quantity: an item without a count has no limit")
    if get["productName"] and len(get["productName"]) > MAX_NAME:
        raise ValueError(f"productName is longer than {MAX_NAME} characters")
    return Row(
        line=line,
        variant_id=_id(get["variantId"], "variantId"),
        product_id=_id(get["productId"], "productId") if get["productId"] else None,
        location_id=_id(get["locationId"], "locationId") if get["locationId"] else None,
        quantity=_count(get["quantity"], "quantity") if get["quantity"] else None,
        in_stock=_flag(get["inStock"], "inStock") if get["inStock"] else None,
        preorder_enabled=_flag(get["preorderEnabled"], "preorderEnabled") if get["preorderEnabled"] else None,
        preorder_limit=_count(get["preorderLimit"], "preorderLimit") if get["preorderLimit"] else None,
        product_name=get["productName"] or None,
    )


_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def decode_csv(data: bytes) -> str:
    """The file's text: UTF-8 (with or without Excel's byte-order mark), or UTF-16 where its byte-order mark
    says so ("Unicode text" from a spreadsheet). Anything else is one clear error, not a guess."""
    encoding = next((name for bom, name in _BOMS if data.startswith(bom)), "utf-8")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise CsvFormatError(
            f"the file is not {encoding.upper().removesuffix('-SIG')} (byte 0x{data[error.start]:02x} on line"
            f" {line}); save it as CSV UTF-8"
        ) from None


def _delimiter(first_line: str) -> str:
    """The separator the header uses: a comma, or a semicolon or tab where that is what splits it into the
    known columns (spreadsheets in locales whose decimal mark is a comma write semicolons)."""

    def known(separator: str) -> int:
        return sum(1 for name in first_line.split(separator) if name.strip().strip('"') in COLUMNS)

    return max((",", ";", "\t"), key=known)


def read_rows(stream: IO[str]) -> tuple[list[Row], list[RowError]]:
    """Every row of the file, good or bad. Line numbers count the header as line 1 (a quoted value with a
    newline makes a row span lines: it is named by its last line, as the csv module counts)."""
    text = stream.read()
    delimiter = _delimiter(text.split("\n", 1)[0])
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [name.strip() for name in reader.fieldnames or []]
    if "variantId" not in header:
        raise CsvFormatError(f"the header must name variantId; columns are {','.join(COLUMNS)}")
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        # A misspelt column would otherwise be ignored silently, like a misspelt API field.
        raise CsvFormatError(f"unknown column(s) {', '.join(unknown)}; columns are {','.join(COLUMNS)}")
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        # Which of two quantity columns would count? Neither is guessed.
        raise CsvFormatError(f"column(s) {', '.join(twice)} named twice in the header")
    reader.fieldnames = header
    rows: list[Row] = []
    errors: list[RowError] = []
    seen: dict[tuple[str, str | None], int] = {}
    for fields in reader:
        line = reader.line_num
        values = len(header) + len(fields.get(None) or []) - sum(1 for v in fields.values() if v is None)
        if values != len(header):  # too many values, or too few: judged alike, never padded or cut
            errors.append(RowError(line, f"{values} values for {len(header)} columns"))
            continue
        try:
            row = parse_row(line, fields)
        except ValueError as exc:
            errors.append(RowError(line, str(exc)))
            continue
        key = (row.variant_id, row.location_id)
        if key in seen:
            errors.append(RowError(line, f"the same variantId and locationId as line {seen[key]}"))
            continue
        seen[key] = line
        rows.append(row)
    return rows, errors


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def item_to_csv(item: dict[str, Any]) -> dict[str, str]:
    """An API inventory item as a CSV row: exactly one of quantity and inStock is filled."""
    preorder = item.get("preorderInfo") or {}
    tracked = item.get("trackQuantity", True)
    return {
        "variantId": item["variantId"],
        "productId": item.get("productId", ""),
        "locationId": item.get("locationId", ""),
        "quantity": _text(item.get("quantity")) if tracked else "",
        "inStock": "" if tracked else _text(bool(item.get("inStock"))),
        "preorderEnabled": _text(bool(preorder.get("enabled"))),
        "preorderLimit": _text(preorder.get("limit")),
        "productName": _text((item.get("product") or {}).get("name")),
    }


def write_items(stream: IO[str], items: Iterable[dict[str, Any]]) -> int:
    """Write the header, then one row an item; returns how many rows."""
    writer = csv.DictWriter(stream, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for item in items:
        writer.writerow(item_to_csv(item))
        count += 1
    return count
