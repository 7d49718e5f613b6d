"""The routine-work pages that change what is planned, and routine work in 我的待办: an engineer
edits a routine (a typing mistake keeps what was typed and says why in Chinese), deletes
one without history and is refused one with history; writes and edits a system's emergency
plan and reads its page with its drills; the customer reads but does not write, another
organisation finds nothing; the queue shows each engineer the runs that are theirs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from campusdesk.core import clock
from campusdesk.routines import services
from campusdesk.routines.models import EmergencyPlan, Routine, Run
from tests.helpers import web_client_for
from tests.routines.conftest import monthly


def _form(system: Any, engineer: Any, **changes: Any) -> dict[str, Any]:
    """What the edit page posts for the monthly inspection, with ``changes``."""
    return {
        "name": "研究生管理系统月度巡检",
        "kind": "inspection",
        "systems": [system.pk],
        "assignee": engineer.pk,
        "recurrence": "FREQ=MONTHLY;BYMONTHDAY=1",
        "starts_on": "2025-12-01",
        "working_days": "on",
        "lead_days": "3",
        "checklist": "磁盘使用率 | < 80% | 是\n错误日志 | 无 ERROR",
        "is_active": "on",
        "plan": "",
        **changes,
    }


def _plan(people: dict[str, Any], system: Any) -> EmergencyPlan:
    return services.plan_create(
        actor=people["engineer"],
        system=system,
        data={"scenario": "数据库宕机", "steps": ["确认故障范围", "切换到备库"], "rto_minutes": 30},
    )


# --- a routine --------------------------------------------------------------------------------
def test_an_engineer_edits_a_routine_on_its_page(people, system):
    engineer = people["engineer"]
    routine = monthly(engineer, system)
    client = web_client_for(engineer)
    detail = client.get(f"/routines/{routine.pk}/").content.decode()
    assert f'href="/routines/{routine.pk}/edit/"' in detail
    page = client.get(f"/routines/{routine.pk}/edit/").content.decode()
    assert 'name="name" value="研究生管理系统月度巡检"' in page
    assert "磁盘使用率 | &lt; 80% | 是" in page and 'name="starts_on" value="2025-12-01"' in page
    assert 'name="template"' not in page  # no template to start from: the lines are there
    answer = client.post(
        f"/routines/{routine.pk}/edit/",
        _form(
            system,
            engineer,
            name="研究生管理系统季度巡检",
            recurrence="FREQ=MONTHLY;INTERVAL=3",
            lead_days="5",
            is_active="",
        ),
    )
    assert answer.status_code == 302 and answer["Location"] == f"/routines/{routine.pk}/"
    routine.refresh_from_db()
    assert routine.name == "研究生管理系统季度巡检" and routine.lead_days == 5
    assert routine.recurrence == "FREQ=MONTHLY;INTERVAL=3" and not routine.is_active
    assert [c["text"] for c in routine.checklist] == ["磁盘使用率", "错误日志"]
    assert routine.checklist[0]["evidence"] and not routine.checklist[1]["evidence"]
    shown = client.get(f"/routines/{routine.pk}/").content.decode()
    assert "研究生管理系统季度巡检" in shown and "已暂停" in shown


def test_a_bad_edit_says_why_in_chinese_and_keeps_what_was_typed(people, system):
    engineer = people["engineer"]
    routine = monthly(engineer, system)
    client = web_client_for(engineer)
    typed = _form(system, engineer, name="改过的名称", recurrence="FREQ=SOMETIMES", lead_days="9")
    answer = client.post(f"/routines/{routine.pk}/edit/", typed)
    page = answer.content.decode()
    assert answer.status_code == 200 and "周期规则不是有效的 RRULE" in page
    assert 'name="name" value="改过的名称"' in page
    assert 'name="recurrence" value="FREQ=SOMETIMES"' in page
    assert 'name="lead_days" value="9"' in page and "错误日志 | 无 ERROR" in page
    empty = client.post(f"/routines/{routine.pk}/edit/", _form(system, engineer, name=""))
    assert empty.status_code == 200 and "必填" in empty.content.decode()
    routine.refresh_from_db()
    assert routine.name == "研究生管理系统月度巡检" and routine.lead_days == 3


def test_a_routine_with_completed_runs_is_not_deleted(people, system):
    engineer = people["engineer"]
    routine = monthly(engineer, system)
    run = services.run_create_now(actor=engineer, routine=routine)
    Run.objects.filter(pk=run.pk).update(status=Run.Status.COMPLETED, completed_at=clock.now())
    client = web_client_for(engineer)
    answer = client.post(f"/routines/{routine.pk}/delete/", follow=True)
    assert answer.redirect_chain[-1][0] == f"/routines/{routine.pk}/edit/"
    assert "不能删除，请改为停用" in answer.content.decode()
    assert Routine.objects.filter(pk=routine.pk).exists() and Run.objects.filter(pk=run.pk).exists()


def test_a_routine_without_history_is_deleted(people, system):
    engineer = people["engineer"]
    routine = monthly(engineer, system)
    services.run_create_now(actor=engineer, routine=routine)  # open: no report to keep
    client = web_client_for(engineer)
    page = client.get(f"/routines/{routine.pk}/edit/").content.decode()
    assert f'action="/routines/{routine.pk}/delete/"' in page
    answer = client.post(f"/routines/{routine.pk}/delete/")
    assert answer.status_code == 302 and answer["Location"] == "/routines/"
    assert not Routine.objects.exists() and not Run.objects.exists()


def test_the_customer_reads_a_routine_but_does_not_change_it(people, system):
    routine = monthly(people["engineer"], system)
    client = web_client_for(people["user"])
    page = client.get(f"/routines/{routine.pk}/")
    assert page.status_code == 200 and f"/routines/{routine.pk}/edit/" not in page.content.decode()
    assert client.get(f"/routines/{routine.pk}/edit/").status_code == 403
    edit = client.post(f"/routines/{routine.pk}/edit/", _form(system, people["engineer"]))
    assert edit.status_code == 403
    assert client.post(f"/routines/{routine.pk}/delete/").status_code == 403
    assert Routine.objects.filter(pk=routine.pk, name="研究生管理系统月度巡检").exists()


@pytest.mark.parametrize("who", ["user2", "engineer2"])
def test_another_organisation_finds_none_of_the_new_pages(people, system, who):
    routine = monthly(people["engineer"], system)
    plan = _plan(people, system)
    client = web_client_for(people[who])
    for url in (
        f"/routines/{routine.pk}/edit/",
        f"/systems/{system.pk}/plans/new/",
        f"/plans/{plan.pk}/",
        f"/plans/{plan.pk}/edit/",
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"name": "x", "scenario": "x", "steps": "x"}).status_code == 404
    assert client.post(f"/routines/{routine.pk}/delete/").status_code == 404
    assert Routine.objects.filter(pk=routine.pk).exists()
    plan.refresh_from_db()
    assert plan.scenario == "数据库宕机"


# --- an emergency plan ------------------------------------------------------------------------
def test_an_engineer_writes_and_edits_an_emergency_plan(people, system):
    client = web_client_for(people["engineer"])
    system_page = client.get(f"/systems/{system.pk}/").content.decode()
    assert f'href="/systems/{system.pk}/plans/new/"' in system_page
    assert client.get(f"/systems/{system.pk}/plans/new/").status_code == 200
    answer = client.post(
        f"/systems/{system.pk}/plans/new/",
        {
            "scenario": "数据库宕机",
            "trigger": "主库无法连接超过 5 分钟",
            "steps": "确认故障范围\n\n  切换到备库  \n通知用户",
            "contacts": "DBA 值班：13800000004",
            "rto_minutes": "30",
            "rpo_minutes": "5",
            "exercise_days": "180",
        },
    )
    plan = EmergencyPlan.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/plans/{plan.pk}/"
    assert plan.system == system and plan.steps == ["确认故障范围", "切换到备库", "通知用户"]
    assert (plan.rto_minutes, plan.rpo_minutes, plan.exercise_days) == (30, 5, 180)
    page = client.get(f"/plans/{plan.pk}/").content.decode()
    assert "<li>切换到备库</li>" in page and "从未演练" in page and 'id="drill-due"' in page
    assert f'href="/plans/{plan.pk}/edit/"' in page
    form = client.get(f"/plans/{plan.pk}/edit/").content.decode()
    assert "确认故障范围\n切换到备库\n通知用户" in form
    assert 'name="scenario" value="数据库宕机"' in form
    edited = client.post(
        f"/plans/{plan.pk}/edit/",
        {"scenario": "数据库宕机（主库）", "steps": "切换到备库\n通知用户", "exercise_days": "90"},
    )
    assert edited.status_code == 302
    plan.refresh_from_db()
    assert plan.scenario == "数据库宕机（主库）" and plan.steps == ["切换到备库", "通知用户"]
    assert plan.exercise_days == 90 and plan.rto_minutes is None and plan.trigger == ""
    listed = client.get(f"/systems/{system.pk}/").content.decode()
    assert f'href="/plans/{plan.pk}/"' in listed


def test_a_bad_plan_says_why_and_keeps_what_was_typed(people, system):
    client = web_client_for(people["engineer"])
    answer = client.post(
        f"/systems/{system.pk}/plans/new/",
        {"scenario": "机房断电", "steps": "", "rto_minutes": "-1", "exercise_days": "365"},
    )
    page = answer.content.decode()
    assert answer.status_code == 200 and "必填" in page and "大于或等于0" in page.replace(" ", "")
    assert 'name="scenario" value="机房断电"' in page
    assert not EmergencyPlan.objects.exists()


def test_a_plan_page_lists_its_drills_and_the_customer_only_reads(people, system):
    engineer = people["engineer"]
    plan = _plan(people, system)
    drill = monthly(engineer, system, name="半年度 HA 切换演练", kind="ha_drill", plan=plan.pk)
    run = services.run_create_now(actor=engineer, routine=drill)
    assert run.plan_id == plan.pk
    customer = web_client_for(people["user"])
    page = customer.get(f"/plans/{plan.pk}/").content.decode()
    assert f'data-run="{run.pk}"' in page and f'href="/routines/{drill.pk}/"' in page
    assert f"/plans/{plan.pk}/edit/" not in page
    assert customer.get(f"/plans/{plan.pk}/edit/").status_code == 403
    assert customer.get(f"/systems/{system.pk}/plans/new/").status_code == 403
    routines_page = web_client_for(engineer).get(f"/routines/{drill.pk}/").content.decode()
    assert f'href="/plans/{plan.pk}/"' in routines_page


# --- 我的待办 ------------------------------------------------------------------------------------
def test_the_queue_shows_each_engineer_their_own_runs(people, system):
    engineer, expert2 = people["engineer"], people["expert2"]
    mine = services.run_create_now(actor=engineer, routine=monthly(engineer, system))
    late = clock.local(clock.now()).date() - timedelta(days=3)
    Run.objects.filter(pk=mine.pk).update(due_on=late)
    theirs_routine = monthly(expert2, system, name="数据库巡检", assignee=expert2.pk)
    theirs = services.run_create_now(actor=expert2, routine=theirs_routine)
    team = services.run_create_now(actor=expert2, routine=monthly(expert2, system, name="日志巡检"))
    Run.objects.filter(pk=team.pk).update(assignee=None)  # the line-1 team's: engineer's
    done = services.run_create_now(actor=engineer, routine=monthly(engineer, system, name="已完"))
    Run.objects.filter(pk=done.pk).update(status=Run.Status.COMPLETED)

    page = web_client_for(engineer).get("/queue/").content.decode()
    assert 'id="queue-runs"' in page
    assert f'data-run="{mine.pk}"' in page and f'data-run="{team.pk}"' in page
    assert f'data-run="{theirs.pk}"' not in page and f'data-run="{done.pk}"' not in page
    assert page.index(f'data-run="{mine.pk}"') < page.index(f'data-run="{team.pk}"')  # due first
    row = page[page.index(f'data-run="{mine.pk}"') :].split("</tr>")[0]
    assert late.isoformat() in row and "已逾期" in row
    assert f'href="/runs/{mine.pk}/"' in row

    other = web_client_for(expert2).get("/queue/in_progress/").content.decode()
    assert f'data-run="{theirs.pk}"' in other and f'data-run="{mine.pk}"' not in other
    assert f'data-run="{team.pk}"' not in other  # expert2 is not in the line-1 team
    nothing = web_client_for(people["engineer2"]).get("/queue/").content.decode()
    assert 'id="queue-runs"' not in nothing
