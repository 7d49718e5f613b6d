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


def _admin(user: User) -> bool:
    return user.is_administrator


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
    NavItem("kb:library", _("Case library"), _everyone),
    NavItem("notify:library", _("Document library"), _everyone),
    NavItem("catalog:project_list", _("Projects"), _everyone),
    NavItem("api-docs", _("API docs"), _vendor),
    NavItem("core:status", _("System status"), _admin),
    NavItem("admin:index", _("Administration"), _admin),
)


def items_for(user: User) -> list[NavItem]:
    return [item for item in NAVIGATION if item.shown_to(user)]
