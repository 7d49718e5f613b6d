"""Every page and export of the demo speaks Chinese: no raw code, no English word of ours.

The demo is loaded with its tickets; a customer, a line-1 engineer, the operations
specialist and the administrator open every GET route of the URL conf (with the ids of
the demo's objects), the administrator every admin page, and the exports are read back
(xlsx with openpyxl, PDF with pdftotext, docx with python-docx). The visible text (no
script, style or markup; the attributes a user reads) must not show:

(a) a choice code of our models (``filed``, ``in_progress``), but for the few codes that
    are the users' own words (``ALLOWED_CODES``);
(b) the English verbose name of one of our models or fields (or of an admin section);
(c) a msgid of our catalogue that has a Chinese translation, left in English.
"""

from __future__ import annotations

import enum
import json
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest
from django.apps import apps
from django.contrib import admin
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import translation
from django.utils.text import capfirst

from campusdesk.accounts.models import Organisation, User
from campusdesk.catalog.models import Project
from campusdesk.intake.models import InboundMessage
from campusdesk.kb.models import Article, Retrospective
from campusdesk.monitoring.models import Probe, StatusPage
from campusdesk.notify.models import Announcement
from campusdesk.ops.models import Complaint
from campusdesk.ops.selectors import LISTS
from campusdesk.reports import kpi
from campusdesk.routines.models import EmergencyPlan, Routine, Run
from campusdesk.site import demo
from campusdesk.surveys.models import Survey
from campusdesk.systems.models import (
    ApplicationSystem,
    Change,
    EnvironmentVersion,
    Finding,
    InstalledComponent,
    Vulnerability,
)
from campusdesk.systems.versions import Verdict
from campusdesk.tickets.models import ServiceType, Ticket
from campusdesk.tickets.selectors import QUEUES
from tests.helpers import web_client_for
from tests.test_i18n import LOCALE, parse_po

# Codes that are the users' own words, shown as they are.
ALLOWED_CODES = {
    "SIS1",
    "SIS2",
    "SIS3",  # the severity levels' names in the contract (服务响应级别)
    "http",
    "tcp",
    "tls",  # protocols (a probe's kind): a URL's scheme, a port's service in users' data
}

# English that may stand on a Chinese page: the msgid is its own best Chinese.
ALLOWED_ENGLISH = {
    "ID",  # an object's id in the admin, as Django names it in every language
    "Webhook",  # the term itself, kept in its Chinese name (Webhook 订阅)
}

PERSONAS = ("user", "engineer", "ops", "admin")

Kwargs = dict[str, Any]


# --- visible text -----------------------------------------------------------------------
_READ_ATTRIBUTES = {"title", "placeholder", "alt", "aria-label"}
# Not wording: scripts and styles; the values of form fields (a textarea's text is its
# value, like an input's value attribute); code and preformatted data shown as it is.
_NOT_WORDING = {"script", "style", "template", "textarea", "code", "pre"}
# Django's own admin icons carry fixed English alt text ("True", "Search").
_DJANGO_ICONS = "/static/admin/img/"


class _VisibleText(HTMLParser):
    """Text a user reads: data outside script/style/form values/code, plus titles,
    placeholders, alt texts and the labels of buttons; each piece on a line of its own."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self._hidden: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _NOT_WORDING:
            self._hidden.append(tag)
        values = dict(attrs)
        if tag == "input" and values.get("type") == "hidden":
            return
        if tag == "img" and _DJANGO_ICONS in (values.get("src") or ""):
            return
        self.pieces += [v for k, v in attrs if k in _READ_ATTRIBUTES and v]
        if tag == "input" and values.get("type") in ("submit", "button"):
            self.pieces.append(values.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._hidden:
            del self._hidden[len(self._hidden) - 1 - self._hidden[::-1].index(tag) :]

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.pieces.append(data.strip())


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return "\n".join(parser.pieces)


# --- what must not show -----------------------------------------------------------------
def _our_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m.__module__.startswith("campusdesk.")]


#: enumerations of codes that no page shows (so their codes may be anyone's words)
NEVER_SHOWN: set[type[enum.Enum]] = {Verdict}  # the version matcher's answer to a finding


def _enumerations() -> Iterator[type[enum.Enum]]:
    """Our enumerations of codes: Django's choices and plain string enums (Action)."""
    pending: list[type[enum.Enum]] = [models.Choices, enum.StrEnum]
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        if cls.__module__.startswith("campusdesk.") and cls not in NEVER_SHOWN:
            yield cls


