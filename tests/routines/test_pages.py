"""The routine-work pages as people use them: an engineer plans a monthly inspection from
the shipped template, records the checks (a failure opens its problem), completes the run
and downloads its report; the customer reads and confirms; another organisation finds
nothing; the watch list, the system's page and the service report show the work."""

from __future__ import annotations

import re

import time_machine

from campusdesk.routines import services
from campusdesk.routines.models import Routine, Run, RunItem
from campusdesk.tickets.models import Ticket
from tests.helpers import web_client_for
from tests.routines.conftest import T0, monthly


def test_an_engineer_plans_from_the_template_and_performs_a_run(people, system):
    client = web_client_for(people["engineer"])
    form = client.get("/routines/new/")
    assert form.status_code == 200 and "Java 应用系统月度巡检" in form.content.decode()
    answer = client.post(
        "/routines/new/",
        {
            "template": "java_web_monthly",
            "name": "研究生管理系统月度巡检",
            "kind": "inspection",
            "systems": [system.pk],
            "recurrence": "FREQ=MONTHLY;BYMONTHDAY=1",
            "working_days": "on",
            "lead_days": "3",
            "checklist": "",
        },
    )
    routine = Routine.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/routines/{routine.pk}/"
    assert len(routine.checklist) == 9 and routine.checklist[1]["text"] == "内存使用率"
    page = client.get(f"/routines/{routine.pk}/").content.decode()
    assert "近期到期日" in page and routine.next_due_on.isoformat() in page
    started = client.post(f"/routines/{routine.pk}/run/")
    run = Run.objects.get()
    assert started["Location"] == f"/runs/{run.pk}/"
    for n in range(9):
        body = {"result": "pass", "value": "正常"}
        if n == 3:
            body = {"result": "fail", "note": "catalina.out 出现 OutOfMemoryError"}
        client.post(f"/runs/{run.pk}/items/{n}/", body)
    failed = RunItem.objects.get(run=run, position=3)
    assert failed.result == "fail" and failed.ticket is not None
    page = client.get(f"/runs/{run.pk}/").content.decode()
    assert f"#{failed.ticket.number}" in page and 'id="item3-result_0"' in page
    done = client.post(f"/systems/do/run/{run.pk}/complete/", {"summary": "内存问题已登记"})
    assert done.status_code == 302
    run.refresh_from_db()
    assert run.status == "completed"
    report = client.get(f"/runs/{run.pk}/report/?format=docx")
    assert report.status_code == 200 and "attachment" in report["Content-Disposition"]


def test_a_bad_record_keeps_the_run_as_it_was_and_says_why(people, system):
    routine = monthly(people["engineer"], system)
    run = services.run_create_now(actor=people["engineer"], routine=routine)
    client = web_client_for(people["engineer"])
    answer = client.post(f"/runs/{run.pk}/items/1/", {"result": "fail"}, follow=True)
    assert "此字段是必填项" in answer.content.decode() or "必填" in answer.content.decode()
    assert RunItem.objects.get(run=run, position=1).result == ""
    assert not Ticket.objects.exists()


def test_the_customer_reads_and_another_organisation_finds_nothing(people, system):
    routine = monthly(people["engineer"], system)
    run = services.run_create_now(actor=people["engineer"], routine=routine)
    own = web_client_for(people["user"])
    assert routine.name in own.get("/routines/").content.decode()
    page = own.get(f"/runs/{run.pk}/").content.decode()
    assert run.title in page and f'action="/runs/{run.pk}/items/0/"' not in page
    assert own.post(f"/runs/{run.pk}/items/0/", {"result": "pass", "value": "1"}).status_code == 403
    outsider = web_client_for(people["user2"])
    assert routine.name not in outsider.get("/routines/").content.decode()
    for url in (f"/routines/{routine.pk}/", f"/runs/{run.pk}/", f"/runs/{run.pk}/report/"):
        assert outsider.get(url).status_code == 404, url
    assert outsider.post(f"/routines/{routine.pk}/run/").status_code == 404


def test_the_run_page_reads_in_a_bounded_number_of_queries(
    people, system, django_assert_max_num_queries
):
    routine = monthly(people["engineer"], system)
    run = services.run_create_now(actor=people["engineer"], routine=routine)
    client = web_client_for(people["engineer"])
    client.get(f"/runs/{run.pk}/")  # warm the session and the caches
    with django_assert_max_num_queries(30):
        assert client.get(f"/runs/{run.pk}/").status_code == 200


def test_late_runs_and_plans_due_stand_on_the_watch_list(people, system):
    routine = monthly(people["engineer"], system)
    with time_machine.travel(T0, tick=False):
        run = services.run_create_now(actor=people["engineer"], routine=routine)
        services.plan_create(
            actor=people["engineer"],
            system=system,
            data={"scenario": "断电", "steps": ["启动 UPS"]},
        )
    client = web_client_for(people["ops"])
    page = client.get("/ops/routine_runs/").content.decode()
    assert f'data-run="{run.pk}"' in page
    assert re.search(r'data-list="routine_runs">[^<]*<span class="badge warn">1<', page)
    plans = client.get("/ops/emergency_plans/").content.decode()
    assert "断电" in plans and "从未演练" in plans
    system_page = client.get(f"/systems/{system.pk}/").content.decode()
    assert 'id="system-plans"' in system_page and routine.name in system_page
