"""The edges of a catalog file: encodings, a column named twice, rows of the wrong length, semicolons."""

from __future__ import annotations

import codecs
import io

import pytest

from stockroom_local.catalog_csv import CsvFormatError, decode_csv, read_rows

HEADER = "variantId,productId,quantity,productName"


def rows_of(text: str) -> tuple[list[str], list[str]]:
    rows, errors = read_rows(io.StringIO(text, newline=""))
    return [row.variant_id for row in rows], [str(error) for error in errors]


def test_utf8_with_or_without_excel_bom_and_utf16_by_its_bom() -> None:
    text = f"{HEADER}\nbonnet-bleu,,3,Bonnet bleu é\n"
    encoded = (
        text.encode(),
        codecs.BOM_UTF8 + text.encode(),
        codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
    )
    for data in encoded:
        rows, errors = read_rows(io.StringIO(decode_csv(data), newline=""))
        assert [(r.variant_id, r.product_name) for r in rows] == [("bonnet-bleu", "Bonnet bleu é")]
        assert errors == []


def test_a_file_that_is_not_utf8_is_one_clear_error() -> None:
    latin1 = f"{HEADER}\nsock,,3,Chaussette\nhat,,1,Béret\n".encode("latin-1")
    with pytest.raises(CsvFormatError) as refused:
        decode_csv(latin1)
    assert str(refused.value) == "the file is not UTF-8 (byte 0xe9 on line 3); save it as CSV UTF-8"


def test_a_column_named_twice_stops_the_import() -> None:
    with pytest.raises(CsvFormatError, match="quantity named twice"):
        read_rows(io.StringIO("variantId,quantity,quantity\nsock,1,2\n"))


def test_short_and_long_rows_are_judged_alike() -> None:
    good, errors = rows_of(f"{HEADER}\nsock,,3,Sock\nshort,,4\nlong,,5,Long,extra\nlast,,6,Last\n")
    assert good == ["sock", "last"]
    assert errors == ["line 3: 3 values for 4 columns", "line 4: 5 values for 4 columns"]


def test_a_semicolon_separated_file_is_read_by_its_header() -> None:
    good, errors = rows_of("variantId;productId;quantity;productName\nsock;;3;Sock, red\nhat;;2;Hat\n")
    assert (good, errors) == (["sock", "hat"], [])
    rows, _ = read_rows(io.StringIO("variantId;quantity\nsock;3\n"))
    assert rows[0].quantity == 3