def choice_codes() -> dict[str, str]:
    """Every string choice value of our models' fields and enumerations → where from."""
    found: dict[str, str] = {}
    for model in _our_models():
        for field in model._meta.get_fields():
            for value, _label in getattr(field, "flatchoices", None) or ():
                found.setdefault(str(value), f"choice of {model._meta.label}.{field.name}")
    for cls in _enumerations():
        for member in cls:
            found.setdefault(str(member.value), f"value of {cls.__module__}.{cls.__qualname__}")
    return {
        code: where
        for code, where in found.items()
        if re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", code) and code not in ALLOWED_CODES
    }


def _translated(text: Any) -> bool:
    with translation.override("en"):
        english = str(text)
    with translation.override("zh-hans"):
        return str(text) != english


def _english(text: Any) -> str:
    with translation.override("en"):
        return str(text)


def verbose_names() -> dict[str, str]:
    """The English names of our models and their fields, and of every admin section."""
    found: dict[str, str] = {}
    shown = {*_our_models(), *admin.site._registry}
    for model in shown:
        meta = model._meta
        for name in (meta.verbose_name, meta.verbose_name_plural):
            found[_english(name)] = f"name of {meta.label}"
        for field in meta.get_fields():
            name = getattr(field, "verbose_name", None)
            if name is not None and (model in admin.site._registry or _translated(name)):
                found[_english(name)] = f"verbose name of {meta.label}.{field.name}"
    for config in apps.get_app_configs():
        if any(m._meta.app_config is config for m in admin.site._registry):
            found[_english(config.verbose_name)] = f"admin section {config.label}"
    return found


_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}|<[^>]*>")


def catalogue_phrases() -> dict[str, str]:
    """Literal English of our catalogue's translated msgids (placeholders cut out)."""
    found: dict[str, str] = {}
    for msgid, msgstr, _fuzzy, plural in parse_po(LOCALE / "zh_Hans/LC_MESSAGES/django.po"):
        for text in filter(None, (msgid, plural)):
            if msgstr == text:
                continue
            for piece in _PLACEHOLDER.split(text):
                piece = piece.strip(" .,:;!?()'\"-–—…\n")
                if re.search(r"[A-Za-z]{2}", piece) and (" " in piece or "%" not in text):
                    found.setdefault(piece, f"msgid {msgid!r}")
    return found


@cache
def forbidden() -> tuple[re.Pattern[str], dict[str, str]]:
    """One pattern for every phrase that must not show, and why each must not."""
    with translation.override("en"):
        reasons = {**catalogue_phrases(), **verbose_names()}
        reasons.update({capfirst(k): v for k, v in reasons.items()})
        reasons.update(choice_codes())
    for allowed in ALLOWED_ENGLISH | ALLOWED_CODES:
        reasons.pop(allowed, None)
    phrases = sorted(reasons, key=len, reverse=True)
    alternatives = "|".join(re.escape(p) for p in phrases)
    pattern = re.compile(rf"(?<![A-Za-z0-9_@./:%-])(?:{alternatives})(?![A-Za-z0-9_@/-]|\.\w)")
    return pattern, reasons


def findings(where: str, text: str, data: frozenset[str] = frozenset()) -> list[str]:
    """What must not show in ``text``. Users' data is not our wording: the words of ``data``
    (user names such as "admin") are blanked, and a line of JSON or key=value pairs (a
    record's data in the admin, a monitor's alert labels) is skipped."""
    pattern, reasons = forbidden()
    names = _words(data) if data else None
    found = []
    for line in text.splitlines():
        if _is_data(line):
            continue
        line = names.sub("…", line) if names else line
        for match in pattern.finditer(line):
            found.append(f"{where}: {match.group(0)!r} ({reasons[match.group(0)]}) in {line!r}")
    return found


