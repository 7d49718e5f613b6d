"""The navigation of each role: one table the base layout reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.urls import get_script_prefix, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from campusdesk.accounts.models import User
from campusdesk.reports import scores


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str | Promise
    shown_to: Callable[[User], bool]

    @property
    def href(self) -> str:
        """The item's address (reversed once per process and script prefix, not per page)."""
        return _href(self.url_name, get_script_prefix())

    @property
    def in_more(self) -> bool:
        """Listed under "more" (every link but the daily ones: the bar stays one line)."""
        return self.url_name not in DAILY


@cache
def _href(url_name: str, prefix: str) -> str:
    return reverse(url_name)


def _everyone(user: User) -> bool:
    return True


def _vendor(user: User) -> bool:
    return user.is_vendor_staff


def _scores_reader(user: User) -> bool:
    return scores.may_read(user)


def _mail_reviewer(user: User) -> bool:
    from campusdesk.intake.inbound import may_review

    return may_review(user)


def _alert_triager(user: User) -> bool:
    from campusdesk.intake.triage import may_triage

    return may_triage(user)


def _surveys(user: User) -> bool:
    """Customers answer surveys; vendor service managers, operations and the like run them."""
    from campusdesk.surveys.services import may_read

    return user.is_customer or may_read(user)


def _admin(user: User) -> bool:
    return user.is_administrator


#: the links people use every day, always in the bar; the others are under "more"
DAILY = frozenset(
    {
        "core:home",
        "tickets:register",
        "tickets:list",
        "tickets:queue",
        "ops:watch",
        "ops:complaints",
        "systems-list",
        "reports:dashboard",
        "kb:library",
    }
)

NAVIGATION: tuple[NavItem, ...] = (
    NavItem("core:home", _("Home"), _everyone),
    NavItem("tickets:register", _("Register a problem"), _everyone),
    NavItem("tickets:list", _("Problems"), _everyone),
    NavItem("tickets:queue", _("My queue"), _vendor),
    NavItem("ops:watch", _("Operations watch"), _vendor),
    NavItem("ops:complaints", _("Complaints"), _everyone),
    NavItem("systems-list", _("Application systems"), _everyone),
    NavItem("monitoring:overview", _("Availability"), _everyone),  # a customer: their status page
    NavItem("routines:list", _("Routine work"), _everyone),
    NavItem("duty:roster", _("Duty roster"), _vendor),
    NavItem("reports:dashboard", _("Reports"), _everyone),
    NavItem("reports:scores", _("Performance scores"), _scores_reader),
    NavItem("intake:mail_list", _("Received e-mail"), _mail_reviewer),
    NavItem("intake:alert_list", _("Alert triage"), _alert_triager),
    NavItem("kb:library", _("Case library"), _everyone),
    NavItem("notify:library", _("Document library"), _everyone),
    NavItem("surveys:list", _("Satisfaction surveys"), _surveys),
    NavItem("catalog:project_list", _("Projects"), _everyone),
    NavItem("api-docs", _("API docs"), _vendor),
    NavItem("core:status", _("System status"), _admin),
    NavItem("admin:index", _("Administration"), _admin),
)


def items_for(user: User) -> list[NavItem]:
    """The links ``user`` has, in the order of the bar: the daily ones, then "more"."""
    return sorted((item for item in NAVIGATION if item.shown_to(user)), key=lambda i: i.in_more)
