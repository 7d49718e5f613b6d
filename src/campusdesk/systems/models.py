"""The customers' application systems (应用系统, seed §1, R-SYS-1, R-SYS-3).

A system belongs to an organisation and to the service contract (project) under which the
vendor runs it. Its environment is structured data kept as numbered, never overwritten
versions (``EnvironmentVersion``); the installed components of every version are also
rows (``InstalledComponent``) so that a vulnerability's component is matched by an
indexed query. Planned changes (``Change``) end in a new environment version; the
vulnerability register (``Vulnerability``) is matched against the current versions and
leaves one ``Finding`` per affected system. Every state change is a ``SystemEvent`` on the
system's timeline.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campusdesk.accounts.models import Organisation
from campusdesk.catalog.models import Project


class Importance(models.TextChoices):
    """How much the university depends on the system; drives an incident's severity."""

    CORE = "core", pgettext_lazy("importance", "Core")
    IMPORTANT = "important", pgettext_lazy("importance", "Important")
    NORMAL = "normal", pgettext_lazy("importance", "Normal")


class ApplicationSystem(models.Model):
    """One application system of a university (研究生管理系统, 统一身份认证, 一卡通, …)."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="systems",
    )
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="systems"
    )
    name = models.CharField(_("name"), max_length=200)
    importance = models.CharField(
        _("importance"), max_length=20, choices=Importance.choices, default=Importance.NORMAL
    )
    #: the university's side: who owns the system (name, department, phone)
    owner = models.CharField(_("owner (university)"), max_length=300, blank=True)
    #: the vendor's side: the engineer who answers for the system
    vendor_contact = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("contact (vendor)"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    #: the university's user who confirms the system's incidents (probes register for them)
    customer_contact = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("contact (university)"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"role": "customer"},
    )
    urls = models.JSONField(_("addresses"), default=list, blank=True)
    hosts = models.JSONField(_("hosts"), default=list, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    current_environment = models.OneToOneField(
        "EnvironmentVersion",
        verbose_name=_("current environment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="current_for",
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("application system")
        verbose_name_plural = _("application systems")
        ordering = ["organisation_id", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="uniq_system_name"),
        ]

    def __str__(self) -> str:
        return self.name


class EnvironmentVersion(models.Model):
    """One version of a system's environment: written once, never changed.

    ``data`` is ``{"os": {"name", "version"}, "components": [{"kind", "name", "version"}],
    "ports": [{"port", "protocol", "service", "exposure"}], "deployment": "…",
    "backup": "…", "notes": "…"}``, normalised by ``systems.environment``.
    """

    system = models.ForeignKey(
        ApplicationSystem, on_delete=models.CASCADE, related_name="environments"
    )
    number = models.PositiveIntegerField(_("version"))
    data = models.JSONField(_("environment"))
    reason = models.TextField(_("reason for the change"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("changed at"))
    #: the planned change whose completion wrote this version, if any
    change = models.ForeignKey(
        "Change", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("environment version")
        verbose_name_plural = _("environment versions")
        ordering = ["system_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["system", "number"], name="uniq_environment_number"),
        ]

    def __str__(self) -> str:
        return f"{self.system_id} v{self.number}"


class ComponentKind(models.TextChoices):
    OS = "os", _("Operating system")
    MIDDLEWARE = "middleware", _("Middleware")
    RUNTIME = "runtime", _("Runtime")
    DATABASE = "database", _("Database")
    APPLICATION = "application", _("Application")
    LIBRARY = "library", _("Library")


class InstalledComponent(models.Model):
    """A component of one environment version (the operating system counts as one), as a
    row: what the vulnerability register matches against."""

    environment = models.ForeignKey(
        EnvironmentVersion, on_delete=models.CASCADE, related_name="components"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ComponentKind.choices)
    name = models.CharField(_("name"), max_length=200)
    #: ``name`` folded for matching (lower case, spaces and underscores as dashes)
    key = models.CharField(max_length=200, db_index=True)
    version = models.CharField(_("version"), max_length=100)

    class Meta:
        verbose_name = _("installed component")
        verbose_name_plural = _("installed components")
        ordering = ["environment_id", "id"]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


class Change(models.Model):
    """A planned change to a system (变更: patch, upgrade, migration, configuration)."""

    class Kind(models.TextChoices):
        PATCH = "patch", _("Patch")
        UPGRADE = "upgrade", _("Upgrade")
        MIGRATION = "migration", _("Migration")
        CONFIG = "config", pgettext_lazy("change", "Configuration")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        DONE = "done", pgettext_lazy("change", "Done")
        ROLLED_BACK = "rolled_back", _("Rolled back")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", pgettext_lazy("change", "Cancelled")

    class Risk(models.TextChoices):
        LOW = "low", pgettext_lazy("risk", "Low")
        MEDIUM = "medium", pgettext_lazy("risk", "Medium")
        HIGH = "high", pgettext_lazy("risk", "High")

    system = models.ForeignKey(ApplicationSystem, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    window_start = models.DateTimeField(_("window start"))
    window_end = models.DateTimeField(_("window end"))
    risk = models.CharField(_("risk"), max_length=20, choices=Risk.choices, default=Risk.LOW)
    rollback_plan = models.TextField(_("rollback plan"), blank=True)
    #: ``[{"name": "nginx", "version": "1.25.5"}]``: the components and their target versions
    targets = models.JSONField(_("target versions"), default=list, blank=True)
    out_of_scope = models.BooleanField(_("out of scope"), default=False)
    workload_hours = models.DecimalField(
        _("workload (hours)"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLANNED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("planned by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("planned at"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("completed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    notes = models.TextField(_("outcome notes"), blank=True)

    class Meta:
        verbose_name = _("change")
        verbose_name_plural = _("changes")
        ordering = ["-window_start", "-id"]
        indexes = [models.Index(fields=["status", "window_start"], name="change_status_window")]
        constraints = [
            models.CheckConstraint(
                condition=Q(window_end__gte=models.F("window_start")), name="change_window"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_pending(self) -> bool:
        return self.status in (self.Status.PLANNED, self.Status.APPROVED)


class Severity(models.TextChoices):
    """A vulnerability's level, implied by its CVSS 3.1 base score."""

    CRITICAL = "critical", pgettext_lazy("vulnerability", "Critical")
    HIGH = "high", pgettext_lazy("vulnerability", "High")
    MEDIUM = "medium", pgettext_lazy("vulnerability", "Medium")
    LOW = "low", pgettext_lazy("vulnerability", "Low")


