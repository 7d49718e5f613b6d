"""The forms of the systems pages: a system's description, and its environment as rows.

The environment form is one main form (operating system, texts, reason) and any number of
component and port rows. Each row's fields are named ``<set>-<key>-<field>`` with a key the
page chose (``components-0-name``, ``components-k3f9-name`` for a row added by htmx), so a
row can be added without renumbering the others; a row left blank is skipped.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campusdesk.accounts.models import Organisation, User
from campusdesk.catalog.models import Project
from campusdesk.core.errors import DomainError
from campusdesk.core.text import validate_one_line
from campusdesk.systems.environment import EXPOSURES, KINDS, PROTOCOLS
from campusdesk.systems.models import ComponentKind, Importance

EXPOSURE_LABELS = {
    "intranet": pgettext_lazy("exposure", "Intranet"),
    "internet": pgettext_lazy("exposure", "Internet"),
}
KIND_CHOICES = [(kind, ComponentKind(kind).label) for kind in KINDS]
_ROW_KEY = re.compile(r"^(components|ports)-([A-Za-z0-9]{1,12})-[a-z]+$")


def lines(text: str) -> list[str]:
    """One entry per non-blank line (addresses, hosts)."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def _line(label: Any, max_length: int, *, required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=max_length, required=required, validators=[validate_one_line]
    )


def _text(label: Any, rows: int = 3, *, required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label, required=required, widget=forms.Textarea(attrs={"rows": rows})
    )


