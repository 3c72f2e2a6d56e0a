"""Pages and cursors: opaque to callers, bound to the store and filter they were issued for."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from stockroom.core.domain import ID_PATTERN
from stockroom.core.errors import InvalidRequest

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    entries: list[T]
    next_cursor: str | None  # None: this is the last page


def cursor_scope(*parts: Any) -> str:
    """A hash of what a cursor is valid for (the call, the store, the filter)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=sorted).encode()).hexdigest()[:16]


def encode_cursor(position: Any, scope: str) -> str:
    raw = json.dumps({"after": position, "scope": scope}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, scope: str, field_name: str) -> Any:
    """The position a cursor resumes after; a cursor that is not ours, or of another store or filter,
    is the caller's mistake (400), never a query of something else."""
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        raise InvalidRequest(field_name, "The cursor is not one this API issued.") from None
    if not isinstance(decoded, dict) or decoded.get("scope") != scope:
        raise InvalidRequest(field_name, "The cursor belongs to another store or another filter.")
    return decoded.get("after")


def is_id(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(ID_PATTERN, value) is not None
