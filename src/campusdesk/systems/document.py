"""The environment document (环境文档) of a system, made from the data each time it is asked
for and never edited by hand (seed §3.1.2: the documents follow every environment change).

``blocks`` says what the document holds, in the active language and the deployment's time
zone: the system, its current environment, the change history (every environment version
with when, who, why and what changed) and the changes still pending. ``document_docx`` and
``document_pdf`` only lay those blocks out.
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from campusdesk.core import clock
from campusdesk.core.documents import Block, Grid, blocks_docx, blocks_pdf, clean
from campusdesk.core.errors import ValidationError
from campusdesk.systems import environment
from campusdesk.systems.models import ApplicationSystem, Change, ComponentKind, EnvironmentVersion

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FORMATS = {"docx": DOCX_TYPE, "pdf": "application/pdf"}
EMPTY = "—"


def when(moment: datetime | None) -> str:
    return clock.local(moment).strftime("%Y-%m-%d %H:%M") if moment is not None else EMPTY


def title(system: ApplicationSystem) -> str:
    return _("Environment document: %(name)s") % {"name": clean(system.name)}


def filename(system: ApplicationSystem, extension: str, now: datetime | None = None) -> str:
    """``environment-<system id>-<date>.<docx|pdf>``: ASCII only."""
    day = clock.local(now or clock.now()).strftime("%Y%m%d")
    return f"environment-{system.pk}-{day}.{extension}"


def _facts(system: ApplicationSystem, current: EnvironmentVersion | None) -> Block:
    contact = system.vendor_contact
    version = f"{current.number} ({when(current.created_at)})" if current else ""
    rows = [
        (_("Application system"), system.name),
        (_("Organisation"), system.organisation.name),
        (_("Project"), system.project.name),
        (_("Importance"), system.get_importance_display()),
        (_("Owner (university)"), system.owner),
        (_("Contact (vendor)"), str(contact) if contact else ""),
        (_("Addresses"), "\n".join(system.urls)),
        (_("Hosts"), "\n".join(system.hosts)),
        (_("Environment version"), version),
        (_("Generated at"), when(clock.now())),
    ]
    return ("facts", [(label, clean(value) or EMPTY) for label, value in rows])


def _exposure(value: str) -> str:
    labels = {
        "intranet": pgettext("exposure", "Intranet"),
        "internet": pgettext("exposure", "Internet"),
    }
    return labels.get(value, value)


def _environment(current: EnvironmentVersion | None) -> list[Block]:
    blocks: list[Block] = [("heading", _("Current environment"))]
    if current is None:
        return [*blocks, ("text", _("No environment has been recorded yet."))]
    data = current.data
    os = data.get("os") or {}
    facts = [
        (_("Operating system"), f"{os.get('name', '')} {os.get('version', '')}"),
        (_("Deployment"), data.get("deployment", "")),
        (_("Backup"), data.get("backup", "")),
        (_("Notes"), data.get("notes", "")),
    ]
    components = [
        [str(ComponentKind(c["kind"]).label), c["name"], c["version"]]
        for c in data.get("components", [])
    ]
    ports = [
        [str(p["port"]), p["protocol"], p["service"], _exposure(p["exposure"])]
        for p in data.get("ports", [])
    ]
    return [
        *blocks,
        ("facts", [(label, clean(value) or EMPTY) for label, value in facts]),
        ("heading", _("Components")),
        (
            "grid",
            Grid(
                [_("Kind"), pgettext("component", "Name"), _("Version")],
                components,
                (0.25, 0.45, 0.3),
            ),
        ),
        ("heading", _("Open ports")),
        (
            "grid",
            Grid(
                [_("Port"), _("Protocol"), _("Service"), _("Exposed to")],
                ports,
                (0.2, 0.2, 0.35, 0.25),
            ),
        ),
    ]


def _changed(before: EnvironmentVersion | None, after: EnvironmentVersion) -> str:
    if before is None:
        return _("First version")
    return "\n".join(
        f"{c['field']}: {c['before'] if c['before'] is not None else EMPTY} → "
        f"{c['after'] if c['after'] is not None else EMPTY}"
        for c in environment.diff(before.data, after.data)
    )


def _history(system: ApplicationSystem) -> list[Block]:
    versions = list(system.environments.select_related("author").order_by("number"))
    rows = [
        [str(v.number), when(v.created_at), str(v.author or EMPTY), v.reason, _changed(prev, v)]
        for prev, v in zip([None, *versions], versions, strict=False)
    ]
    header = [_("Version"), _("Changed at"), _("Changed by"), _("Reason"), _("Changed fields")]
    return [
        ("heading", _("Change history")),
        ("grid", Grid(header, rows, (0.1, 0.17, 0.13, 0.24, 0.36))),
    ]


def _pending(system: ApplicationSystem) -> list[Block]:
    pending = system.changes.filter(
        status__in=[Change.Status.PLANNED, Change.Status.APPROVED]
    ).order_by("window_start", "id")
    rows = [
        [
            f"#{c.pk} {c.title}",
            c.get_kind_display(),
            f"{when(c.window_start)} – {when(c.window_end)}",
            c.get_risk_display(),
            c.get_status_display(),
            "\n".join(f"{t['name']} {t['version']}" for t in c.targets),
        ]
        for c in pending
    ]
    header = [
        pgettext("system change", "Change"),
        _("Kind"),
        _("Window"),
        _("Risk"),
        _("Status"),
        _("Target versions"),
    ]
    return [
        ("heading", _("Planned changes")),
        ("grid", Grid(header, rows, (0.22, 0.1, 0.22, 0.1, 0.14, 0.22))),
    ]


def blocks(system: ApplicationSystem) -> list[Block]:
    """What the document says, top to bottom."""
    current = system.current_environment
    return [
        ("title", title(system)),
        _facts(system, current),
        *_environment(current),
        *_history(system),
        *_pending(system),
    ]


def document_docx(system: ApplicationSystem) -> bytes:
    """The environment document as .docx bytes."""
    return blocks_docx(blocks(system), title(system))


def document_pdf(system: ApplicationSystem) -> bytes:
    """The environment document as A4 PDF bytes."""
    return blocks_pdf(blocks(system), title(system))


def download(system: ApplicationSystem, kind: str | None) -> HttpResponse:
    """The document as a file to save, ``kind`` docx (the default) or pdf; the page and
    the API answer with it (the system's scope already checked)."""
    kind = kind or "docx"
    if kind not in FORMATS:
        raise ValidationError(
            _("Choose the document's format: docx or pdf."),
            fields={"format": [_("docx or pdf.")]},
        )
    content = document_docx(system) if kind == "docx" else document_pdf(system)
    response = HttpResponse(content, content_type=FORMATS[kind])
    response["Content-Disposition"] = f'attachment; filename="{filename(system, kind)}"'
    return response
