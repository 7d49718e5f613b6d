"""The vulnerability register (漏洞): entries the vendor's staff write or import, each matched
against every system's current environment when it is created or edited.

An entry names a component and the range of its affected versions (``systems.versions``);
its severity follows from the CVSS 3.1 base score (≥ 9.0 critical, ≥ 7.0 high, ≥ 4.0
medium, otherwise low). A score of 0.0 is CVSS's "none": such an entry is no
vulnerability to fix, so it is refused with a message on the score. The matcher leaves
one finding per system (``systems.findings``), and every change to a finding is an event
on its system's timeline.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _

from campusdesk.accounts.models import User
from campusdesk.core import clock
from campusdesk.core.errors import DomainError, NotFound, PermissionDenied, ValidationError
from campusdesk.core.text import has_control
from campusdesk.systems import findings as rules
from campusdesk.systems import versions
from campusdesk.systems.environment import fold
from campusdesk.systems.models import (
    ApplicationSystem,
    Finding,
    InstalledComponent,
    Severity,
    Vulnerability,
)
from campusdesk.systems.services import record

FIELDS = (
    "identifier",
    "title",
    "description",
    "cvss_score",
    "component",
    "affected",
    "fixed_version",
    "references",
)
REQUIRED = ("identifier", "title", "cvss_score", "component", "affected")
MAX_REFERENCES = 20
MAX_IMPORT_ROWS = 2000
MAX_IMPORT_BYTES = 5 * 1024 * 1024
_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{1,63}")
_NAMED_IDS = re.compile(r"(?i)^(cve|cnvd|cnnvd|ghsa)-")
_URL = URLValidator(schemes=["http", "https"])


def severity_of(score: Decimal) -> str:
    """The CVSS 3.1 qualitative rating of a base score (0.0, "none", is refused earlier)."""
    if score >= Decimal("9.0"):
        return Severity.CRITICAL
    if score >= Decimal("7.0"):
        return Severity.HIGH
    if score >= Decimal("4.0"):
        return Severity.MEDIUM
    return Severity.LOW


def may_write(user: User) -> bool:
    """The register is global: any active member of the vendor's staff keeps it."""
    return user.is_authenticated and user.is_active and user.is_vendor_staff


# --- cleaning ---------------------------------------------------------------------------------
def _line(value: Any, limit: int, *, required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str) or has_control(value):
        raise ValueError(_("Write this as one line of text."))
    value = value.strip()
    if required and not value:
        raise ValueError(_("This field is required."))
    if len(value) > limit:
        raise ValueError(_("At most %(limit)s characters.") % {"limit": limit})
    return str(value)


def _identifier(value: Any) -> str:
    text = _line(value, 64, required=True)
    if not _IDENTIFIER.fullmatch(text):
        raise ValueError(_("Letters, digits and . _ : - only, such as CVE-2021-44228."))
    return text.upper() if _NAMED_IDS.match(text) else text


def _score(value: Any) -> Decimal:
    try:
        score = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as error:
        raise ValueError(_("Give the CVSS 3.1 base score as a number from 0.1 to 10.0.")) from error
    if not score.is_finite() or score <= 0 or score > 10 or score != score.quantize(Decimal("0.1")):
        raise ValueError(
            _(
                "A CVSS 3.1 base score is a number from 0.1 to 10.0 with one decimal; 0.0 rates "
                "no vulnerability."
            )
        )
    return score.quantize(Decimal("0.1"))


def _description(value: Any) -> str:
    text = value if isinstance(value, str) else ("" if value is None else None)
    if text is None or len(text) > 20000:
        raise ValueError(_("Write the description as text of at most 20000 characters."))
    return text.strip()


