"""The Idempotency-Key header: a retried mutating request is answered once and applied once.

Powertools Idempotency does the work (a conditional put of an in-progress record, then the stored answer);
this module scopes it to HTTP. The key is the caller's store plus the header, so two stores never share a
key; the request's method, path, query and body are its fingerprint, so the same key with another request is
refused instead of answered with the wrong response.

Exactly once on retry: a keyed request's id (`keyed_request_id`: store, key and fingerprint) names its
writes, so the witnesses and ClientRequestTokens of a retry are the first call's, and DynamoDB refuses to
apply a line twice however late the retry comes. An answer that holds lines storage could not settle
(TEMPORARILY_UNAVAILABLE, OUTCOME_UNKNOWN) is not remembered, like a 5xx: the retry runs again and settles
them, each exactly once.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver, BaseRouter
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

if TYPE_CHECKING:  # Powertools Idempotency is imported on the first request that carries the header
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
    from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord

from stockroom.core.errors import InvalidRequest, StorageUnavailable
from stockroom.http.exceptions import IdempotencyKeyReused, RequestInProgress

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
EXPIRES_AFTER_SECONDS = 24 * 60 * 60
_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, as in the IETF draft's examples
# Keys of the resolver's per-request context (cleared after every request).
_REQUEST_ID = "stockroom_keyed_request_id"
_PROVISIONAL = "stockroom_provisional_answer"


class _NotRemembered(Exception):
    """A 5xx answer: Powertools forgets a call that raised, so the client's retry runs again."""

    def __init__(self, response: Response) -> None:
        super().__init__("not remembered")
        self.response = response


def _mark_replayed(response: Any, idempotent_data: DataRecord) -> Any:  # Powertools' response hook
    return {**response, "replayed": True}


@functools.cache
def _config() -> IdempotencyConfig:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    return IdempotencyConfig(
        event_key_jmespath="scope",
        payload_validation_jmespath="fingerprint",
        expires_after_seconds=EXPIRES_AFTER_SECONDS,
        hash_function="sha256",
        response_hook=_mark_replayed,
    )


@functools.cache
def _answer_once() -> Callable[..., dict[str, Any]]:
    # Built on first use, not at import: a request without the header never pays for it, and the table
    # name and endpoint come from the environment.
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent_function

    persistence = DynamoDBPersistenceLayer(
        table_name=os.environ.get("IDEMPOTENCY_TABLE_NAME", "IdempotencyTable")
    )

    @idempotent_function(data_keyword_argument="request", config=_config(), persistence_store=persistence)
    def answer(
        request: dict[str, str], respond: Callable[[], Response], provisional: Callable[[], bool]
    ) -> dict[str, Any]:
        response = respond()
        if response.status_code >= 500 or provisional():
            raise _NotRemembered(response)
        return {
            "statusCode": response.status_code,
            "body": response.body,
            "headers": {k: v for k, v in (response.headers or {}).items() if isinstance(v, str)},
        }

    return answer


def keyed_request_id(router: BaseRouter) -> str | None:
    """The id of this request's writes when it carries an Idempotency-Key (None: it does not)."""
    found = router.context.get(_REQUEST_ID)
    return None if found is None else str(found)


def answer_is_provisional(router: BaseRouter) -> None:
    """This answer holds lines that a retry must settle: it is given, but never replayed."""
    router.append_context(**{_PROVISIONAL: True})


def remember_by_idempotency_key(
    store_of: Callable[[BaseProxyEvent], str],
) -> Callable[[ApiGatewayResolver, NextMiddleware], Response]:
    """Route middleware for a mutating call; `store_of(event)` names the store the call acts on (and
    checks it)."""

    def middleware(app: ApiGatewayResolver, next_middleware: NextMiddleware) -> Response:
        key = app.current_event.headers.get(HEADER)
        if key is None:
            return next_middleware(app)
        if not _KEY_PATTERN.match(key):
            raise InvalidRequest(HEADER, "Idempotency-Key must be 1 to 255 printable ASCII characters.")
        event = app.current_event
        fingerprint = hashlib.sha256(
            "\n".join(
                [event.http_method, event.path, repr(sorted((event.query_string_parameters or {}).items()))]
            ).encode()
            + b"\n"
            + (event.decoded_body or "").encode()
        ).hexdigest()
        from aws_lambda_powertools.utilities.idempotency.exceptions import (
            IdempotencyAlreadyInProgressError,
            IdempotencyPersistenceLayerError,
            IdempotencyValidationError,
        )

        scope = f"{store_of(event)}#{key}"
        # The same key and the same request: the same writes (witness keys and tokens), whenever retried.
        app.append_context(
            **{_REQUEST_ID: "idem-" + hashlib.sha256(f"{scope}#{fingerprint}".encode()).hexdigest()[:32]}
        )
        _config().register_lambda_context(app.lambda_context)
        try:
            stored = _answer_once()(
                request={"scope": scope, "fingerprint": fingerprint},
                respond=lambda: next_middleware(app),
                provisional=lambda: bool(app.context.get(_PROVISIONAL)),
            )
        except _NotRemembered as failed:
            return failed.response
        except IdempotencyValidationError as error:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was used for a different request; nothing was applied."
            ) from error
        except IdempotencyAlreadyInProgressError as error:
            raise RequestInProgress(
                "A request with this Idempotency-Key is in progress; retry after it has been answered."
            ) from error
        except IdempotencyPersistenceLayerError as error:
            raise StorageUnavailable("The idempotency store did not answer; nothing was applied.") from error
        headers = dict(stored["headers"])
        if stored.get("replayed"):
            headers[REPLAYED_HEADER] = "true"
        return Response(
            status_code=stored["statusCode"],
            content_type=headers.pop("Content-Type", content_types.APPLICATION_JSON),
            body=stored["body"],
            headers=headers,
        )

    return middleware