class Vulnerability(models.Model):
    """An entry of the vulnerability register (漏洞): a CVE or an internal identifier."""

    class Source(models.TextChoices):
        REGISTER = "register", pgettext_lazy("vulnerability", "Register")
        #: found by a security check of an inspection on one system: not matched by version
        INSPECTION = "inspection", pgettext_lazy("vulnerability", "Inspection")

    identifier = models.CharField(_("identifier"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    cvss_score = models.DecimalField(_("CVSS 3.1 base score"), max_digits=3, decimal_places=1)
    severity = models.CharField(
        pgettext_lazy("vulnerability", "severity"), max_length=20, choices=Severity.choices
    )
    component = models.CharField(_("component"), max_length=200)
    #: ``component`` folded like ``InstalledComponent.key``
    component_key = models.CharField(max_length=200, db_index=True)
    #: a version specifier: ``<1.25.4``, ``>=2.0,<2.4.1``
    affected = models.CharField(_("affected versions"), max_length=300)
    fixed_version = models.CharField(_("fixed in version"), max_length=100, blank=True)
    references = models.JSONField(_("references"), default=list, blank=True)
    source = models.CharField(
        _("source"), max_length=20, choices=Source.choices, default=Source.REGISTER
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("vulnerability")
        verbose_name_plural = _("vulnerabilities")
        ordering = ["-cvss_score", "identifier"]
        constraints = [
            models.CheckConstraint(
                condition=Q(cvss_score__gte=0) & Q(cvss_score__lte=10), name="cvss_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.identifier} {self.title}"


class Finding(models.Model):
    """A vulnerability found on one system: opened by the matcher, tracked until fixed."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("finding", "Open")
        UNVERIFIED = "unverified", pgettext_lazy("finding", "Unverified")
        FIXING = "fixing", pgettext_lazy("finding", "Fixing")
        FIXED = "fixed", pgettext_lazy("finding", "Fixed")
        ACCEPTED = "accepted", pgettext_lazy("finding", "Risk accepted")

    system = models.ForeignKey(ApplicationSystem, on_delete=models.CASCADE, related_name="findings")
    vulnerability = models.ForeignKey(
        Vulnerability, on_delete=models.CASCADE, related_name="findings"
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    #: the installed version the last match saw
    installed_version = models.CharField(_("installed version"), max_length=100, blank=True)
    due_date = models.DateField(_("due date"))
    reason = models.TextField(_("reason"), blank=True)
    #: a person decided "fixed" although the version lies in the range (a distribution
    #: backport); the decision holds while the installed version stays in the range
    fixed_by_decision = models.BooleanField(_("fixed by decision"), default=False)
    #: the installed version the person decided on: a later version below it (a downgrade
    #: that may have lost the backport) reopens the finding
    decision_version = models.CharField(_("decided on version"), max_length=100, blank=True)
    accepted_until = models.DateField(_("risk accepted until"), null=True, blank=True)
    expiry_reminded_at = models.DateTimeField(null=True, blank=True)
    change = models.ForeignKey(
        Change,
        verbose_name=_("change"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="findings",
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["due_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["system", "vulnerability"], name="uniq_finding"),
        ]
        indexes = [models.Index(fields=["status", "due_date"], name="finding_status_due")]

    def __str__(self) -> str:
        return f"{self.vulnerability_id}@{self.system_id}"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.UNVERIFIED, self.Status.FIXING)


class DuePolicy(models.Model):
    """Working days from a finding's opening to its due date, per severity (editable;
    DefectDojo's defaults: critical 7, high 30, medium 90, low 120)."""

    severity = models.CharField(
        pgettext_lazy("vulnerability", "severity"),
        max_length=20,
        choices=Severity.choices,
        unique=True,
    )
    working_days = models.PositiveIntegerField(_("working days to fix"))

    class Meta:
        verbose_name = _("finding due policy")
        verbose_name_plural = _("finding due policies")
        ordering = ["working_days"]

    def __str__(self) -> str:
        return f"{self.severity}: {self.working_days}"


class TicketSystem(models.Model):
    """The system a ticket concerns. Kept here, not on the ticket: tickets lies below
    systems and knows nothing of it (the ticket's ``system`` field is added through
    ``tickets.extensions``)."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, primary_key=True, related_name="system_link"
    )
    system = models.ForeignKey(
        ApplicationSystem, on_delete=models.PROTECT, related_name="ticket_links"
    )

    class Meta:
        verbose_name = _("ticket's system")
        verbose_name_plural = _("tickets' systems")

    def __str__(self) -> str:
        return f"{self.ticket_id} → {self.system_id}"


class SystemEvent(models.Model):
    """One thing that happened to a system, append-only: the system's timeline.

    ``action`` is a dotted key (``system.created``, ``environment.changed``,
    ``change.approved``, ``finding.opened`` …); ``data`` what the line needs.
    """

    system = models.ForeignKey(ApplicationSystem, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("event"), max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(_("at"))
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("system event")
        verbose_name_plural = _("system events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["system", "at"], name="system_event_at")]

    def __str__(self) -> str:
        return f"{self.system_id} {self.action} {self.at:%Y-%m-%d %H:%M}"
