"""The customer's home page says whom to call (seed §5): the service hotline and e-mail, and for
each of their organisation's current contracts its service manager and the engineer on duty
now, with their numbers; never another organisation's, and nothing of it for the vendor."""

from __future__ import annotations

from datetime import date, datetime, time

import time_machine
from django.utils import timezone

from campusdesk.catalog import contacts
from campusdesk.duty.models import Shift
from tests.factories import ProjectFactory
from tests.helpers import web_client_for

BEIJING = timezone.get_fixed_timezone(8 * 60)
NIGHT = datetime.combine(date(2026, 1, 6), time(23), BEIJING)  # a Tuesday, 23:00


def shift(person, *projects, start: int = 17) -> Shift:
    created = Shift.objects.create(
        user=person,
        starts_at=datetime.combine(date(2026, 1, 6), time(start), BEIJING),
        ends_at=datetime.combine(date(2026, 1, 7), time(9), BEIJING),
        created_at=NIGHT,
    )
    created.projects.set(projects)
    return created


def contacts_card(user) -> str:
    page = web_client_for(user).get("/").content.decode()
    start = page.find('id="contacts"')
    return "" if start < 0 else page[start : page.index("</section>", start)]


def test_a_customer_sees_the_hotline_the_e_mail_and_their_contract_s_people(
    people, project, other_project
):
    engineer, other = people["engineer"], people["engineer2"]
    engineer.phone, other.phone = "13899110001", "13899110099"
    engineer.save(update_fields=["phone"])
    other.save(update_fields=["phone"])
    shift(engineer, project)
    shift(other, other_project)
    with time_machine.travel(NIGHT, tick=False):
        card = contacts_card(people["user"])
    assert "400-000-0000" in card and 'href="tel:400-000-0000"' in card
    assert 'href="mailto:service@campusdesk.invalid"' in card
    assert project.name in card
    assert str(engineer) in card and "13899110001" in card  # on duty now
    manager = people["manager"]
    assert str(manager) in card and manager.phone in card  # the contract's service manager
    # the other university's contract and its engineer on duty are not shown
    assert other_project.name not in card
    assert str(other) not in card and "13899110099" not in card


def test_by_day_the_card_names_no_engineer_on_duty(people, project):
    shift(people["engineer"], project)
    with time_machine.travel(datetime.combine(date(2026, 1, 7), time(10), BEIJING), tick=False):
        card = contacts_card(people["user"])
    assert "400-000-0000" in card and str(people["manager"]) in card
    assert str(people["engineer"]) not in card


def test_a_shift_for_every_project_counts_and_the_settings_are_read(people, project, settings):
    settings.SERVICE_HOTLINE = "010-12345678"
    settings.SERVICE_EMAIL = "help@desk.example.edu"
    shift(people["expert2"])  # no projects: on duty for all
    with time_machine.travel(NIGHT, tick=False):
        card = contacts_card(people["user"])
    assert "010-12345678" in card and "400-000-0000" not in card
    assert "mailto:help@desk.example.edu" in card
    assert str(people["expert2"]) in card


def test_a_contract_past_its_end_is_not_listed(people, project):
    project.service_end = date(2025, 12, 31)
    project.save(update_fields=["service_end"])
    with time_machine.travel(NIGHT, tick=False):
        assert contacts.for_customer(people["user"]) == []
        card = contacts_card(people["user"])
    assert "400-000-0000" in card and project.name not in card


def test_the_vendor_s_home_page_has_no_contacts_card(people, project):
    shift(people["engineer"], project)
    with time_machine.travel(NIGHT, tick=False):
        for who in ("engineer", "ops", "admin"):
            assert contacts_card(people[who]) == "", who
            assert contacts.for_customer(people[who]) == []


def test_contacts_are_two_queries_whatever_the_number_of_contracts(
    people, project, django_assert_num_queries
):
    extras = [ProjectFactory(organisation=project.organisation) for _ in range(3)]
    shift(people["ops"])  # every project, from 17:00
    shift(people["expert2"], project, extras[0], start=20)  # two of them, from 20:00
    with time_machine.travel(NIGHT, tick=False), django_assert_num_queries(2):
        found = contacts.for_customer(people["user"])
    named = {c.project.pk: [p.name for p in c.people] for c in found}
    assert set(named) == {project.pk, *(extra.pk for extra in extras)}
    # the latest started shift wins, as for one project
    assert named[project.pk] == [str(people["manager"]), str(people["expert2"])]
    assert named[extras[0].pk] == [str(people["expert2"])]
    assert named[extras[1].pk] == named[extras[2].pk] == [str(people["ops"])]
