"""What a handler reads off the API Gateway request besides its body."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import BaseRouter


def request_id(router: BaseRouter) -> str:
    """API Gateway's id for the HTTP request (what the caller can quote back to us); the Lambda's, when
    there is none (a direct invoke)."""
    context = router.current_event.raw_event.get("requestContext") or {}
    return str(context.get("requestId") or router.lambda_context.aws_request_id)
