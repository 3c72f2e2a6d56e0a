"""A local API Gateway (REST API, Lambda proxy integration) for the template's Api routes."""

from __future__ import annotations

import base64
import json
import logging
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import SplitResult, parse_qsl, unquote

from stockroom_local.invoke import ExecutionEnvironments, invoke
from stockroom_local.template import Route, Template

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
READ_TIMEOUT_SECONDS = 10.0
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
API_ID = "local"

# What a REQUEST authorizer event copies from the proxy event (besides type, methodArn and requestContext).
_REQUEST_AUTHORIZER_KEYS = (
    "resource",
    "path",
    "httpMethod",
    "headers",
    "multiValueHeaders",
    "queryStringParameters",
    "multiValueQueryStringParameters",
    "pathParameters",
    "stageVariables",
)

Invoker = Callable[[str, Any], Any]
Headers = list[tuple[str, str]]


@dataclass(frozen=True)
class Response:
    status: int
    headers: Headers
    body: bytes


def json_response(status: int, payload: Any, headers: Headers | None = None) -> Response:
    return Response(
        status, [("Content-Type", "application/json"), *(headers or [])], json.dumps(payload).encode()
    )


def compile_path(template_path: str) -> re.Pattern[str]:
    """/items/{id} matches one segment per {id}; {proxy+} matches the rest of the path."""
    pattern = ""
    for part in re.split(r"(\{[^}]+\})", template_path):
        if part.startswith("{") and part.endswith("+}"):
            pattern += f"(?P<{part[1:-2]}>.+)"
        elif part.startswith("{"):
            pattern += f"(?P<{part[1:-1]}>[^/]+)"
        else:
            pattern += re.escape(part)
    return re.compile(pattern + "/?")


def _specificity(route: Route) -> tuple[int, int]:
    # API Gateway prefers literal segments over {param} over {proxy+}: try routes in that order.
    segments = route.path.strip("/").split("/")
    return (-sum(not s.startswith("{") for s in segments), sum(s.endswith("+}") for s in segments))


def _arn_matches(pattern: str, arn: str) -> bool:
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, arn) is not None


def policy_allows(policy: dict[str, Any], method_arn: str) -> bool:
    """IAM evaluation of an authorizer's policy for execute-api:Invoke: an explicit Deny wins."""
    allowed = False
    for statement in policy.get("Statement", []):
        actions = statement.get("Action", [])
        resources = statement.get("Resource", [])
        actions = [actions] if isinstance(actions, str) else actions
        resources = [resources] if isinstance(resources, str) else resources
        if not any(_arn_matches(a, "execute-api:Invoke") for a in actions):
            continue
        if any(_arn_matches(r, method_arn) for r in resources):
            if statement.get("Effect") == "Deny":
                return False
            allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


