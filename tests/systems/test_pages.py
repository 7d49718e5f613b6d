"""The pages of the application systems: who sees what (another organisation: 404 on every
route; customers read only), the forms keep what was typed and say what is wrong (in
Chinese), the environment form writes versions, the diff, the dashboard, the watch list,
and a fixed number of queries per page whatever the number of rows."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.systems import services
from campusdesk.systems.models import (
    ApplicationSystem,
    Change,
    Finding,
    SystemEvent,
    TicketSystem,
    Vulnerability,
)
from tests.helpers import web_client_for
from tests.tickets.conftest import new_ticket

V1: dict[str, Any] = {
    "os": {"name": "CentOS", "version": "7.9.2009"},
    "components": [
        {"kind": "middleware", "name": "nginx", "version": "1.24.0"},
        {"kind": "runtime", "name": "JDK", "version": "1.8.0_392"},
    ],
    "ports": [{"port": 443, "protocol": "tcp", "service": "https", "exposure": "internet"}],
    "deployment": "双机部署",
    "backup": "每日全备",
    "notes": "",
}


def _v2() -> dict[str, Any]:
    """Version 2: nginx upgraded."""
    components = [
        {**c, "version": "1.25.3"} if c["name"] == "nginx" else dict(c) for c in V1["components"]
    ]
    return {**V1, "components": components}


def _system(project: Project, actor: User, name: str, versions: int = 2) -> ApplicationSystem:
    system = services.system_create(
        actor=actor,
        project=project,
        name=name,
        importance="core",
        urls=["https://yjs.xjnu.example"],
        hosts=["10.10.4.11"],
    )
    for number, data in enumerate([V1, _v2()][:versions], start=1):
        services.environment_change(
            system_id=system.pk, actor=actor, data=data, reason=f"第 {number} 版"
        )
    system.refresh_from_db()
    return system


@pytest.fixture
def system(people: dict[str, User], project: Project) -> ApplicationSystem:
    return _system(project, people["engineer"], "研究生管理系统")


@pytest.fixture
def other(people: dict[str, User], other_project: Project) -> ApplicationSystem:
    """昆仑大学's system: 新疆师范大学's people never see it."""
    return _system(other_project, people["engineer2"], "学工系统")


def _today() -> date:
    return timezone.localdate()


def _client(user: User, language: str = "zh-hans") -> Client:
    client = web_client_for(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return client


def _routes(system: ApplicationSystem) -> list[str]:
    return [
        f"/systems/{system.pk}/",
        f"/systems/{system.pk}/edit/",
        f"/systems/{system.pk}/environment/edit/",
        f"/systems/{system.pk}/environment/row/components/",
        f"/systems/{system.pk}/environment/diff/?from=1&to=2",
    ]


def _html(response: Any) -> str:
    return response.content.decode()


# --- who sees what ---------------------------------------------------------------------
def test_pages_open_for_the_right_people(people, system, other):
    engineer, customer, ops = people["engineer"], people["user"], people["ops"]
    for url in ("/systems/", "/systems/new/", "/systems/dashboard/", *_routes(system)):
        assert _client(engineer).get(url).status_code == 200, url
    for url in ("/systems/", "/systems/dashboard/", *_routes(other)):
        assert _client(ops).get(url).status_code == 200, url  # operations see every project
    for url in ("/systems/", "/systems/dashboard/", f"/systems/{system.pk}/"):
        assert _client(customer).get(url).status_code == 200, url
    listing = _html(_client(customer).get("/systems/"))
    assert "研究生管理系统" in listing and "学工系统" not in listing


@pytest.mark.parametrize("who", ["user2", "engineer2"])
def test_another_organisation_is_not_there(people, system, who):
    client = _client(people[who])
    for url in _routes(system):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"name": "x", "reason": "x"}).status_code == 404, url
    assert "研究生管理系统" not in _html(client.get("/systems/"))
    assert "研究生管理系统" not in _html(client.get("/systems/dashboard/"))


def test_customer_reads_only(people, system):
    client = _client(people["user"])
    page = _html(client.get(f"/systems/{system.pk}/"))
    assert 'id="edit-system"' not in page and 'id="edit-environment"' not in page
    assert 'id="new-system"' not in _html(client.get("/systems/"))
    assert client.get("/systems/new/").status_code == 403
    assert client.post("/systems/new/", {"name": "新系统"}).status_code == 403
    for url in _routes(system)[1:4]:
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"name": "改名", "reason": "试试"}).status_code == 403, url
    system.refresh_from_db()
    assert system.name == "研究生管理系统" and system.environments.count() == 2
    # the engineer of the project sees the buttons
    staff_page = _html(_client(people["engineer"]).get(f"/systems/{system.pk}/"))
    assert 'id="edit-system"' in staff_page and 'id="edit-environment"' in staff_page


def test_navigation_offers_the_systems(people):
    for who in ("user", "engineer"):
        assert 'href="/systems/"' in _html(_client(people[who]).get("/"))


# --- the system form -------------------------------------------------------------------
def test_create_offers_only_own_projects_and_adds(people, project, other_project):
    client = _client(people["engineer"])
    form = _html(client.get("/systems/new/"))
    assert project.name in form and other_project.name not in form
    response = client.post(
        "/systems/new/",
        {
            "project": project.pk,
            "name": "一卡通系统",
            "importance": "important",
            "urls": "https://card.xjnu.example\n\n https://card.xjnu.example/pos \n",
            "hosts": "10.10.6.2\n10.10.6.3",
        },
    )
    system = ApplicationSystem.objects.get(name="一卡通系统")
    assert response.status_code == 302 and response["Location"] == f"/systems/{system.pk}/"
    assert system.urls == ["https://card.xjnu.example", "https://card.xjnu.example/pos"]
    assert system.hosts == ["10.10.6.2", "10.10.6.3"]
    assert SystemEvent.objects.filter(system=system, action="system.created").exists()
    # a project the engineer does not serve is not a choice
    refused = client.post("/systems/new/", {"project": other_project.pk, "name": "某系统"})
    assert refused.status_code == 200
    assert not ApplicationSystem.objects.filter(name="某系统").exists()


def test_create_with_bad_input_keeps_everything_and_says_why_in_chinese(people, project, system):
    client = _client(people["engineer"])
    typed = {
        "project": project.pk,
        "name": "研究生管理系统",  # taken in this organisation
        "importance": "core",
        "owner": "研究生院 信息科",
        "urls": "https://new.xjnu.example",
        "hosts": "10.1.1.1\n10.1.1.2",
        "notes": "迁移中",
    }
    page = _html(client.post("/systems/new/", typed))
    assert "该单位已有同名的系统" in page  # the service's message, on the name field
    for value in ("研究生院 信息科", "https://new.xjnu.example", "10.1.1.1\n10.1.1.2", "迁移中"):
        assert value in page
    blank = _html(client.post("/systems/new/", {**typed, "name": "", "importance": "vital"}))
    assert "此项为必填项。" in blank
    assert "选择一个有效的选项" in blank
    assert ApplicationSystem.objects.filter(organisation=project.organisation).count() == 1


def test_edit_changes_the_description_and_keeps_input_on_error(people, project, system):
    client = _client(people["engineer"])
    url = f"/systems/{system.pk}/edit/"
    assert "https://yjs.xjnu.example" in _html(client.get(url))
    _system(project, people["engineer"], "一卡通系统", versions=0)
    page = _html(client.post(url, {"name": "一卡通系统", "importance": "core", "notes": "留着"}))
    assert "该单位已有同名的系统" in page and "留着" in page
    response = client.post(
        url, {"name": "研究生管理系统", "importance": "important", "hosts": "10.10.4.13"}
    )
    assert response.status_code == 302
    system.refresh_from_db()
    assert system.importance == "important" and system.hosts == ["10.10.4.13"]


def test_the_customer_contact_is_chosen_from_the_systems_organisation(people, project, system):
    client = _client(people["engineer"])
    url = f"/systems/{system.pk}/edit/"
    page = _html(client.get(url))
    assert 'name="customer_contact"' in page
    assert f'value="{people["user"].pk}"' in page  # 新疆师范大学's user
    assert f'value="{people["user2"].pk}"' not in page  # 昆仑大学's is no choice
    kept = {"name": system.name, "importance": "core"}
    refused = _html(client.post(url, {**kept, "customer_contact": people["user2"].pk}))
    assert "选择一个有效的选项" in refused
    assert client.post(url, {**kept, "customer_contact": people["user"].pk}).status_code == 302
    system.refresh_from_db()
    assert system.customer_contact == people["user"]
    # creating: the organisations of the engineer's projects are offered, the project's checked
    admin = _client(people["admin"])
    new = admin.post(
        "/systems/new/",
        {
            "project": Project.objects.get(name="学工系统运维服务").pk,
            "name": "学工系统",
            "importance": "normal",
            "customer_contact": people["user"].pk,
        },
    )
    assert new.status_code == 200 and not ApplicationSystem.objects.filter(name="学工系统").exists()
    assert "customer_contact" in new.context["form"].errors


# --- the environment ------------------------------------------------------------------
def _post_of(data: dict[str, Any], reason: str) -> dict[str, Any]:
    post: dict[str, Any] = {
        "os_name": data["os"]["name"],
        "os_version": data["os"]["version"],
        "deployment": data["deployment"],
        "backup": data["backup"],
        "notes": data["notes"],
        "reason": reason,
    }
    for i, component in enumerate(data["components"]):
        post.update({f"components-{i}-{k}": v for k, v in component.items()})
    for i, port in enumerate(data["ports"]):
        post.update({f"ports-{i}-{k}": v for k, v in port.items()})
    return post


def test_environment_form_writes_a_new_version(people, system):
    client = _client(people["engineer"])
    url = f"/systems/{system.pk}/environment/edit/"
    form = _html(client.get(url))
    assert 'value="1.25.3"' in form and 'value="双机部署"' not in form  # textarea
    assert "双机部署" in form
    post = _post_of(_v2(), "新增 Redis 缓存")
    post.update({"components-ab12-kind": "database", "components-ab12-name": "Redis"})
    post.update({"components-ab12-version": "7.2.4", "components-zz-name": ""})  # blank: skipped
    response = client.post(url, post)
    assert response.status_code == 302, _html(response)
    system.refresh_from_db()
    current = system.current_environment
    assert current is not None and current.number == 3 and current.reason == "新增 Redis 缓存"
    assert {"kind": "database", "name": "Redis", "version": "7.2.4"} in current.data["components"]
    assert current.author == people["engineer"]
    page = _html(client.get(f"/systems/{system.pk}/"))
    assert "Redis" in page and "7.2.4" in page and "新增 Redis 缓存" in page
    assert "互联网" in page  # port 443's exposure, in words


def test_environment_form_bad_rows_keep_everything(people, system):
    client = _client(people["engineer"])
    url = f"/systems/{system.pk}/environment/edit/"
    post = _post_of(_v2(), "补登端口")
    post.update(
        {
            "components-9-kind": "database",
            "components-9-name": "Redis",  # no version
            "components-9-version": "",
            "ports-7-port": "99999",
            "ports-7-protocol": "tcp",
            "ports-7-service": "redis-cluster",
            "ports-7-exposure": "intranet",
        }
    )
    page = _html(client.post(url, post))
    assert "确保该值小于或等于65535。" in page  # the port, by the form
    assert 'value="99999"' in page and 'value="redis-cluster"' in page
    assert 'value="Redis"' in page and "补登端口" in page
    post["ports-7-port"] = "6379"
    page = _html(client.post(url, post))
    assert "此项为必填项。" in page  # Redis's version, by the service, on its row
    assert re.search(
        r'name="components-9-name"[^>]*value="Redis"|value="Redis"[^>]*name="components-9-name"',
        page,
    )
    post.update({"components-9-name": "NGINX", "components-9-version": "1.26.0"})
    page = _html(client.post(url, post))
    assert "NGINX 重复列出" in page
    del post["reason"]
    page = _html(client.post(url, {**post, "components-9-name": "Redis"}))
    assert "此项为必填项。" in page and 'value="6379"' in page
    assert system.environments.count() == 2  # nothing written


def test_environment_unchanged_is_refused_with_the_services_message(people, system):
    client = _client(people["engineer"])
    page = _html(
        client.post(f"/systems/{system.pk}/environment/edit/", _post_of(_v2(), "再保存一次"))
    )
    assert "没有变化：环境与第 2 版相同。" in page and "再保存一次" in page
    assert system.environments.count() == 2


def test_add_a_row_with_htmx_or_without(people, system):
    client = _client(people["engineer"])
    row = _html(
        client.get(f"/systems/{system.pk}/environment/row/ports/", headers={"HX-Request": "true"})
    )
    assert re.search(r'name="ports-[0-9a-f]{8}-port"', row) and "互联网" in row
    assert client.get(f"/systems/{system.pk}/environment/row/other/").status_code == 404
    post = {**_post_of(_v2(), "加一行"), "add": "components"}
    page = _html(client.post(f"/systems/{system.pk}/environment/edit/", post))
    assert len(re.findall(r'class="row-components"', page)) == 3  # the two and a new one
    assert 'value="加一行"' in page or "加一行" in page
    assert system.environments.count() == 2


def test_diff_page_shows_the_changed_version_field_by_field(people, system):
    client = _client(people["user"])
    page = _html(client.get(f"/systems/{system.pk}/environment/diff/?from=1&to=2"))
    row = re.search(r'data-field="components.nginx.version".*?</tr>', page, re.S)
    assert row is not None
    assert "组件 nginx：版本" in row.group(0)
    assert "1.24.0" in row.group(0) and "1.25.3" in row.group(0)
    assert 'data-field="os.version"' not in page
    same = _html(client.get(f"/systems/{system.pk}/environment/diff/?from=2&to=2"))
    assert "两个版本相同。" in same
    missing = client.get(f"/systems/{system.pk}/environment/diff/?from=1&to=9")
    assert missing.status_code == 400 and "该应用系统没有第 9 版环境。" in _html(missing)
    # the detail page offers the comparison of any two versions
    detail = _html(client.get(f"/systems/{system.pk}/"))
    assert f'action="/systems/{system.pk}/environment/diff/"' in detail


# --- what the detail page gathers -----------------------------------------------------
def _vulnerability(identifier: str, severity: str, score: str) -> Vulnerability:
    now = timezone.now()
    return Vulnerability.objects.create(
        identifier=identifier,
        title=f"{identifier} 测试漏洞",
        cvss_score=Decimal(score),
        severity=severity,
        component="nginx",
        component_key="nginx",
        affected="<1.25.4",
        created_at=now,
        updated_at=now,
    )


def _finding(system: ApplicationSystem, vuln: Vulnerability, due: date, status: str = "open"):
    now = timezone.now()
    return Finding.objects.create(
        system=system,
        vulnerability=vuln,
        status=status,
        installed_version="1.25.3",
        due_date=due,
        opened_at=now,
        updated_at=now,
    )


def _change(system: ApplicationSystem, actor: User, status: str = "planned") -> Change:
    now = timezone.now()
    return Change.objects.create(
        system=system,
        kind="patch",
        title="nginx 升级到 1.25.5",
        window_start=now + timedelta(days=2),
        window_end=now + timedelta(days=2, hours=2),
        requested_by=actor,
        requested_at=now,
        status=status,
        targets=[{"name": "nginx", "version": "1.25.5"}],
    )


def test_detail_lists_tickets_changes_findings_and_timeline(people, project, system):
    today = _today()
    finding = _finding(system, _vulnerability("CVE-2099-0001", "high", "7.5"), today - timedelta(3))
    _change(system, people["engineer"])
    ticket = new_ticket(project, people["user"])
    TicketSystem.objects.create(ticket=ticket, system=system)
    services.record(system, "change.approved", people["manager"], timezone.now(), title="x")
    page = _html(_client(people["user"]).get(f"/systems/{system.pk}/"))
    assert ticket.number in page and f"/tickets/{ticket.pk}/" in page
    assert "nginx 升级到 1.25.5" in page
    assert "CVE-2099-0001" in page and f"/systems/findings/{finding.pk}/" in page
    assert "逾期" in page
    for label in ("登记系统", "环境变更", "变更已批准"):
        assert label in page
    assert "environment.changed" not in re.sub(r'data-action="[^"]*"', "", page)


# --- dashboard and the watch list -----------------------------------------------------
def test_dashboard_counts_per_organisation(people, system, other):
    today = _today()
    _finding(system, _vulnerability("CVE-2099-0001", "critical", "9.8"), today - timedelta(1))
    _finding(system, _vulnerability("CVE-2099-0002", "high", "7.5"), today + timedelta(9))
    _finding(system, _vulnerability("CVE-2099-0003", "low", "2.0"), today - timedelta(9), "fixed")
    _finding(other, _vulnerability("CVE-2099-0004", "medium", "5.0"), today - timedelta(1))
    _change(system, people["engineer"])
    _change(system, people["engineer"], "approved")
    _change(system, people["engineer"], "done")
    page = _html(_client(people["ops"]).get("/systems/dashboard/"))
    row = re.search(rf'data-system="{system.pk}">(.*?)</tr>', page, re.S)
    assert row is not None
    cells = re.findall(r"<td>(?:<[^>]+>)*([^<]*)", row.group(1))
    # name, critical, high, medium, low, overdue, awaiting approval, approved
    assert cells[1:] == ["1", "1", "0", "0", "1", "1", "1"]
    assert f'data-system="{other.pk}"' in page
    customer = _html(_client(people["user"]).get("/systems/dashboard/"))
    assert f'data-system="{system.pk}"' in customer and f'data-system="{other.pk}"' not in customer


def test_overdue_findings_on_the_watch_list(people, system, other):
    today = _today()
    late = _finding(system, _vulnerability("CVE-2099-0001", "high", "7.5"), today - timedelta(2))
    _finding(system, _vulnerability("CVE-2099-0002", "high", "7.5"), today + timedelta(2))
    _finding(system, _vulnerability("CVE-2099-0003", "high", "7.5"), today - timedelta(2), "fixed")
    unverified = _finding(
        other, _vulnerability("CVE-2099-0004", "low", "3.0"), today - timedelta(5), "unverified"
    )
    page = _html(_client(people["ops"]).get("/ops/findings/"))
    rows = re.findall(r'data-finding="(\d+)"', page)
    assert rows == [str(unverified.pk), str(late.pk)]
    assert "逾期漏洞" in page
    mine = _html(_client(people["engineer"]).get("/ops/findings/"))
    assert re.findall(r'data-finding="(\d+)"', mine) == [str(late.pk)]
    assert _client(people["user"]).get("/ops/findings/").status_code == 403


# --- queries --------------------------------------------------------------------------
def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _grow(people: dict[str, User], project: Project, system: ApplicationSystem, n: int) -> None:
    engineer = people["engineer"]
    for i in range(n):
        grown = _system(project, engineer, f"系统 {len(str(i))}-{i}-{system.pk}")
        vuln = _vulnerability(f"CVE-2098-{system.pk}{i:04d}", "high", "7.5")
        _finding(grown, vuln, _today() - timedelta(1))
        _finding(system, vuln, _today() - timedelta(1))
        _change(grown, engineer)
        _change(system, engineer)
        TicketSystem.objects.create(ticket=new_ticket(project, people["user"]), system=system)
        data = V1 if i % 2 == 0 else _v2()
        services.environment_change(system_id=system.pk, actor=engineer, data=data, reason=f"{i}")


@pytest.mark.parametrize("who", ["engineer", "user"])
def test_query_counts_stay_fixed(people, project, system, who):
    client = _client(people[who])
    urls = [
        "/systems/",
        "/systems/?importance=core&q=系统",
        f"/systems/{system.pk}/",
        "/systems/dashboard/",
    ]
    before = {url: _queries(client, url) for url in urls}
    _grow(people, project, system, 6)
    after = {url: _queries(client, url) for url in urls}
    assert after == before
    detail = after.pop(f"/systems/{system.pk}/")
    assert max(after.values()) <= 14, after
    assert detail <= 20, detail  # 14, and six of the probes' section (monitoring.status)
    ops = _client(people["ops"])
    assert _queries(ops, "/ops/findings/") <= 16
