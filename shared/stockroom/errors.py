"""Domain exceptions. Each API dialect maps them to HTTP answers in one table of its own."""

from __future__ import annotations


class StockroomError(Exception):
    """Base of every error the engine raises on purpose."""

    code = "INTERNAL"

    def __init__(self, description: str, data: dict[str, object] | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.data = data or {}


class NotAuthenticated(StockroomError):
    code = "UNAUTHENTICATED"


class StoreForbidden(StockroomError):
    code = "PERMISSION_DENIED"


class ItemNotFound(StockroomError):
    code = "INVENTORY_ITEM_NOT_FOUND"


class ItemAlreadyExists(StockroomError):
    code = "ALREADY_EXISTS"


class InvalidRequest(StockroomError):
    """A request that passed schema validation but breaks a domain rule (e.g. both quantity and inStock)."""

    code = "INVALID_ARGUMENT"

    def __init__(self, field: str, description: str) -> None:
        super().__init__(description, {"field": field})
        self.field = field


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


class StorageUnavailable(StockroomError):
    """DynamoDB stayed throttled, conflicting or unreachable past our retries; nothing half-done was left."""

    code = "TEMPORARILY_UNAVAILABLE"


class PublishFailed(StockroomError):
    """EventBridge refused or did not answer a PutEvents: the event was not (wholly) published."""

    code = "TEMPORARILY_UNAVAILABLE"
