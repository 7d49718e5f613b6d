"""Reading one received e-mail: who sent it, to whom, its text, files, and thread.

Pure functions over the bytes of an RFC 5322 message, no database: ``parse(raw)``
answers a ``Mail``. Chinese mail often says ``charset=gb2312`` and then uses GBK
characters (or sends GB18030): every GB charset is read as GB18030, its superset, and
anything that still does not decode is replaced rather than lost (the original is kept
whole beside the ticket anyway).

Headers may carry raw UTF-8 (RFC 6532) or, from old clients, raw GBK: they are decoded
as such, never left as the parser's surrogate escapes. A message beyond the bounds
(``MAX_DEPTH``, ``MAX_PARTS``, ``MAX_HEADER_BYTES``) is refused with ``Unreadable``
before the email package sees it: its parser recurses once per nesting level and its
address parser takes seconds per hundred kilobytes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import EmailPolicy
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser
from typing import cast

import nh3
from django.utils.translation import gettext as _

#: Charsets read as GB18030, which contains them all.
_GB = {"gb2312", "gbk", "gb_2312-80", "euc-cn", "x-gbk", "cp936", "hz-gb-2312", "gb18030"}
_SUBJECT_NUMBER = re.compile(r"\[#\s*(\d{4}-\d{3,})\s*\]")
_AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?reply|out of (the )?office|自动回复|自动答复|休假|"
    r"undeliverable|delivery status notification|mail delivery failed|退信|系统退信)",
    re.IGNORECASE,
)
_BOUNCERS = re.compile(r"^(mailer-daemon|postmaster|no-?reply|bounces?)([+@]|$)", re.IGNORECASE)
#: Lines that start the quoted part of a reply, in the clients our users have.
_QUOTE_STARTS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^-{2,}\s*(original message|原始邮件|原邮件|回复的原邮件)\s*-{2,}",
        r"^_{10,}\s*$",
        r"^On .{4,200} wrote:\s*$",
        r"^在 ?.{4,200}(写道|wrote)[:：]\s*$",
        r"^\d{4}[-/年].{0,80}(写道|wrote)[:：]\s*$",
        r"^(发件人|From)\s*[:：].+",
        r"^>",
    )
]
SAFE_TAGS = {
    "a",
    "b",
    "blockquote",
    "br",
    "code",
    "div",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "span",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}


#: Bounds of a message we read: nesting of multipart and message parts, MIME parts, and
#: the header section of one part. Real mail stays far below them.
MAX_DEPTH = 50
MAX_PARTS = 1000
MAX_HEADER_BYTES = 128 * 1024

_ESCAPED = re.compile("[\udc80-\udcff]")  # the parser's stand-ins for non-ASCII bytes
_OTHER_SURROGATES = re.compile("[\ud800-\udc7f\udd00-\udfff]")
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BOUNDARY = re.compile(rb'boundary\*?\s*=\s*(?:"([^"]*)"|([^\s;]+))', re.IGNORECASE)
_HEADER_LINE = re.compile(rb"^(From |[\041-\071\073-\176]*:|[\t ])")  # as email.feedparser


class Unreadable(Exception):
    """A message we will not parse (beyond a bound); kept whole and quarantined."""


def clean(text: str) -> str:
    """Text a database keeps: no NUL or other control characters, no lone surrogates."""
    return _CONTROLS.sub("", _OTHER_SURROGATES.sub("\ufffd", _ESCAPED.sub("\ufffd", text)))


def _unescape(value: str) -> str:
    """A header's raw non-ASCII bytes read as UTF-8 (RFC 6532), else as GB18030."""
    if not _ESCAPED.search(value):
        return value
    data = _OTHER_SURROGATES.sub("\ufffd", value).encode("utf-8", "surrogateescape")
    for charset in ("utf-8", "gb18030"):
        try:
            return data.decode(charset)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")