def _references(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = re.split(r"[\s;]+", value)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(_("Give the references as a list of web addresses."))
    urls = [v.strip() for v in value if v.strip()]
    if len(urls) > MAX_REFERENCES:
        raise ValueError(_("At most %(limit)s references.") % {"limit": MAX_REFERENCES})
    for url in urls:
        try:
            if len(url) > 500:
                raise DjangoValidationError("too long")
            _URL(url)
        except DjangoValidationError as error:
            raise ValueError(
                _("%(url)s is not a web address (http:// or https://).") % {"url": url[:100]}
            ) from error
    return urls


#: the affected range's column (``Vulnerability.affected``)
AFFECTED_LIMIT = 300

_CLEANERS: dict[str, Callable[[Any], Any]] = {
    "identifier": _identifier,
    "title": lambda v: _line(v, 300, required=True),
    "description": _description,
    "cvss_score": _score,
    "component": lambda v: _line(v, 200, required=True),
    "affected": lambda v: _line(v, AFFECTED_LIMIT, required=True),
    "fixed_version": lambda v: _line(v, 100, required=False),
    "references": _references,
}


def _clean(fields: dict[str, Any], current: Vulnerability | None) -> dict[str, Any]:
    """The entry's fields, cleaned; ``ValidationError`` naming every bad field at once."""
    errors: dict[str, list[Any]] = {}
    clean: dict[str, Any] = {}
    for name, value in fields.items():
        if name not in _CLEANERS:
            continue
        try:
            clean[name] = _CLEANERS[name](value)
        except ValueError as error:
            errors[name] = [str(error)]
    if current is None:
        for name in REQUIRED:
            if name not in fields and name not in errors:
                errors[name] = [_("This field is required.")]
    if not errors:
        _check_range(clean, current, errors)
        _check_unique(clean, current, errors)
    if errors:
        raise ValidationError(
            _("The entry is not valid: %(fields)s")
            % {"fields": "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in errors.items())},
            fields=errors,
        )
    return clean


def _check_range(
    clean: dict[str, Any], current: Vulnerability | None, errors: dict[str, Any]
) -> None:
    component = clean.get("component", current.component if current else "")
    affected = clean.get("affected", current.affected if current else "")
    if "component" not in clean and "affected" not in clean and "fixed_version" not in clean:
        return
    key = fold(component)
    try:
        found = versions.validate(key, affected)
    except versions.SpecifierError as error:
        errors["affected"] = [str(error)]
        return
    if "affected" in clean or "component" in clean:
        clean["affected"] = str(found)
        if len(clean["affected"]) > AFFECTED_LIMIT:  # the written form may be longer
            errors["affected"] = [_("At most %(limit)d characters.") % {"limit": AFFECTED_LIMIT}]
            return
    fixed = clean.get("fixed_version", current.fixed_version if current else "")
    if fixed and found.verdict(versions.scheme_for(key), fixed) == versions.Verdict.AFFECTED:
        errors["fixed_version"] = [_("The fixed version lies inside the affected range.")]


def _check_unique(
    clean: dict[str, Any], current: Vulnerability | None, errors: dict[str, Any]
) -> None:
    if "identifier" not in clean:
        return
    others = Vulnerability.objects.filter(identifier__iexact=clean["identifier"])
    if current is not None:
        others = others.exclude(pk=current.pk)
    if others.exists():
        errors["identifier"] = [_("The register already has %(id)s.") % {"id": clean["identifier"]}]


def _derive(clean: dict[str, Any]) -> dict[str, Any]:
    if "cvss_score" in clean:
        clean["severity"] = severity_of(clean["cvss_score"])
    if "component" in clean:
        clean["component_key"] = fold(clean["component"])
    return clean


# --- writing ----------------------------------------------------------------------------------
@transaction.atomic
def vulnerability_create(
    *, actor: User, now: datetime | None = None, **fields: Any
) -> Vulnerability:
    """A new entry, matched at once: the systems in its range get a finding each."""
    now = now or clock.now()
    if not may_write(actor):
        raise PermissionDenied(_("Only the vendor's staff keep the vulnerability register."))
    clean = _derive(_clean(fields, None))
    vulnerability = Vulnerability.objects.create(
        created_by=actor, created_at=now, updated_at=now, **clean
    )
    match_vulnerability(vulnerability, actor, now)
    return vulnerability


@transaction.atomic
def vulnerability_update(
    *, vulnerability_id: int, actor: User, now: datetime | None = None, **fields: Any
) -> Vulnerability:
    """Edit an entry; a new range or component is matched again, a new severity gives the
    unfinished findings new due dates."""
    now = now or clock.now()
    if not may_write(actor):
        raise PermissionDenied(_("Only the vendor's staff keep the vulnerability register."))
    vulnerability = Vulnerability.objects.select_for_update().filter(pk=vulnerability_id).first()
    if vulnerability is None:
        raise NotFound()
    clean = _derive(_clean(fields, vulnerability))
    changed = {}
    for name, value in clean.items():
        before = getattr(vulnerability, name)
        if before != value:
            changed[name] = {"before": _plain(before), "after": _plain(value)}
            setattr(vulnerability, name, value)
    if not changed:
        return vulnerability
    vulnerability.updated_at = now
    vulnerability.save()
    systems = ApplicationSystem.objects.filter(findings__vulnerability=vulnerability).distinct()
    for system in systems:
        record(
            system,
            "vulnerability.updated",
            actor,
            now,
            vulnerability=vulnerability.identifier,
            fields=changed,
        )
    if "severity" in changed:
        rules.redue(vulnerability, now)
    if {"component_key", "affected"} & set(changed):
        match_vulnerability(vulnerability, actor, now)
    return vulnerability


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def match_vulnerability(
    vulnerability: Vulnerability, actor: User | None = None, now: datetime | None = None
) -> list[int]:
    """Match an entry against every system's current environment (one query for the
    installed components, one for the findings, one for the systems) and bring each
    finding in step. Returns the ids of the systems in the range or not comparable."""
    now = now or clock.now()
    if vulnerability.source != Vulnerability.Source.REGISTER:
        return []  # found by an inspection on one system: no version to match
    installed: dict[int, list[str]] = {}
    rows = InstalledComponent.objects.filter(
        key=vulnerability.component_key, environment__current_for__isnull=False
    ).values_list("environment__system_id", "version")
    for system_id, text in rows:
        installed.setdefault(system_id, []).append(text)
    existing = {f.system_id: f for f in Finding.objects.filter(vulnerability=vulnerability)}
    ids = sorted(set(installed) | set(existing))
    systems = ApplicationSystem.objects.select_related("project__calendar").in_bulk(ids)
    dues = rules.Dues()
    affected = []
    for system_id in ids:
        seen = rules.seen(vulnerability, installed.get(system_id, []))
        rules.reconcile(
            systems[system_id], vulnerability, existing.get(system_id), seen, actor, now, dues
        )
        if seen.verdict in (versions.Verdict.AFFECTED, versions.Verdict.UNKNOWN):
            affected.append(system_id)
    return affected


# --- import -----------------------------------------------------------------------------------
@dataclass
class ImportResult:
    """What an import did: counts, and each refused row with its line and its messages."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


def _decode(data: str | bytes) -> str:
    if isinstance(data, str):
        return data
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationError(
            _("The file is larger than 5 MB."), fields={"file": [_("At most 5 MB.")]}
        )
    for encoding in ("utf-8-sig", "gb18030"):  # Excel on a Chinese Windows saves GB18030
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError(
        _("The file is neither UTF-8 nor GB18030 text."), fields={"file": [_("Not text.")]}
    )


def _rows(text: str, kind: str) -> list[tuple[int, dict[str, Any]]]:
    """(line or item number, fields) of each advisory of a CSV or JSON list."""
    if kind == "json":
        try:
            items = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValidationError(
                _("The JSON cannot be read: %(error)s") % {"error": error.msg},
                fields={"file": [_("Not JSON.")]},
            ) from error
        if not isinstance(items, list):
            raise ValidationError(
                _("Give the advisories as a JSON list of objects."),
                fields={"file": [_("A list of objects.")]},
            )
        return [(n, item if isinstance(item, dict) else {}) for n, item in enumerate(items, 1)]
    if kind != "csv":
        raise ValidationError(
            _("Choose the format: csv or json."), fields={"format": [_("csv or json.")]}
        )
    reader = csv.DictReader(io.StringIO(text))
    missing = [name for name in REQUIRED if name not in (reader.fieldnames or [])]
    if missing:
        raise ValidationError(
            _("The CSV's first line must name the columns; missing: %(names)s.")
            % {"names": ", ".join(missing)},
            fields={"file": [_("Columns missing: %(names)s.") % {"names": ", ".join(missing)}]},
        )
    return [(reader.line_num, {k: v for k, v in row.items() if k}) for row in reader]


@transaction.atomic
def vulnerability_import(
    *, actor: User, data: str | bytes, format: str, now: datetime | None = None
) -> ImportResult:
    """Create or update (by identifier) the entries of a CSV or JSON list of advisories.

    Each row is written in its own savepoint: a bad row is skipped whole and reported with
    its line (CSV) or item number (JSON); the good rows are kept."""
    now = now or clock.now()
    if not may_write(actor):
        raise PermissionDenied(_("Only the vendor's staff keep the vulnerability register."))
    rows = _rows(_decode(data), format)
    if len(rows) > MAX_IMPORT_ROWS:
        raise ValidationError(
            _("At most %(limit)s advisories at a time.") % {"limit": MAX_IMPORT_ROWS},
            fields={"file": [_("Too many rows.")]},
        )
    result = ImportResult()
    for line, row in rows:
        try:
            with transaction.atomic():
                _import_row(actor, row, now, result)
        except DomainError as error:
            result.errors.append(
                {
                    "line": line,
                    "identifier": str(row.get("identifier") or "")[:64],
                    "detail": str(error),
                    "fields": {k: [str(m) for m in v] for k, v in error.fields.items()},
                }
            )
    return result


def _import_row(actor: User, row: dict[str, Any], now: datetime, result: ImportResult) -> None:
    fields = {name: row[name] for name in FIELDS if name in row}
    if not fields:
        raise ValidationError(_("The row is empty or not an object."))
    identifier = str(fields.get("identifier") or "").strip()
    current = Vulnerability.objects.filter(identifier__iexact=identifier).first()
    if current is None:
        vulnerability_create(actor=actor, now=now, **fields)
        result.created += 1
        return
    before = current.updated_at
    updated = vulnerability_update(vulnerability_id=current.pk, actor=actor, now=now, **fields)
    if updated.updated_at != before:
        result.updated += 1
    else:
        result.unchanged += 1