class Gateway:
    """Turns HTTP requests into API Gateway REST proxy events and Lambda results into responses."""

    def __init__(self, template: Template, invoker: Invoker | None = None):
        self.template = template
        self.invoker = invoker or (lambda function_id, event: invoke(function_id, event, template))
        self.routes = [(r, compile_path(r.path)) for r in sorted(template.routes, key=_specificity)]

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route, pattern in self.routes:
            m = pattern.fullmatch(path)
            if m and route.method in (method, "ANY"):
                return route, {k: unquote(v) for k, v in m.groupdict().items()}
        return None

    def handle(
        self, method: str, target: str, headers: Headers, body: bytes, source_ip: str = "127.0.0.1"
    ) -> Response:
        if len(body) > MAX_BODY_BYTES:
            return json_response(413, {"message": "Request Too Long"})
        if not target.startswith("/"):
            # An absolute-form ("http://host/...") or asterisk target: API Gateway routes origin-form only.
            return json_response(400, {"message": "Bad Request"})
        # Not urlsplit: it reads "//stores/v3/..." as host "stores" and path "/v3/...", a route it is not.
        raw_path, _, query = target.partition("?")
        url = SplitResult("", "", raw_path.partition("#")[0], query.partition("#")[0], "")
        path = url.path
        found = self.match(method, path)
        stage_prefix = f"/{self.template.stage}/"
        if found is None and path.startswith(stage_prefix):
            # Deployed, every route is under the stage (/v1/...), as Swagger UI's server says; locally the
            # same URL works too, and the event's path is the route's, without the stage, as in API Gateway.
            path = path[len(stage_prefix) - 1 :]
            found = self.match(method, path)
        if found is None:
            # What API Gateway answers for a path or method it has no route for (not a 404).
            return json_response(403, {"message": "Missing Authentication Token"})
        route, path_params = found
        event = self.proxy_event(route, method, path, url.query, headers, body, path_params, source_ip)

        if route.authorizer_id is not None:
            denied = self.authorize(route.authorizer_id, event)
            if denied is not None:
                return denied
        try:
            result = self.invoker(route.function_id, event)
        except Exception:
            log.exception("%s failed on %s %s", route.function_id, method, path)
            return json_response(502, {"message": "Internal server error"})
        return self.proxy_response(route, result)

    def authorize(self, authorizer_id: str, event: dict[str, Any]) -> Response | None:
        """Run the REQUEST authorizer; fills requestContext.authorizer, or returns the refusal."""
        if not _header(event["headers"], "Authorization"):
            # API Gateway refuses a request without the identity source before calling the authorizer.
            return json_response(401, {"message": "Unauthorized"})
        context = event["requestContext"]
        request = {
            "type": "REQUEST",
            "methodArn": (
                f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{API_ID}/{context['stage']}"
                f"/{event['httpMethod']}{event['path']}"
            ),
            **{k: event[k] for k in _REQUEST_AUTHORIZER_KEYS},
            "requestContext": {k: v for k, v in context.items() if k != "authorizer"},
        }
        try:
            result = self.invoker(authorizer_id, request)
        except Exception as exc:
            if str(exc) == "Unauthorized":  # the documented way for an authorizer to answer 401
                return json_response(401, {"message": "Unauthorized"})
            log.exception("authorizer %s failed", authorizer_id)
            return json_response(500, {"message": None})  # API Gateway's AuthorizerConfigurationException
        if not isinstance(result, dict) or not policy_allows(
            result.get("policyDocument") or {}, request["methodArn"]
        ):
            return json_response(403, {"message": "User is not authorized to access this resource"})
        context["authorizer"] = {"principalId": result.get("principalId"), **(result.get("context") or {})}
        return None

    def proxy_event(
        self,
        route: Route,
        method: str,
        path: str,
        query: str,
        headers: Headers,
        body: bytes,
        path_params: dict[str, str],
        source_ip: str,
    ) -> dict[str, Any]:
        multi_headers: dict[str, list[str]] = {}
        for name, value in headers:
            multi_headers.setdefault(name, []).append(value)
        multi_query: dict[str, list[str]] = {}
        for name, value in parse_qsl(query, keep_blank_values=True):
            multi_query.setdefault(name, []).append(value)
        try:
            text, is_base64 = body.decode("utf-8"), False
        except UnicodeDecodeError:
            text, is_base64 = base64.b64encode(body).decode("ascii"), True
        # The last value wins in the single-value maps, as in API Gateway.
        single_headers = {k: v[-1] for k, v in multi_headers.items()}
        now = time.time()
        request_id = str(uuid.uuid4())
        return {
            "resource": route.path,
            "path": path,
            "httpMethod": method,
            "headers": single_headers or None,
            "multiValueHeaders": multi_headers or None,
            "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": path_params or None,
            "stageVariables": None,
            "requestContext": {
                "accountId": ACCOUNT_ID,
                "apiId": API_ID,
                "resourceId": "local",
                "resourcePath": route.path,
                "httpMethod": method,
                "path": f"/{self.template.stage}{path}",
                "stage": self.template.stage,
                "protocol": "HTTP/1.1",
                "requestId": request_id,
                "extendedRequestId": request_id,
                "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
                "requestTimeEpoch": int(now * 1000),
                "domainName": "localhost",
                "identity": {"sourceIp": source_ip, "userAgent": _header(single_headers, "User-Agent")},
                "authorizer": None,
            },
            "body": text if body else None,
            "isBase64Encoded": is_base64 and bool(body),
        }

    def proxy_response(self, route: Route, result: Any) -> Response:
        if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
            # API Gateway's answer to a Lambda proxy result it cannot read.
            log.error("%s returned a malformed proxy response: %r", route.function_id, result)
            return json_response(502, {"message": "Internal server error"})
        headers: Headers = [(k, str(v)) for k, v in (result.get("headers") or {}).items()]
        single = {k.lower() for k, _ in headers}
        for name, values in (result.get("multiValueHeaders") or {}).items():
            headers += [(name, str(v)) for v in values if name.lower() not in single]
        body = result.get("body") or ""
        raw = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode("utf-8")
        return Response(result["statusCode"], headers, raw)


