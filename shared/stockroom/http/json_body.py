"""Strict JSON for request bodies: what json.loads lets through but no client should send."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any

import orjson
from aws_lambda_powertools.shared.json_encoder import Encoder

from stockroom.http.exceptions import PayloadTooLarge, UnsupportedMediaType

# Far above any valid request (300 lines of Wix, 50 of Prosperna, 1000 items to create), far below API
# Gateway's 10 MB: a bigger body is refused before it is parsed.
MAX_BODY_BYTES = 1_000_000


# Past this many digits no integer fits any field (counts stop at 1,000,000,000), and Python's own refusal
# (past 4,300) would answer in its words, naming sys.set_int_max_str_digits.
MAX_INT_DIGITS = 100


def _bounded_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise ValueError(f"a number of {digits:,} digits is out of range (at most {MAX_INT_DIGITS})")
    return int(text)


def refuse_unsupported_body(headers: Mapping[str, str]) -> None:
    """A body is read only when it says it is JSON and is sent as it is: no Content-Type is refused like
    text/plain (415), and so is any Content-Encoding but identity (a gzip claim on a plain body, or a
    real gzip body, would otherwise be read as text or refused as malformed)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    if not lowered.get("content-type", "").strip():
        raise UnsupportedMediaType("The body has no Content-Type: send it as application/json.")
    encoding = lowered.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise UnsupportedMediaType(
            f"Content-Encoding {encoding!r} is not accepted: send the body as it is.", {"encoding": encoding}
        )


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads keeps the last of two equal keys: {"decrementBy": 1, "decrementBy": 500} was judged as 500.
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise ValueError(f"duplicate key {key!r}")
        seen.add(key)
    return dict(pairs)


def strict_json_deserializer(
    expected: type, expected_name: str, headers: Callable[[], Mapping[str, str]] | None = None
) -> Callable[[str], Any]:
    """A Powertools `json_body_deserializer` that refuses NaN, Infinity, 1e400, integers of runaway length,
    runaway nesting, duplicate keys and any top-level value but `expected`. Every refusal is a
    JSONDecodeError, which the resolver's validation turns into a 400 naming the body (a list body must
    not be read as its first element, as Powertools would). `headers`, where given, are the request's:
    a body must say it is JSON (415 otherwise; see `refuse_unsupported_body`)."""

    def deserialize(body: str) -> Any:
        if headers is not None:
            refuse_unsupported_body(headers())
        if len(body) > MAX_BODY_BYTES or len(body.encode()) > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"The body is over {MAX_BODY_BYTES:,} bytes.", {"limit": MAX_BODY_BYTES})
        try:
            value = json.loads(
                body,
                parse_constant=_refuse_constant,
                parse_float=_finite_float,
                parse_int=_bounded_int,
                object_pairs_hook=_refuse_duplicate_keys,
            )
        except json.JSONDecodeError:
            raise
        except (ValueError, RecursionError) as error:
            message = "nested too deeply" if isinstance(error, RecursionError) else str(error)
            raise json.JSONDecodeError(message, body, 0) from error
        if not isinstance(value, expected):
            raise json.JSONDecodeError(f"the body must be a JSON {expected_name}", body, 0)
        return value

    return deserialize


def is_json_content_type(content_type: str | None) -> bool:
    """No content type (a body without one is refused before it is read: `refuse_unsupported_body`), or
    application/json with any parameters."""
    return not content_type or content_type.split(";")[0].strip().lower() == "application/json"


def json_text(body: Any) -> str:
    """The resolvers' `serializer` for answers: orjson (a 300-line answer with its items is ~200 KB, which
    the standard library's encoder took 9 µs a line to write), else Powertools' own for what orjson does not
    encode (Decimal, say)."""
    try:
        return orjson.dumps(body).decode()
    except TypeError:
        return json.dumps(body, separators=(",", ":"), cls=Encoder)