class _Policy(EmailPolicy):
    """``policy.default``, reading raw 8-bit header bytes as text before parsing them."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        if isinstance(value, str):
            value = _unescape(value)
        return super().header_fetch_parse(name, value)  # type: ignore[no-any-return]


_POLICY = _Policy()


def _container(header: list[bytes], in_digest: bool) -> tuple[str, bytes | None, bool]:
    """What a part's headers declare: ("multipart", boundary, is digest), ("message", …)
    or ("", …) for a leaf."""
    unfolded = b"".join(
        line if line[:1] in (b" ", b"\t") else b"\n" + line for line in header
    ).split(b"\n")
    for line in unfolded:
        name, colon, value = line.partition(b":")
        if not colon or name.strip().lower() != b"content-type":
            continue
        kind, _slash, rest = value.strip().partition(b"/")
        kind = kind.strip().lower()
        if kind == b"multipart":
            found = _BOUNDARY.search(value)
            boundary = next(g for g in found.groups() if g is not None).rstrip() if found else None
            subtype = rest.split(b";", 1)[0].strip().lower()
            return "multipart", boundary, subtype == b"digest"
        return ("message" if kind == b"message" else ""), None, False
    return ("message" if in_digest else ""), None, False  # a digest's parts are messages


def _opened(levels: list[tuple[bytes | None, bool]], header: list[bytes]) -> list[bytes] | None:
    """Open the level a part's headers declare; ``[]`` when an enclosed message's headers
    follow at once, else None (a body follows)."""
    kind, boundary, digest = _container(header, bool(levels) and levels[-1][1])
    if kind == "multipart" and boundary:
        levels.append((boundary, digest))
    elif kind == "message":
        levels.append((None, False))
    else:
        return None
    if len(levels) > MAX_DEPTH:
        raise Unreadable(_("The message is nested more than %(n)s levels deep.") % {"n": MAX_DEPTH})
    return [] if kind == "message" else None


def _at_boundary(levels: list[tuple[bytes | None, bool]], line: bytes) -> bool:
    """Whether a part starts at this line. A boundary line closes every level opened
    inside its multipart, as the email parser does; its end line closes the multipart."""
    tail = line.rstrip(b" \t")
    for depth in range(len(levels) - 1, -1, -1):
        boundary = levels[depth][0]
        if boundary is None:
            continue
        if tail == b"--" + boundary:
            del levels[depth + 1 :]
            return True
        if tail == b"--" + boundary + b"--":
            del levels[depth:]
            return False
    return False


def check_bounds(raw: bytes) -> None:
    """Raise ``Unreadable`` for a message nested deeper than ``MAX_DEPTH``, of more than
    ``MAX_PARTS`` parts, or with a part's headers over ``MAX_HEADER_BYTES``.

    1. Read line by line with an explicit stack of the open levels (a multipart's
       boundary, or None for an enclosed message): one pass, no recursion.
    2. A part's headers run to the first empty line (or, in broken mail, to the first
       line that is no header); a multipart then opens a level whose parts start at its
       boundary lines, an enclosed message one whose own headers follow at once.
    """
    levels: list[tuple[bytes | None, bool]] = []
    header: list[bytes] | None = []
    size, parts = 0, 0  # parts: those a boundary line starts
    for line in raw.splitlines():
        if header is not None and line and _HEADER_LINE.match(line):
            size += len(line) + 2
            if size > MAX_HEADER_BYTES:
                raise Unreadable(
                    _("A header section is larger than %(n)s KB.") % {"n": MAX_HEADER_BYTES // 1024}
                )
            header.append(line)
            continue
        if header is not None:
            header, size = _opened(levels, header), 0
            if not line:  # the empty line that ends the headers
                continue
            if header is not None:  # an enclosed message whose first line is no header
                header = _opened(levels, [])
        if line.startswith(b"--") and _at_boundary(levels, line):
            parts += 1
            if parts > MAX_PARTS:
                raise Unreadable(_("The message has more than %(n)s parts.") % {"n": MAX_PARTS})
            header = []


@dataclass
class Part:
    name: str
    content: bytes
    content_type: str


@dataclass
class Mail:
    key: str  # Message-ID, or a digest of the bytes when there is none
    sender: str  # the address, lower case
    sender_name: str
    recipients: list[str]
    subject: str
    text: str  # plain text: the text part, else the HTML part's text
    html: str  # the HTML part, sanitised ("" if there was none)
    attachments: list[Part] = field(default_factory=list)
    references: str = ""  # In-Reply-To and References, as they came
    automatic: str = ""  # why this is an auto-reply, bounce or list mail ("" if it is not)
    authentication_failed: bool = False

    @property
    def ticket_number(self) -> str | None:
        match = _SUBJECT_NUMBER.search(self.subject)
        return match.group(1) if match else None

    @property
    def domain(self) -> str:
        return self.sender.rpartition("@")[2]


def decode(payload: bytes, charset: str | None) -> str:
    name = (charset or "utf-8").strip().strip('"').lower()
    if name in _GB:
        name = "gb18030"
    try:
        return payload.decode(name, errors="replace")
    except LookupError:  # a charset Python does not know: UTF-8 is the likeliest
        return payload.decode("utf-8", errors="replace")


def _text_of(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    return clean(decode(payload, part.get_content_charset()))


class _TextExtractor(HTMLParser):
    """The readable text of an HTML mail: block elements become line breaks."""

    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote", "table"}
    SKIP = {"style", "script", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    text = "".join(extractor.parts)
    lines = [re.sub(r"[ \t\u00a0\u3000]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def sanitise(html: str) -> str:
    return nh3.clean(html, tags=SAFE_TAGS, clean_content_tags={"script", "style"})


def trim_quote(text: str) -> str:
    """The new part of a reply: everything above the first line that starts the quote."""
    kept: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if any(p.match(stripped) for p in _QUOTE_STARTS):
            break
        kept.append(line)
    new = "\n".join(kept).strip()
    return new or text.strip()  # a message that is all quote keeps everything


def _automatic(msg: Message, sender: str, subject: str) -> str:
    auto = str(msg.get("Auto-Submitted", "")).strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    precedence = str(msg.get("Precedence", "")).strip().lower()
    if precedence in {"bulk", "junk", "list", "auto_reply"}:
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response"):
        if msg.get(name):
            return f"{name}"
    if msg.get_content_type() == "multipart/report":
        return "delivery report (bounce)"
    if str(msg.get("Return-Path", "")).strip() == "<>":
        return "empty Return-Path (bounce)"
    if not sender or _BOUNCERS.match(sender):
        return f"sent by {sender or 'nobody'}"
    if _AUTO_SUBJECT.match(subject):
        return "auto-reply subject"
    return ""


def _authentication_failed(msg: Message, authserv_id: str) -> bool:
    """Whether our receiving server found the sender forged (SPF/DKIM/DMARC ``fail``).

    Only ``Authentication-Results`` headers of ``authserv_id`` count when it is set (a
    sender can write such headers too); otherwise the topmost one, which the last hop —
    our own server — added.
    """
    headers = [str(h) for h in msg.get_all("Authentication-Results", [])]
    if authserv_id:
        headers = [h for h in headers if h.strip().lower().startswith(authserv_id.lower())]
    else:
        headers = headers[:1]
    return any(
        re.search(r"\b(dmarc|spf|dkim)\s*=\s*(fail|hardfail)\b", h, re.IGNORECASE) for h in headers
    )


def _address(value: object) -> tuple[str, str]:
    """(address, display name) of a From header; tolerant of broken headers."""
    addresses = getattr(value, "addresses", None)
    if addresses:
        first: Address = addresses[0]
        return first.addr_spec.lower(), first.display_name
    name, addr = parseaddr(str(value or ""))
    return addr.lower(), name


def _recipients(msg: Message) -> list[str]:
    values: list[str] = []
    for name in ("Delivered-To", "X-Original-To", "To", "Cc"):
        values += [str(v) for v in msg.get_all(name, [])]
    seen: list[str] = []
    for _name, addr in getaddresses(values):
        addr = addr.lower()
        if addr and addr not in seen:
            seen.append(addr)
    return seen


def _parts(msg: EmailMessage) -> tuple[str, str, list[Part]]:
    text, html = "", ""
    files: list[Part] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        disposition = part.get_content_disposition()
        name = part.get_filename()
        if disposition == "attachment" or (name and not ctype.startswith("text/")):
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes) and payload:
                files.append(Part(clean(name or "") or "attachment", payload, ctype))
        elif ctype == "text/plain" and not text:
            text = _text_of(part)
        elif ctype == "text/html" and not html:
            html = _text_of(part)
    return text, html, files


def parse(raw: bytes, *, authserv_id: str = "") -> Mail:
    """The message read; ``Unreadable`` beyond the bounds (see ``check_bounds``)."""
    check_bounds(raw)
    msg = cast(EmailMessage, BytesParser(_class=EmailMessage, policy=_POLICY).parsebytes(raw))
    sender, sender_name = _address(msg.get("From"))
    subject = _one_line(str(msg.get("Subject", "") or ""))
    message_id = clean(str(msg.get("Message-ID", "") or "")).strip()
    text, html, files = _parts(msg)
    clean_html = sanitise(html) if html else ""
    if not text.strip() and html:
        text = html_to_text(clean_html)
    references = " ".join(str(msg.get(h, "") or "") for h in ("In-Reply-To", "References"))
    return Mail(
        key=message_id[:255] or digest_key(raw),
        sender=clean(sender),
        sender_name=_one_line(sender_name)[:200],
        recipients=[clean(r) for r in _recipients(msg)],
        subject=subject[:500],
        text=text.replace("\r\n", "\n").strip(),
        html=clean_html,
        attachments=files,
        references=clean(references).strip(),
        automatic=clean(_automatic(msg, sender, subject)),
        authentication_failed=_authentication_failed(msg, authserv_id),
    )


def digest_key(raw: bytes) -> str:
    """The key of a message without a Message-ID (or one we could not read)."""
    return f"sha256:{hashlib.sha256(raw).hexdigest()}"


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", clean(text)).strip()


def glimpse(raw: bytes) -> tuple[str, str, str]:
    """(sender, name, subject) of a message that could not be read, for the review list:
    only short ``From`` and ``Subject`` headers are parsed, and nothing raises."""
    head = re.split(rb"\r?\n\r?\n", raw[:MAX_HEADER_BYTES], maxsplit=1)[0]
    try:
        found = BytesParser(policy=_POLICY).parsebytes(head, headersonly=True).raw_items()
        short = {k.lower(): v for k, v in found if len(v) <= 2000}
        sender, name = _address(_POLICY.header_fetch_parse("From", short.get("from", "")))
        subject = str(_POLICY.header_fetch_parse("Subject", short.get("subject", "")))
    except Exception:  # a glimpse only: the reason and the original tell the rest
        return "", "", ""
    return clean(sender)[:254], _one_line(name)[:200], _one_line(subject)[:500]
