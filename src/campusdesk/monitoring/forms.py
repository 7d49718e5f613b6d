"""The forms of the probe and maintenance-window pages.

They only parse what was typed; ``monitoring.services`` checks the values (the target
through the outbound guard) and its errors are shown on the fields (``show_errors``).
The limits here repeat the services' so a slip is answered before anything is resolved.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from campusdesk.monitoring.models import MIN_INTERVAL, Probe
from campusdesk.monitoring.services import FIELDS, METHODS

_WHEN = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _label(name: str) -> Any:
    """The model field's (translated) name: one wording for the form, the API and the admin."""
    return getattr(Probe._meta.get_field(name), "verbose_name", name)


class ProbeForm(forms.Form):
    kind = forms.ChoiceField(label=_label("kind"), choices=Probe.Kind.choices)
    target = forms.CharField(
        label=_label("target"),
        max_length=500,
        help_text=_(
            "HTTP(S): the address, such as https://jw.example.edu.cn/login. "
            "TCP port and TLS certificate: host:port, such as jw.example.edu.cn:443."
        ),
    )
    name = forms.CharField(
        label=_label("name"),
        max_length=100,
        required=False,
        help_text=_("How the probe reads on pages and incidents; empty: its kind and target."),
    )
    method = forms.ChoiceField(
        label=_label("method"),
        choices=[(m, m) for m in METHODS],
        initial="GET",
        help_text=_("HTTP(S) only."),
    )
    expect_status = forms.CharField(
        label=_label("expect_status"),
        max_length=100,
        initial="200-399",
        help_text=_("HTTP(S) only: status codes that count as up, such as 200-399 or 200,204."),
    )
    keyword = forms.CharField(
        label=_label("keyword"),
        max_length=200,
        required=False,
        help_text=_("HTTP(S) only: text the page must contain (empty: not checked)."),
    )
    keyword_absent = forms.BooleanField(label=_label("keyword_absent"), required=False)
    max_latency_ms = forms.IntegerField(
        label=_label("max_latency_ms"),
        required=False,
        min_value=1,
        max_value=600000,
        help_text=_("A slower answer counts as a failure (empty: no limit)."),
    )
    sni = forms.CharField(
        label=_label("sni"),
        max_length=255,
        required=False,
        help_text=_(
            "TLS certificate only: the name the certificate must be valid for (empty: the host)."
        ),
    )
    interval_seconds = forms.IntegerField(
        label=_label("interval_seconds"), min_value=MIN_INTERVAL, max_value=86400, initial=60
    )
    timeout_seconds = forms.IntegerField(
        label=_label("timeout_seconds"), min_value=1, max_value=60, initial=10
    )
    retries = forms.IntegerField(
        label=_label("retries"),
        min_value=0,
        max_value=5,
        initial=0,
        help_text=_("Immediate re-tries of a failed run before it counts as a failure."),
    )
    failures_to_open = forms.IntegerField(
        label=_label("failures_to_open"),
        min_value=1,
        max_value=100,
        initial=3,
        help_text=_("Failed runs in a row that open one incident for the system."),
    )
    is_active = forms.BooleanField(label=_label("is_active"), required=False, initial=True)

    @classmethod
    def of(cls, probe: Probe, data: Any = None) -> ProbeForm:
        """The form of an existing probe (its stored values as the initial ones)."""
        return cls(data, initial={name: getattr(probe, name) for name in FIELDS})

    def service_data(self) -> dict[str, Any]:
        """What ``probe_create``/``probe_update`` take: the model's field names."""
        return {name: self.cleaned_data[name] for name in FIELDS if name in self.cleaned_data}


class WindowForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("from"), widget=_WHEN)
    ends_at = forms.DateTimeField(label=_("until"), widget=_WHEN)
    reason = forms.CharField(
        label=_("reason"),
        max_length=200,
        required=False,
        help_text=_("Shown on the status page, such as “database upgrade”."),
    )
    weekly = forms.BooleanField(
        label=_("every week"),
        required=False,
        help_text=_("Repeats at the same time every week, such as a Sunday night backup."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The window must end after it starts."))
        return data