_KEY_VALUES = re.compile(r"(?:[\w.-]+=\S*\s*)+")


#: django-axes's stand-in for a request header the client did not send (its access log)
_AXES_MISSING = "<unknown>"


def _is_data(text: str) -> bool:
    """A JSON document, key=value pairs (a monitor's alert labels, a logged form), or the
    login-lockout log's placeholder for a header that was not sent."""
    if text.strip() == _AXES_MISSING or _KEY_VALUES.fullmatch(text.strip()):
        return True
    if not text.lstrip().startswith(("{", "[")):
        return False
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


@cache
def _words(words: frozenset[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z0-9_@./:%-])(?:{alternatives})(?![A-Za-z0-9_@/-])")


def _user_names() -> frozenset[str]:
    """The users' data: login names, and what the demo's application systems record
    (component names such as "Oracle Database", free texts such as the backup plan)."""
    texts = {
        text
        for data in EnvironmentVersion.objects.values_list("data", flat=True)
        for text in (data.get("deployment"), data.get("backup"), data.get("notes"))
        if text
    }
    plans = [  # the emergency plans' steps (Oracle's "Data Guard switchover")
        step for steps in EmergencyPlan.objects.values_list("steps", flat=True) for step in steps
    ]
    return frozenset(
        {
            *User.objects.values_list("username", flat=True),
            *InstalledComponent.objects.values_list("name", flat=True),
            *texts,
            *plans,
        }
    )


# --- the routes -------------------------------------------------------------------------
@dataclass(frozen=True)
class Route:
    """The kwargs (and query strings) to open a route with, from the demo's objects."""

    kwargs: Callable[[], Iterable[Kwargs]] = lambda: [{}]
    queries: tuple[str, ...] = ("",)


def _pks(model: type[models.Model], name: str = "pk") -> Callable[[], list[Kwargs]]:
    return lambda: [{name: pk} for pk in model._default_manager.values_list("pk", flat=True)]


def _names(key: str, names: Iterable[str]) -> Callable[[], list[Kwargs]]:
    return lambda: [{key: name} for name in names]


def _service_reports() -> list[str]:
    projects = [f"?project={pk}" for pk in Project.objects.values_list("pk", flat=True)]
    organisation = Project.objects.order_by("pk")[0].organisation_id
    return ["", *projects, f"?organisation={organisation}"]


def _status_tokens() -> list[Kwargs]:
    """The public status links (one is made if the demo has none: the page is walked)."""
    organisation = Organisation.objects.filter(systems__isnull=False).order_by("pk").first()
    if organisation is not None and not StatusPage.objects.exclude(token="").exists():
        StatusPage.objects.update_or_create(organisation=organisation, defaults={"token": "t" * 43})
    tokens = StatusPage.objects.exclude(token="").values_list("token", flat=True)
    return [{"token": token} for token in tokens]


