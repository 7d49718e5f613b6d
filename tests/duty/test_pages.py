"""The duty roster's page and the hotline: a planner adds a shift and sees the gaps; the
service desk agent sees the engineer on duty and their number beside the call form."""

from __future__ import annotations

from datetime import timedelta

from campusdesk.core import clock
from campusdesk.duty.models import Shift
from tests.helpers import api_client_for, web_client_for


def test_a_planner_adds_a_shift_and_sees_the_coverage(people, project):
    client = web_client_for(people["ops"])
    page = client.get("/duty/")
    assert page.status_code == 200 and "未来 30 天无人值班时段" in page.content.decode()
    now = clock.local(clock.now())
    answer = client.post(
        "/duty/",
        {
            "user": people["engineer"].pk,
            "starts_at": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (now + timedelta(hours=9)).strftime("%Y-%m-%dT%H:%M"),
            "projects": [project.pk],
            "handover": "注意备份窗口",
        },
    )
    assert answer.status_code == 302
    assert Shift.objects.get().handover == "注意备份窗口"
    wrong = client.post("/duty/", {"user": people["engineer"].pk, "starts_at": "x", "ends_at": ""})
    assert wrong.status_code == 200 and Shift.objects.count() == 1


def test_customers_have_no_roster_and_engineers_only_read_it(people):
    assert web_client_for(people["user"]).get("/duty/").status_code == 403
    engineer = web_client_for(people["engineer"])
    assert 'id="new-shift"' not in engineer.get("/duty/").content.decode()
    assert engineer.post("/duty/", {}).status_code == 403
    created = api_client_for(people["engineer"]).post("/api/v1/duty/shifts/", {}, format="json")
    assert created.status_code == 400  # the input first; a complete one would be 403


def test_the_call_form_shows_who_is_on_duty(people, project):
    person = people["expert2"]
    person.phone = "13899110002"
    person.save(update_fields=["phone"])
    now = clock.now()
    shift = Shift.objects.create(
        user=person,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
        created_at=now,
    )
    shift.projects.set([project])
    page = web_client_for(people["agent"]).get("/tickets/new/").content.decode()
    assert 'id="on-duty"' in page and "13899110002" in page
    customer_page = web_client_for(people["user"]).get("/tickets/new/").content.decode()
    assert 'id="on-duty"' not in customer_page
