"""Reading one received e-mail: who sent it, to whom, its text, files, and thread.

Pure functions over the bytes of an RFC 5322 message, no database: ``parse(raw)``
answers a ``Mail``. Chinese mail often says ``charset=gb2312`` and then uses GBK
characters (or sends GB18030): every GB charset is read as GB18030, its superset, and
anything that still does not decode is replaced rather than lost (the original is kept
whole beside the ticket anyway).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

import nh3

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
    "a", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4", "hr", "i",
    "li", "ol", "p", "pre", "span", "strong", "table", "tbody", "td", "th", "thead", "tr",
    "u", "ul",
}  # fmt: skip


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
    return decode(payload, part.get_content_charset())


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
                files.append(Part(name or "attachment", payload, ctype))
        elif ctype == "text/plain" and not text:
            text = _text_of(part)
        elif ctype == "text/html" and not html:
            html = _text_of(part)
    return text, html, files


def parse(raw: bytes, *, authserv_id: str = "") -> Mail:
    msg = BytesParser(_class=EmailMessage, policy=policy.default).parsebytes(raw)
    sender, sender_name = _address(msg.get("From"))
    subject = re.sub(r"\s+", " ", str(msg.get("Subject", "") or "")).strip()
    message_id = str(msg.get("Message-ID", "") or "").strip()
    text, html, files = _parts(msg)
    clean_html = sanitise(html) if html else ""
    if not text.strip() and html:
        text = html_to_text(clean_html)
    references = " ".join(str(msg.get(h, "") or "") for h in ("In-Reply-To", "References"))
    return Mail(
        key=message_id[:255] or f"sha256:{hashlib.sha256(raw).hexdigest()}",
        sender=sender,
        sender_name=sender_name[:200],
        recipients=_recipients(msg),
        subject=subject[:500],
        text=text.replace("\r\n", "\n").strip(),
        html=clean_html,
        attachments=files,
        references=references.strip(),
        automatic=_automatic(msg, sender, subject),
        authentication_failed=_authentication_failed(msg, authserv_id),
    )
