"""Demo data: each app adds its part, in dependency order. Running it twice changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

PASSWORD = "campusdesk"  # noqa: S105 - the published demo password, refused without DEBUG


@dataclass(frozen=True)
class Login:
    username: str
    role_label: str
    where: str


@transaction.atomic
def load(*, tickets: bool = True) -> list[Login]:
    """Load the demo; ``tickets=False`` stops after people and projects (the tests' personas)."""
    from campusdesk.accounts import demo as accounts_demo
    from campusdesk.catalog import demo as catalog_demo
    from campusdesk.duty import demo as duty_demo
    from campusdesk.intake import demo as intake_demo
    from campusdesk.kb import demo as kb_demo
    from campusdesk.monitoring import demo as monitoring_demo
    from campusdesk.notify import demo as notify_demo
    from campusdesk.notify import demo_library
    from campusdesk.ops import demo as ops_demo
    from campusdesk.reports import demo as reports_demo
    from campusdesk.routines import demo as routines_demo
    from campusdesk.sla import defaults as sla_defaults
    from campusdesk.sla import demo as sla_demo
    from campusdesk.surveys import demo as surveys_demo
    from campusdesk.systems import demo as systems_demo
    from campusdesk.tickets import demo as tickets_demo

    sla_defaults.ensure()
    people = accounts_demo.load(password=PASSWORD)
    projects = catalog_demo.load(people)
    if tickets:
        sla_demo.load(people, projects)
        tickets_demo.load(people, projects)
        ops_demo.load(people)
        kb_demo.load(people)
        intake_demo.load(people, projects)
        reports_demo.load(people, projects)
        systems = systems_demo.load(people, projects)
        monitoring_demo.load(people, systems)
        routines_demo.load(people, systems)
        duty_demo.load(people, list(projects.values()))
        surveys_demo.load(people, projects)
        demo_library.load(people)  # announcements and documents
        notify_demo.load(people)  # last: the older messages read, a few fresh ones left
    return [
        Login(u.username, str(u.get_role_display()), str(u.organisation or ""))
        for u in people.values()
    ]
