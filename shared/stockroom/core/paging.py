"""Pages and cursors: opaque to callers, bound to the store and filter they were issued for."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import zlib
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


# --- sealed cursors: a cursor that carries its whole query ---------------------------------------------

_MAC_BYTES = 16
# A cursor's content is ours (signed), so it is never large; a bound all the same on what it may inflate to.
_MAX_OPENED_BYTES = 256 * 1024


class CursorSeal:
    """Cursors that carry what they continue (the query, the position), so a next page needs only the
    cursor. Compressed, then signed with HMAC-SHA256 under the deployment's key: a cursor cannot be
    altered, and one issued for another store is refused. Opaque to callers; never a query of anything
    but what it was issued for."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("a cursor signing key has at least 32 bytes")
        self._key = key

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()[:_MAC_BYTES]

    def seal(self, store_id: str, content: Any) -> str:
        body = zlib.compress(json.dumps([store_id, content], separators=(",", ":")).encode(), 9)
        return base64.urlsafe_b64encode(self._mac(body) + body).decode().rstrip("=")

    def open(self, store_id: str, cursor: str, field_name: str | tuple[str | int, ...]) -> Any:
        """What `seal` sealed for this store; a cursor altered, not ours, or of another store is a 400."""
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except (ValueError, binascii.Error):
            raw = b""
        mac, body = raw[:_MAC_BYTES], raw[_MAC_BYTES:]
        if len(mac) < _MAC_BYTES or not hmac.compare_digest(mac, self._mac(body)):
            raise InvalidRequest(field_name, "The cursor is not one this API issued, or it was altered.")
        inflate = zlib.decompressobj()
        owner, content = json.loads(inflate.decompress(body, _MAX_OPENED_BYTES))
        if owner != store_id:
            raise InvalidRequest(field_name, "The cursor belongs to another store.")
        return content