class SystemForm(forms.Form):
    project = forms.ModelChoiceField(label=_("project"), queryset=Project.objects.none())
    name = _line(_("name"), 200, required=True)
    importance = forms.ChoiceField(
        label=_("importance"), choices=Importance.choices, initial=Importance.NORMAL
    )
    owner = _line(_("owner (university)"), 300)
    vendor_contact = forms.ModelChoiceField(
        label=_("contact (vendor)"), queryset=User.objects.none(), required=False
    )
    customer_contact = forms.ModelChoiceField(
        label=_("contact (university)"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Confirms the incidents the probes register for the system."),
    )
    urls = _text(_("addresses (one per line)"))
    hosts = _text(_("hosts (one per line)"))
    notes = _text(_("notes"), 4)

    def __init__(
        self,
        *args: Any,
        projects: Any = None,
        staff: Any = None,
        customers: Any = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        if projects is None:  # editing: the project stays
            del self.fields["project"]
        else:
            self._choices("project", projects)
        self._choices("vendor_contact", staff if staff is not None else User.objects.none())
        self._choices(
            "customer_contact", customers if customers is not None else User.objects.none()
        )

    def _choices(self, name: str, queryset: Any) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - declared above
        field.queryset = queryset

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        project, contact = data.get("project"), data.get("customer_contact")
        if project and contact and contact.organisation_id != project.organisation_id:
            self.add_error("customer_contact", _("Choose a user of the project's organisation."))
        return data

    def service_fields(self) -> dict[str, Any]:
        """The cleaned values as ``system_create``/``system_update`` take them."""
        data = dict(self.cleaned_data)
        data.pop("project", None)
        data["urls"], data["hosts"] = lines(data["urls"]), lines(data["hosts"])
        for name in ("vendor_contact", "customer_contact"):
            contact = data.get(name)
            data[name] = contact.pk if contact else None
        return data


class EnvironmentForm(forms.Form):
    os_name = _line(_("operating system"), 200)
    os_version = _line(_("operating system version"), 100)
    deployment = _text(_("deployment"))
    backup = _text(_("backup arrangements"))
    notes = _text(_("notes"))
    reason = _text(_("reason for the change"), 2, required=True)


class Row(forms.Form):
    """One component or port row."""

    def as_data(self) -> dict[str, Any]:
        raise NotImplementedError


class ComponentRow(Row):
    kind = forms.ChoiceField(label=_("kind"), choices=KIND_CHOICES, initial="application")
    name = forms.CharField(label=_("name"), max_length=200, required=False)
    version = forms.CharField(label=_("version"), max_length=100, required=False)

    def as_data(self) -> dict[str, Any]:
        return {k: self.cleaned_data.get(k, "") for k in ("kind", "name", "version")}


class PortRow(Row):
    port = forms.IntegerField(label=_("port"), min_value=1, max_value=65535, required=False)
    protocol = forms.ChoiceField(
        label=_("protocol"), choices=[(p, p.upper()) for p in PROTOCOLS], initial="tcp"
    )
    service = forms.CharField(label=_("service"), max_length=200, required=False)
    exposure = forms.ChoiceField(
        label=_("exposed to"),
        choices=[(e, EXPOSURE_LABELS[e]) for e in EXPOSURES],
        initial="intranet",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("port") is None and data.get("service") and "port" not in self.errors:
            self.add_error("port", _("A port is a number from 1 to 65535."))
        return data

    def as_data(self) -> dict[str, Any]:
        return {k: self.cleaned_data.get(k) for k in ("port", "protocol", "service", "exposure")}


ROW_FORMS: dict[str, type[Row]] = {"components": ComponentRow, "ports": PortRow}
#: the fields whose emptiness makes a row blank (a blank row is skipped)
_CONTENT = {"components": ("name", "version"), "ports": ("port", "service")}


def new_key() -> str:
    return secrets.token_hex(4)


def blank_row(kind: str) -> Row:
    return ROW_FORMS[kind](prefix=f"{kind}-{new_key()}")


class EnvironmentRows:
    """The main form and its rows, bound to a POST or filled from a stored environment."""

    def __init__(self, main: EnvironmentForm, rows: dict[str, list[Row]]):
        self.main = main
        self.rows = rows

    @classmethod
    def from_data(cls, data: dict[str, Any] | None) -> EnvironmentRows:
        data = data or {}
        os = data.get("os") or {}
        main = EnvironmentForm(
            initial={
                "os_name": os.get("name", ""),
                "os_version": os.get("version", ""),
                **{k: data.get(k, "") for k in ("deployment", "backup", "notes")},
            }
        )
        rows: dict[str, list[Row]] = {}
        for kind, form in ROW_FORMS.items():
            items = list(data.get(kind) or [])
            rows[kind] = [form(initial=item, prefix=f"{kind}-{i}") for i, item in enumerate(items)]
            rows[kind].append(form(prefix=f"{kind}-{len(items)}"))  # room for one more
        return cls(main, rows)

    @classmethod
    def from_post(cls, post: QueryDict, add: str = "") -> EnvironmentRows:
        keys: dict[str, list[str]] = {kind: [] for kind in ROW_FORMS}
        for name in post:
            match = _ROW_KEY.match(name)
            if match and match.group(2) not in keys[match.group(1)]:
                keys[match.group(1)].append(match.group(2))
        rows = {
            kind: [form(post, prefix=f"{kind}-{key}") for key in keys[kind]]
            for kind, form in ROW_FORMS.items()
        }
        if add in rows:
            rows[add].append(blank_row(add))
        return cls(EnvironmentForm(post), rows)

    def _filled(self, kind: str) -> list[Row]:
        return [
            row
            for row in self.rows[kind]
            if any(str(row[field].value() or "").strip() for field in _CONTENT[kind])
        ]

    def is_valid(self) -> bool:
        valid = self.main.is_valid()
        for kind in ROW_FORMS:
            valid = all([row.is_valid() for row in self._filled(kind)]) and valid
        return valid

    def data(self) -> dict[str, Any]:
        """The environment as ``environment.normalise`` takes it (after ``is_valid``)."""
        main = self.main.cleaned_data
        return {
            "os": {"name": main["os_name"], "version": main["os_version"]},
            "components": [row.as_data() for row in self._filled("components")],
            "ports": [row.as_data() for row in self._filled("ports")],
            **{k: main[k] for k in ("deployment", "backup", "notes")},
        }

    def show_errors(self, error: DomainError) -> None:
        """Put the service's messages on the fields they name (``components[2].version``)."""
        placed = False
        for field, problems in error.fields.items():
            target = self._target(field)
            for problem in problems:
                if target is not None:
                    target[0].add_error(target[1], str(problem))
                    placed = True
        if not placed:
            self.main.add_error(None, str(error))

    def _target(self, field: str) -> tuple[forms.Form, str | None] | None:
        match = re.match(r"^(components|ports)\[(\d+)\](?:\.(\w+))?$", field)
        if match:
            filled = self._filled(match.group(1))
            index = int(match.group(2))
            if index < len(filled):
                name = match.group(3)
                return filled[index], name if name in filled[index].fields else None
            return None
        name = {"os.name": "os_name", "os.version": "os_version", "os": "os_name"}.get(field, field)
        return (self.main, name) if name in self.main.fields else None


class SystemFilter(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("organisation"), queryset=Organisation.objects.none(), required=False
    )
    importance = forms.ChoiceField(
        label=_("importance"), choices=[("", "—"), *Importance.choices], required=False
    )
    q = forms.CharField(label=_("keyword"), max_length=100, required=False)

    def __init__(self, *args: Any, organisations: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - declared above
        field.queryset = organisations
