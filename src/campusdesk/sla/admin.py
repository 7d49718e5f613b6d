from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campusdesk.core import clock
from campusdesk.core.http import current_user
from campusdesk.core.workdays import chinese_calendar_knows
from campusdesk.sla import policies
from campusdesk.sla.models import Calendar, CalendarDay, SlaPolicy


class CalendarDayInline(admin.TabularInline[CalendarDay, Calendar]):
    model = CalendarDay
    extra = 1


def warn_unknown_years(request: HttpRequest) -> None:
    """Say so when the official holiday schedule of this or next year is not known yet."""
    this_year = clock.local(clock.now()).year
    for year in (this_year, this_year + 1):
        if not chinese_calendar_knows(year):
            messages.warning(
                request,
                _(
                    "The official holiday schedule of %(year)d is not known to this version yet: "
                    "weekends are taken as holidays. Add that year's statutory holidays and "
                    "adjusted working days below, or upgrade chinese-calendar."
                )
                % {"year": year},
            )


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin[Calendar]):
    list_display = ["name", "is_default", "use_chinese_calendar"]
    inlines = [CalendarDayInline]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        warn_unknown_years(request)
        return super().changelist_view(request, extra_context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        warn_unknown_years(request)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin[SlaPolicy]):
    """Saving a current policy writes the next version of its scope (the tickets accepted
    before keep theirs); versions that were replaced are read only."""

    list_display = [
        "severity",
        "version",
        "scope",
        "is_current",
        "clock",
        "accept_hours",
        "respond",
        "resolve",
        "followup_kind",
        "followup",
        "warning_minutes",
        "pause_while_waiting",
    ]
    list_filter = [("policy_set__retired_at", admin.EmptyFieldListFilter), "severity"]
    exclude = ["policy_set"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[SlaPolicy]:
        return super().get_queryset(request).select_related("policy_set__project")

    @admin.display(description=gettext_lazy("Version"))
    def version(self, policy: SlaPolicy) -> str:
        return f"v{policy.policy_set_id}"

    @admin.display(description=gettext_lazy("Project"))
    def scope(self, policy: SlaPolicy) -> str:
        project = policy.policy_set.project
        return project.name if project is not None else _("Default")

    @admin.display(description=gettext_lazy("Current"), boolean=True)
    def is_current(self, policy: SlaPolicy) -> bool:
        return policy.policy_set.retired_at is None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a version is written whole: by changing a current policy, or the API

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.policy_set.retired_at is not None:
            return [field.name for field in SlaPolicy._meta.fields if field.name != "id"]
        return ["severity"]

    def save_model(self, request: HttpRequest, obj: SlaPolicy, form: Any, change: bool) -> None:
        version = policies.levels_set(
            project=obj.policy_set.project,
            policies=[
                {"severity": obj.severity, **{name: getattr(obj, name) for name in policies.FIELDS}}
            ],
            actor=current_user(request),
        )
        saved = version.policies.get(severity=obj.severity)
        obj.pk, obj.policy_set = saved.pk, version
