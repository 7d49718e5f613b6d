from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext as _

from campusdesk.core import clock
from campusdesk.sla.models import Calendar, CalendarDay, SlaPolicy
from campusdesk.sla.worktime import chinese_calendar_knows


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
    list_display = [
        "severity",
        "clock",
        "accept_hours",
        "respond",
        "resolve",
        "followup_kind",
        "followup",
        "warning_minutes",
        "pause_while_waiting",
    ]