def _header(headers: dict[str, str] | None, name: str) -> str | None:
    """A header value by case-insensitive name (HTTP header names are case-insensitive)."""
    return next((v for k, v in (headers or {}).items() if k.lower() == name.lower()), None)


class _RequestHandler(BaseHTTPRequestHandler):
    # http.server keeps header names as the client sent them, as API Gateway does (WSGI would not).
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle on, the body waits ~40 ms for a delayed ACK.
    disable_nagle_algorithm = True
    # Seconds a read may wait: a client that sends a short body (or nothing) gives its thread back.
    timeout = READ_TIMEOUT_SECONDS
    server: GatewayServer

    def _serve(self) -> None:
        gateway = self.server.gateway
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self._send(json_response(411, {"message": "Length Required"}))
            return
        lengths = self.headers.get_all("Content-Length") or []
        try:
            # Two lengths are two ways to frame the body (request smuggling): refused, even if equal.
            length = int(lengths[0]) if len(lengths) == 1 else -1 if lengths else 0
        except ValueError:
            length = -1
        if length < 0:
            self._send(json_response(400, {"message": "Bad Content-Length"}))
            self.close_connection = True
            return
        if length > MAX_BODY_BYTES:
            self._send(json_response(413, {"message": "Request Too Long"}))
            self.close_connection = True  # the unread body is still on the socket
            return
        body = self.rfile.read(length) if length else b""
        if len(body) < length:  # the client closed before its Content-Length
            self.close_connection = True
            return
        # The target as sent: http.server rewrites a leading "//" in self.path to "/", which would route it.
        words = self.requestline.split()
        target = words[1] if len(words) == 3 else self.path
        self._send(
            gateway.handle(self.command, target, list(self.headers.items()), body, self.client_address[0])
        )

    def __getattr__(self, name: str) -> Any:
        # Any method (TRACE, QUERY...) reaches the route table: one no route has gets API Gateway's answer
        # (403 Missing Authentication Token), not http.server's 501.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


class GatewayServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog is 5: a burst of clients connecting at once would be refused or reset.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], gateway: Gateway, verbose: bool = True):
        self.gateway = gateway
        self.verbose = verbose
        self.environments: ExecutionEnvironments | None = None
        super().__init__(address, _RequestHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            # A client that hung up or stalled is routine: one line, not a traceback.
            if self.verbose:
                print(f"client {client_address[0]} went away ({type(error).__name__})", file=sys.stderr)
            return
        super().handle_error(request, client_address)

    def server_close(self) -> None:
        super().server_close()
        if self.environments is not None:
            self.environments.close()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def start_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="stockroom-gateway", daemon=True)
        thread.start()
        return thread


def make_server(
    template: Template,
    host: str = "127.0.0.1",
    port: int = 3000,
    verbose: bool = True,
    environments: int = 8,
) -> GatewayServer:
    """An HTTP server for every Api route of the template (port 0 picks a free one), invoking handlers in
    up to `environments` worker processes, as Lambda would (0: in this process, one request at a time)."""
    if environments > 0:
        pool = ExecutionEnvironments(template, environments)
        server = GatewayServer((host, port), Gateway(template, invoker=pool), verbose)
        server.environments = pool
        return server
    # In process, `invoke` runs one request at a time per function: one warm execution environment.
    return GatewayServer((host, port), Gateway(template), verbose)