ROUTES: dict[str, Route] = {
    "core:home": Route(),
    "core:status": Route(),
    "catalog:project_list": Route(),
    "catalog:project_detail": Route(_pks(Project)),
    "tickets:list": Route(queries=("", "?status=in_progress&severity=SIS1")),
    "tickets:register": Route(),
    "tickets:customer_options": Route(),
    "tickets:project_options": Route(queries=("", "?reporter=1")),  # the hotline's caller's
    "tickets:filter_options": Route(_names("field", ("product", "project", "assignee"))),
    "tickets:detail": Route(_pks(Ticket)),
    "tickets:queue": Route(),
    "tickets:queue_named": Route(_names("name", QUEUES)),
    "ops:watch": Route(),
    "ops:watch_named": Route(_names("name", LISTS)),
    "ops:complaints": Route(),
    "ops:complaint": Route(_pks(Complaint)),
    "notify:inbox": Route(),
    "notify:settings": Route(),
    "notify:library": Route(),
    "notify:announcement": Route(_pks(Announcement)),
    "kb:library": Route(queries=("", "?q=数据库")),
    "kb:new": Route(),
    "kb:suggest": Route(queries=("?title=无法登录&description=报错",)),
    "kb:article": Route(_pks(Article)),
    "kb:edit": Route(_pks(Article)),
    "kb:retrospective": Route(
        lambda: [{"ticket_id": t} for t in Retrospective.objects.values_list("ticket", flat=True)]
    ),
    "reports:dashboard": Route(),
    "reports:kpi": Route(),
    "reports:drill": Route(queries=tuple(f"?metric={m}" for m in sorted(kpi.metric_names()))),
    "reports:service": Route(),
    "reports:scores": Route(queries=("", "?period=2026-Q4")),
    "intake:mail_list": Route(),
    "intake:mail_detail": Route(_pks(InboundMessage)),
    "intake:alert_list": Route(queries=("", "?state=silenced&triage=untriaged")),
    "accounts:password_change": Route(),
    "accounts:password_done": Route(),
    "accounts:settings": Route(),
    "systems-list": Route(queries=("", "?importance=core")),
    "systems-create": Route(),
    "systems-dashboard": Route(),
    "systems-detail": Route(_pks(ApplicationSystem)),
    "systems-edit": Route(_pks(ApplicationSystem)),
    "systems-environment": Route(_pks(ApplicationSystem)),
    "systems-environment-row": Route(
        lambda: [
            {"pk": pk, "kind": kind}
            for pk in ApplicationSystem.objects.values_list("pk", flat=True)[:1]
            for kind in ("components", "ports")
        ]
    ),
    "systems-diff": Route(_pks(ApplicationSystem), queries=("?from=1&to=2",)),
    "systems-change": Route(_pks(Change)),
    "systems-change-new": Route(_pks(ApplicationSystem)),
    "systems-vulnerabilities": Route(),
    "systems-vulnerability": Route(_pks(Vulnerability)),
    "systems-vulnerability-new": Route(),
    "systems-vulnerability-edit": Route(_pks(Vulnerability)),
    "systems-vulnerability-import": Route(),
    "systems-findings": Route(queries=("", "?overdue=1")),
    "systems-finding": Route(_pks(Finding)),
    "systems-ticket-environment": Route(),
    "monitoring:overview": Route(queries=("", "?sort=organisation", "?sort=uptime")),
    "monitoring:status": Route(_pks(Organisation)),
    "monitoring:public_status": Route(_status_tokens),
    "monitoring:probe": Route(_pks(Probe)),
    "monitoring:probe_new": Route(_pks(ApplicationSystem)),
    "monitoring:probe_edit": Route(_pks(Probe)),
    "monitoring:window_new": Route(_pks(ApplicationSystem)),
    "routines:list": Route(),
    "routines:new": Route(),
    "routines:routine": Route(_pks(Routine)),
    "routines:run": Route(_pks(Run)),
    "routines:edit": Route(_pks(Routine)),
    "routines:plan": Route(_pks(EmergencyPlan)),
    "routines:plan_new": Route(_pks(ApplicationSystem)),
    "routines:plan_edit": Route(_pks(EmergencyPlan)),
    "duty:roster": Route(),
    "surveys:list": Route(),
    "surveys:new": Route(),
    "surveys:survey": Route(_pks(Survey)),
    "surveys:edit": Route(  # a draft's (an opened survey's edit page sends back to it)
        lambda: [
            {"pk": pk} for pk in Survey.objects.filter(status="draft").values_list("pk", flat=True)
        ]
    ),
    "surveys:results": Route(_pks(Survey)),
}
# Routes of the URL conf not opened above, and why.
NOT_PAGES = {
    "core:healthz": "a load balancer's plain 'ok'",
    "tickets:act": "POST only",
    "tickets:attachment": "the user's file as uploaded",
    "tickets:incident_report": "an export: test_exports_speak_chinese",
    "ops:complaint_step": "POST only",
    "ops:corrective_done": "POST only",
    "notify:read": "POST only",
    "notify:read_all": "POST only",
    "notify:follow": "POST only",
    "notify:announcement_attachment": "the user's file as uploaded",
    "kb:solved": "POST only",
    "kb:attachment": "the user's file as uploaded",
    "routines:evidence": "the user's file as uploaded",
    "kb:status": "POST only",
    "kb:from_ticket": "POST only",
    "intake:mail_original": "the message as received",
    "intake:mail_step": "POST only",
    "intake:alert_step": "POST only",
    "accounts:login": "test_anonymous_pages_speak_chinese",
    "accounts:logout": "POST only",
    "accounts:set_language": "POST only",
    "accounts:token_revoke": "POST only",
    "systems-object-action": "POST only",
    "systems-document": "an export: test_exports_speak_chinese",
    "monitoring:probe_delete": "POST only",
    "monitoring:probe_run": "POST only",
    "monitoring:window_delete": "POST only",
    "monitoring:status_link": "POST only",
    "routines:run_now": "POST only",
    "routines:item": "POST only",
    "routines:delete": "POST only",
    "routines:ticket_plan_open": "POST only",
    "routines:ticket_plan_step": "POST only",
    "duty:swap_ask": "POST only",
    "duty:swap_answer": "POST only",
    "duty:handover": "POST only",
    "surveys:open": "POST only",
    "surveys:close": "POST only",
    "routines:report": "an export (PDF, Word): tests/routines/test_api.py reads its Chinese",
}


