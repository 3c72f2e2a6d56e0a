"""The local gateway at its edges: slow and hostile clients, framing, targets, media types, the banner."""

from __future__ import annotations

import json
import socket
import struct
import time
from collections.abc import Iterator
from typing import Any

import pytest

from stockroom_local import cli
from stockroom_local.gateway import Gateway, GatewayServer, _RequestHandler
from stockroom_local.template import Template
from tests.local_runtime.test_local_engine import request
from tests.support import SOCKS_A_ITEM, Api

ROUTE = f"/stores/v3/inventory-items/{SOCKS_A_ITEM}"


@pytest.fixture
def recording_server(template: Template) -> Iterator[tuple[str, list[Any]]]:
    """A gateway over the real routes whose invoker records what it is asked (and lets everything in)."""
    calls: list[Any] = []

    def invoker(function_id: str, event: Any) -> Any:
        calls.append((function_id, event.get("path")))
        if function_id == template.authorizer_function:
            return {
                "principalId": "p",
                "policyDocument": {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
            }
        time.sleep(float((event.get("headers") or {}).get("x-sleep", 0)))
        return {"statusCode": 200, "body": "{}"}

    httpd = GatewayServer(("127.0.0.1", 0), Gateway(template, invoker=invoker), verbose=True)
    thread = httpd.start_background()
    try:
        yield httpd.url, calls
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _raw(url: str, data: bytes, wait: float = 5) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=wait) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        return received


def test_a_short_body_gives_its_thread_back(
    recording_server: tuple[str, list[Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_RequestHandler, "timeout", 0.5)
    url, calls = recording_server
    started = time.monotonic()
    # Content-Length 100, 2 bytes sent: the server stops waiting and closes the connection.
    answer = _raw(
        url, f"POST {ROUTE} HTTP/1.1\r\nHost: x\r\nAuthorization: k\r\nContent-Length: 100\r\n\r\n{{".encode()
    )
    assert answer == b"" and time.monotonic() - started < 4
    assert calls == []


def test_a_duplicate_content_length_is_a_400(recording_server: tuple[str, list[Any]]) -> None:
    url, calls = recording_server
    answer = _raw(
        url,
        f"POST {ROUTE} HTTP/1.1\r\nHost: x\r\nAuthorization: k\r\nContent-Length: 2\r\n"
        "Content-Length: 2\r\nConnection: close\r\n\r\n{}".encode(),
    )
    assert answer.startswith(b"HTTP/1.1 400 ") and calls == []


@pytest.mark.parametrize("target", ["//stores/v3/inventory-items/x", "//evil/" + ROUTE.lstrip("/")])
def test_a_double_slash_target_is_not_routed(recording_server: tuple[str, list[Any]], target: str) -> None:
    url, calls = recording_server
    status, _, body = request(url, "GET", target, {"Authorization": "k"})
    assert (status, json.loads(body)) == (403, {"message": "Missing Authentication Token"})
    assert calls == []


def test_an_absolute_uri_target_is_a_400(recording_server: tuple[str, list[Any]]) -> None:
    url, calls = recording_server
    answer = _raw(
        url,
        f"GET http://x{ROUTE} HTTP/1.1\r\nHost: x\r\nAuthorization: k\r\nConnection: close\r\n\r\n".encode(),
    )
    assert answer.startswith(b"HTTP/1.1 400 ") and calls == []


def test_a_client_that_hangs_up_is_one_line_not_a_traceback(
    recording_server: tuple[str, list[Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    url, calls = recording_server
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with a reset
    sock.sendall(f"GET {ROUTE} HTTP/1.1\r\nHost: x\r\nAuthorization: k\r\nx-sleep: 0.5\r\n\r\n".encode())
    time.sleep(0.1)
    sock.close()
    deadline = time.monotonic() + 5
    err = ""
    while time.monotonic() < deadline and "went away" not in err:
        time.sleep(0.2)
        err += capsys.readouterr().err
    assert "went away" in err and "Traceback" not in err, err
    assert len(calls) == 2  # the authorizer and the handler ran; only the answer had nowhere to go


def test_a_form_body_is_a_415(server: str) -> None:
    for content_type, body in (
        ("application/x-www-form-urlencoded", "decrementData=1"),
        (
            "multipart/form-data; boundary=b",
            '--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--b--\r\n',
        ),
    ):
        answer = Api(server).post(
            "/stores/v3/bulk/inventory-items/decrement", raw=body, headers={"content-type": content_type}
        )
        assert answer.status == 415, (content_type, answer.body)
        answer = Api(server).post(
            "/v1/products/stock-quantity?store_id=639749a5cb1db88617891bf0",
            raw=body,
            headers={"content-type": content_type},
        )
        assert answer.status == 415, (content_type, answer.body)


def test_the_banner_names_the_configured_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STOCKROOM_API_KEYS", json.dumps({"team-key": ["s1"]}))
    assert "team-key" in cli._banner_keys() and "local-dev-key" not in cli._banner_keys()
    monkeypatch.setenv("STOCKROOM_API_KEYS", json.dumps({f"k{i}": ["s"] for i in range(5)}))
    assert cli._banner_keys().endswith("k0 | k1 | k2 (and 2 more)")
