"""A body over the limit is refused (413) from its Content-Length, before it is read.

Real HTTP on loopback: the client announces 60 MB and sends 1 KB; the answer must come at
once, which it cannot if the server waits for the rest of the body."""

from __future__ import annotations

import json
import re
import socket
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import RequestFactory
from django.utils import translation

from campusdesk.core import failures

pytestmark = pytest.mark.security

MB = 1024 * 1024


def announce(
    url: str, path: str, length: int, content_type: str, **headers: str
) -> tuple[int, dict[str, str], str, float]:
    """POST announcing ``length`` bytes but sending 1 KB; (status, headers, body, seconds)."""
    parts = urlsplit(url)
    head = [
        f"POST {path} HTTP/1.1",
        f"Host: {parts.netloc}",
        f"Content-Type: {content_type}",
        f"Content-Length: {length}",
    ]
    head += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    started = time.monotonic()
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + b"x" * 1024)
        raw = b""
        while b"\r\n\r\n" not in raw:
            raw += sock.recv(65536) or b"!"  # an early close ends the test instead of a loop
        head_raw, _, body = raw.partition(b"\r\n\r\n")
        lines = head_raw.decode("latin-1").split("\r\n")
        found = dict(line.split(": ", 1) for line in lines[1:])
        while len(body) < int(found["Content-Length"]):
            body += sock.recv(65536) or b"!"
    return int(lines[0].split()[1]), found, body.decode(), time.monotonic() - started


def test_a_60_mb_upload_is_refused_before_it_is_read(live_server: Any):
    # with a CSRF cookie, so that nothing else refuses it before the body would be read
    status, headers, body, seconds = announce(
        live_server.url,
        "/tickets/new/",
        60 * MB,
        "multipart/form-data; boundary=x",
        Cookie=f"csrftoken={'a' * 32}",
        X_CSRFToken="a" * 32,
    )
    assert status == 413
    assert seconds < 5  # not after a 10 s wait for 60 MB that never come
    assert headers["Content-Type"].startswith("text/html")
    assert "上传内容过大" in body and "50.0\xa0MB" in body
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def test_the_api_answers_json_in_the_requested_language(live_server: Any):
    def upload(language: str) -> tuple[int, dict[str, str], str, float]:
        return announce(
            live_server.url,
            "/api/v1/tickets/1/attachments/",
            60 * MB,
            "multipart/form-data; boundary=x",
            Accept_Language=language,
        )

    status, headers, body, _ = upload("zh-hans")
    assert (status, headers["Content-Type"]) == (413, "application/json")
    assert "上传内容过大" in json.loads(body)["detail"]
    status, _, body, _ = upload("en")
    assert status == 413 and "too large" in json.loads(body)["detail"]


def test_a_body_without_files_has_the_smaller_limit(live_server: Any):
    status, _, body, seconds = announce(
        live_server.url, "/api/v1/alerts/", 6 * MB, "application/json"
    )
    assert (status, seconds < 5) == (413, True)
    assert "5.0\xa0MB" in json.loads(body)["detail"]


def test_a_body_within_the_limit_goes_on(live_server: Any):
    # read, then refused by the next check (no CSRF token): the limit let it through
    status, _, _, _ = announce(
        live_server.url, "/tickets/new/", 1024, "multipart/form-data; boundary=x"
    )
    assert status == 403


def test_the_readmes_nginx_example_says_the_same(settings: Any):
    """The proxy's limit and message in the README match campusdesk's own."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    nginx = re.search(r"```nginx\n(.*?)```", readme, re.S)
    assert nginx is not None
    limit = re.search(r"client_max_body_size (\d+)m;", nginx[1])
    assert limit is not None and int(limit[1]) * MB == settings.UPLOAD_MAX_BYTES
    with translation.override("zh-hans"):
        ours = str(
            failures.body_too_large(RequestFactory().post("/api/v1/x/"), 50 * MB).content, "utf-8"
        )
    message = json.loads(ours)["detail"].replace("50.0\xa0MB", "50 MB")
    assert nginx[1].count(message) == 2  # the page and the API's JSON