def _named_routes(patterns: list[Any], namespace: str = "") -> Iterator[str]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if str(entry.pattern).startswith(("api/", "admin/")):
                continue  # the API speaks JSON to programs; the admin: test_admin_…
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _named_routes(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}"


def test_every_route_is_walked_or_said_why_not() -> None:
    routes = set(_named_routes(get_resolver().url_patterns)) - {"api-schema", "api-docs"}
    missing = sorted(routes - set(ROUTES) - set(NOT_PAGES))
    assert missing == [], f"add these routes to ROUTES (or NOT_PAGES, with why): {missing}"
    assert sorted((set(ROUTES) | set(NOT_PAGES)) - routes) == []


def _urls() -> Iterator[str]:
    for name, route in ROUTES.items():
        for kwargs in route.kwargs():
            for query in route.queries:
                yield reverse(name, kwargs=kwargs) + query


@pytest.fixture
def demo_loaded(db: None) -> dict[str, User]:
    demo.load()
    return {u.username: u for u in User.objects.filter(username__in=PERSONAS)}


def _get(client: Client, url: str, **headers: Any) -> tuple[int, str]:
    response = client.get(url, headers=headers)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, body.decode("utf-8", "replace")


def test_pages_speak_chinese(demo_loaded: dict[str, User]) -> None:
    urls = list(_urls())
    names = _user_names()
    problems: list[str] = []
    for username in PERSONAS:
        client = web_client_for(demo_loaded[username])
        for url in urls:
            status, body = _get(client, url)
            assert status in (200, 403, 404), f"{username} GET {url}: {status}"
            problems += findings(f"{username} {url}", visible_text(body), names)
    assert problems == [], "\n".join(problems)


def test_anonymous_pages_speak_chinese(db: None) -> None:
    problems: list[str] = []
    client = Client()
    for url in (reverse("accounts:login"), "/no-such-page/"):
        _status, body = _get(client, url)
        problems += findings(f"anonymous {url}", visible_text(body))
    assert problems == [], "\n".join(problems)


# --- the admin ----------------------------------------------------------------------------
def _admin_urls() -> Iterator[str]:
    yield reverse("admin:index")
    for model in admin.site._registry:
        meta = model._meta
        yield reverse("admin:app_list", args=[meta.app_label])
        yield reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        yield reverse(f"admin:{meta.app_label}_{meta.model_name}_add")
        for pk in model._default_manager.order_by("pk").values_list("pk", flat=True)[:2]:
            yield reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[pk])


