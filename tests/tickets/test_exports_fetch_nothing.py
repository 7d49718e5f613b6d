"""PDF and Word exports fetch no file or URL named in what users wrote (issue 23 §1): markup
that would make the PDF library load an image (``<img src>``, ``<a href>`` to a file, a
``<link>``) stays literal text, and a web server on loopback that the markup names is never
asked for anything."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from campusdesk.tickets.exports import incident_report_docx, incident_report_pdf
from tests.tickets.test_exports import (  # noqa: F401 - report: the fixture
    IncidentReportDocument,
    docx_text,
    pdf_text,
    report,
    write_pdf,
)

pytestmark = pytest.mark.security


@pytest.fixture
def watched() -> Iterator[tuple[str, list[str]]]:
    """A web server on loopback that records every path it is asked for."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()


def test_markup_in_a_report_fetches_nothing(
    report: IncidentReportDocument,  # noqa: F811
    watched: tuple[str, list[str]],
    tmp_path: Path,
):
    url, asked = watched
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not an image")
    hostile = (
        f'<img src="{url}/pixel.png" width="10" height="10"/> '
        f'<img src="{secret}"/> <a href="file://{secret}">链接</a> '
        f'<link href="{url}/style.css"/> <font face="{url}/f.ttf">字</font>'
    )
    odd = dataclasses.replace(report, cause=hostile, solution=f"见 {url}/guide.pdf")
    pdf = write_pdf(tmp_path, incident_report_pdf(odd))
    word = incident_report_docx(odd)
    assert asked == []  # nothing was fetched, by either
    text = pdf_text(pdf)
    assert "<img" in text and "pixel.png" in text  # the markup stayed words
    assert "<img" in docx_text(word)
