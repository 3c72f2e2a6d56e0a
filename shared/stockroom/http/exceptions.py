"""Refusals that exist only at the HTTP edge: authentication, tenancy, idempotency keys and bodies."""

from __future__ import annotations

from stockroom.core.errors import StockroomError


class NotAuthenticated(StockroomError):
    code = "UNAUTHENTICATED"


class StoreForbidden(StockroomError):
    code = "PERMISSION_DENIED"


class IdempotencyKeyReused(StockroomError):
    """The Idempotency-Key was used before, for another request."""

    code = "IDEMPOTENCY_KEY_REUSED"


class RequestInProgress(StockroomError):
    """A request with this Idempotency-Key is still being answered."""

    code = "REQUEST_IN_PROGRESS"


class PayloadTooLarge(StockroomError):
    code = "PAYLOAD_TOO_LARGE"


class UnsupportedMediaType(StockroomError):
    code = "UNSUPPORTED_MEDIA_TYPE"


class NotServed(StockroomError):
    """A call of the dialect Stockroom answers but does not serve (docs/wix-api.md says why for each)."""

    code = "NOT_SERVED"