def test_admin_pages_speak_chinese(demo_loaded: dict[str, User]) -> None:
    _lock_someone_out()
    client = web_client_for(demo_loaded["admin"])
    names = _user_names()
    problems: list[str] = []
    for url in dict.fromkeys(_admin_urls()):
        status, body = _get(client, url)
        assert status in (200, 403), f"GET {url}: {status}"
        problems += findings(url, visible_text(body), names)
    assert problems == [], "\n".join(problems)


def _lock_someone_out() -> None:
    """Rows for the login-lockout (django-axes) section of the admin."""
    for _attempt in range(6):
        Client().post(reverse("accounts:login"), {"username": "user", "password": "wrong"})


# --- the exports --------------------------------------------------------------------------
def _xlsx_text(body: bytes) -> str:
    book = openpyxl.load_workbook(BytesIO(body), read_only=True)
    lines = [sheet.title for sheet in book.worksheets]
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            lines += [str(v) for v in row if isinstance(v, str)]
    return "\n".join(lines)


def _pdf_text(body: bytes, tmp_path: Path) -> str:
    source = tmp_path / "export.pdf"
    source.write_bytes(body)
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "pdftotext (poppler-utils) is needed: make sysdeps"
    done = subprocess.run(  # noqa: S603 - a fixed program on our own file
        [pdftotext, "-layout", str(source), "-"], capture_output=True, check=True, text=True
    )
    return done.stdout


def _docx_text(body: bytes) -> str:
    document = docx.Document(BytesIO(body))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        lines += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(lines)


def test_exports_speak_chinese(demo_loaded: dict[str, User], tmp_path: Path) -> None:
    client = web_client_for(demo_loaded["ops"])
    problems: list[str] = []
    service = reverse("reports-service")
    for query in _service_reports()[1:]:
        for kind, read in (("xlsx", _xlsx_text), ("pdf", lambda b: _pdf_text(b, tmp_path))):
            url = f"{service}{query}&period=2026-Q4&format={kind}"
            response = client.get(url, headers={"accept-language": "zh-CN,zh;q=0.9"})
            assert response.status_code == 200, url
            problems += findings(url, read(response.content))
    scores = reverse("reports-scores") + "?period=2026-Q4&format=xlsx"
    response = client.get(scores, headers={"accept-language": "zh-CN,zh;q=0.9"})
    assert response.status_code == 200, scores
    problems += findings(scores, _xlsx_text(response.content), _user_names())
    incidents = Ticket.objects.filter(
        service_type=ServiceType.INCIDENT, incident_report__isnull=False
    )
    assert incidents.exists(), "the demo has an incident report to export"
    for ticket in incidents:
        for kind, read in (("docx", _docx_text), ("pdf", lambda b: _pdf_text(b, tmp_path))):
            url = reverse("tickets:incident_report", kwargs={"pk": ticket.pk, "kind": kind})
            response = client.get(url)
            assert response.status_code == 200, url
            problems += findings(
                url,
                read(
                    b"".join(response.streaming_content) if response.streaming else response.content
                ),
            )
    for pk in ApplicationSystem.objects.values_list("pk", flat=True)[:3]:
        for kind, read in (("docx", _docx_text), ("pdf", lambda b: _pdf_text(b, tmp_path))):
            url = reverse("systems-document", kwargs={"pk": pk}) + f"?format={kind}"
            response = client.get(url)
            assert response.status_code == 200, url
            problems += findings(url, read(response.content), _user_names())
    assert problems == [], "\n".join(problems)


def test_the_walk_would_see_a_raw_code_and_english() -> None:
    """The checks themselves: a status code, an English field name and an untranslated
    msgid are found; the allowed words and user data are not."""
    html = (
        "<p>SIS1 <span title='in_progress'>处理中</span></p><script>var s='filed'</script>"
        "<td>filed</td><th>Severity</th><p>user@campus.edu http://web.example/open</p>"
    )
    found = findings("sample", visible_text(html))
    assert [f.split("'")[1] for f in found] == ["in_progress", "filed", "Severity"]
