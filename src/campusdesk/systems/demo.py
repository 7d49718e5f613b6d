"""Demo application systems: the eleven systems the seed's §1 lists for 新疆师范大学 (each
with its own stack, as the seed says: different operating systems, middleware and ports),
one system of 昆仑大学, two environment versions each, planned and completed changes, and
vulnerabilities matched against the installed versions. Running it twice changes nothing."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

from django.utils import translation

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.core import clock
from campusdesk.systems import changes, findings, services, ticketlink, vulns
from campusdesk.systems.models import (
    ApplicationSystem,
    Change,
    Finding,
    Importance,
    Vulnerability,
)
from campusdesk.tickets.models import Ticket

DAY = timedelta(days=1)

_MW, _RT, _DB, _APP, _LIB = "middleware", "runtime", "database", "application", "library"
_IN, _NET = "intranet", "internet"


def _c(kind: str, name: str, version: str) -> dict[str, str]:
    return {"kind": kind, "name": name, "version": version}


def _p(port: int, service: str, exposure: str = _IN, protocol: str = "tcp") -> dict[str, Any]:
    return {"port": port, "protocol": protocol, "service": service, "exposure": exposure}


#: name → (importance, host, url, first environment, (what changed, reason) for version 2)
SYSTEMS: dict[str, dict[str, Any]] = {
    "网上办事服务大厅": {
        "importance": Importance.CORE,
        "urls": ["https://ehall.xjnu.example"],
        "hosts": ["10.10.1.21", "10.10.1.22"],
        "os": ("CentOS", "7.9.2009"),
        "components": [
            _c(_MW, "nginx", "1.20.1"),
            _c(_MW, "Apache Tomcat", "8.5.57"),
            _c(_RT, "JDK", "1.8.0_202"),
            _c(_DB, "Oracle Database", "11.2.0.4"),
            _c(_LIB, "log4j-core", "2.14.1"),
            _c(_APP, "网上办事服务大厅", "5.2.3"),
        ],
        "ports": [_p(443, "https", _NET), _p(80, "http", _NET), _p(8080, "tomcat")],
        "deployment": "两台应用服务器，F5 负载均衡；Oracle 单实例。",
        "backup": "Oracle RMAN 每日全备，保留 14 天；应用目录每周打包。",
        "v2": ({"log4j-core": "2.17.1"}, "升级 log4j-core 修复 Log4Shell（临时加固后的正式补丁）"),
    },
    "校级数据中心": {
        "importance": Importance.CORE,
        "urls": ["https://data.xjnu.example"],
        "hosts": ["10.10.2.10"],
        "os": ("Kylin Linux Advanced Server", "V10 SP2"),
        "components": [
            _c(_DB, "Oracle Database", "19.3.0.0"),
            _c(_MW, "Apache Kafka", "2.8.1"),
            _c(_RT, "JDK", "11.0.16"),
            _c(_APP, "数据交换平台", "3.1.0"),
            _c(_LIB, "fastjson", "1.2.47"),
        ],
        "ports": [_p(1521, "oracle"), _p(9092, "kafka"), _p(8443, "https")],
        "deployment": "国产化服务器（鲲鹏 920），数据交换平台与 Kafka 同机部署。",
        "backup": "Oracle Data Guard 物理备库；每日 RMAN 增量。",
        "v2": ({"Apache Kafka": "3.4.1"}, "Kafka 升级到 3.4.1（厂商支持版本）"),
    },
    "统一身份认证管理系统": {
        "importance": Importance.CORE,
        "urls": ["https://ids.xjnu.example/authserver"],
        "hosts": ["10.10.1.31", "10.10.1.32"],
        "os": ("CentOS", "7.6.1810"),
        "components": [
            _c(_MW, "nginx", "1.16.1"),
            _c(_MW, "Apache Tomcat", "9.0.0-M1"),
            _c(_RT, "JDK", "1.8.0_392"),
            _c(_DB, "MySQL", "5.7.26-log"),
            _c(_DB, "Redis", "5.0.7"),
            _c(_LIB, "OpenSSL", "1.0.2k"),
            _c(_LIB, "Apache Shiro", "1.4.0"),
        ],
        "ports": [_p(443, "https", _NET), _p(3306, "mysql"), _p(6379, "redis")],
        "deployment": "双机热备（keepalived 虚拟地址 10.10.1.30）；CAS 协议对接 60 余个系统。",
        "backup": "MySQL 主从复制，每日 mysqldump 全备异地保存。",
        "v2": ({"MySQL": "5.7.44-log"}, "MySQL 小版本升级（安全补丁）"),
    },
    "学工系统": {
        "importance": Importance.IMPORTANT,
        "urls": ["https://xg.xjnu.example"],
        "hosts": ["10.10.3.15"],
        "os": ("Windows Server", "2012 R2"),
        "components": [
            _c(_MW, "IIS", "8.5"),
            _c(_RT, ".NET Framework", "4.8"),
            _c(_DB, "Microsoft SQL Server", "2014 SP3"),
            _c(_APP, "学工系统", "2.7.1"),
        ],
        "ports": [_p(443, "https", _NET), _p(1433, "mssql"), _p(3389, "rdp")],
        "deployment": "单机部署，IIS 与 SQL Server 同机。",
        "backup": "SQL Server 维护计划：每日全备，每小时日志备份。",
        "v2": ({"学工系统": "2.8.0"}, "学工系统升级到 2.8.0（奖助学金模块）"),
    },
    "人事系统": {
        "importance": Importance.IMPORTANT,
        "urls": ["https://hr.xjnu.example"],
        "hosts": ["10.10.3.20"],
        "os": ("Red Hat Enterprise Linux", "7.9"),
        "components": [
            _c(_MW, "Apache HTTP Server", "2.4.6-99.el7"),
            _c(_MW, "WebLogic Server", "12.2.1.3.0"),
            _c(_RT, "JDK", "1.8.0_301"),
            _c(_DB, "Oracle Database", "12.2.0.1"),
        ],
        "ports": [_p(80, "http"), _p(7001, "weblogic"), _p(1521, "oracle")],
        "deployment": "Apache 反向代理到 WebLogic 集群（两个受管服务器）。",
        "backup": "Oracle 每日全备；WebLogic 域配置每月备份。",
        "v2": ({"JDK": "1.8.0_392"}, "JDK 更新到 8u392"),
    },
    "研究生管理系统": {
        "importance": Importance.CORE,
        "urls": ["https://yjs.xjnu.example", "https://yjs.xjnu.example/admin"],
        "hosts": ["10.10.4.11", "10.10.4.12"],
        "os": ("Kylin Linux Advanced Server", "V10 SP3"),
        "components": [
            _c(_MW, "nginx", "1.24.0"),
            _c(_MW, "Apache Tomcat", "9.0.83"),
            _c(_RT, "JDK", "1.8.0_392"),
            _c(_DB, "DM8", "8.1.3.62"),
            _c(_DB, "Redis", "6.2.14"),
            _c(_APP, "研究生管理系统", "6.0.5"),
            _c(_LIB, "Spring Framework", "5.3.31"),
        ],
        "ports": [_p(443, "https", _NET), _p(5236, "dm"), _p(6379, "redis")],
        "deployment": "两台应用服务器 + 达梦 DM8 主备；nginx 反向代理与静态资源。",
        "backup": "DM8 每日全备、每小时归档日志；备份机在图书馆机房。",
        "v2": ({"nginx": "1.25.3"}, "nginx 升级到 1.25.3（等保整改）"),
    },
    "科研管理系统": {
        "importance": Importance.IMPORTANT,
        "urls": ["https://kyc.xjnu.example"],
        "hosts": ["10.10.5.8"],
        "os": ("Ubuntu", "20.04.6 LTS"),
        "components": [
            _c(_MW, "nginx", "1.18.0"),
            _c(_RT, "PHP", "7.4.3"),
            _c(_DB, "MySQL", "8.0.28"),
            _c(_LIB, "OpenSSL", "1.1.1f"),
            _c(_APP, "科研管理系统", "4.3"),
        ],
        "ports": [_p(443, "https", _NET), _p(3306, "mysql")],
        "deployment": "单机 LNMP。",
        "backup": "每日 mysqldump，保留 30 天。",
        "v2": ({"PHP": "7.4.33"}, "PHP 升级到 7.4 最后一个版本"),
    },
    "一卡通系统": {
        "importance": Importance.CORE,
        "urls": ["https://card.xjnu.example"],
        "hosts": ["10.10.6.2", "10.10.6.3"],
        "os": ("Windows Server", "2016"),
        "components": [
            _c(_MW, "IIS", "10.0"),
            _c(_DB, "Microsoft SQL Server", "2016 SP2"),
            _c(_APP, "一卡通前置", "3.0.12"),
        ],
        "ports": [_p(443, "https"), _p(1433, "mssql"), _p(8000, "pos", protocol="udp")],
        "deployment": "前置机与数据库分离；POS 终端经专网接入。",
        "backup": "数据库镜像 + 每日全备；交易流水每日导出。",
        "v2": ({"一卡通前置": "3.0.15"}, "一卡通前置程序升级（补贴发放问题修复）"),
    },
    "乐学平台": {
        "importance": Importance.NORMAL,
        "urls": ["https://lexue.xjnu.example"],
        "hosts": ["10.10.7.5"],
        "os": ("Ubuntu", "22.04.3 LTS"),
        "components": [
            _c(_MW, "nginx", "1.22.1"),
            _c(_RT, "Node.js", "16.20.2"),
            _c(_DB, "PostgreSQL", "12.17"),
            _c(_DB, "Redis", "7.0.11"),
            _c(_APP, "乐学平台", "2.1.0"),
        ],
        "ports": [_p(443, "https", _NET), _p(5432, "postgresql"), _p(3000, "node")],
        "deployment": "Docker Compose 单机部署。",
        "backup": "pg_dump 每日；上传的课件在 NAS。",
        "v2": ({"Node.js": "18.19.0"}, "Node.js 16 停止维护，升级到 18"),
    },
    "网络计费系统": {
        "importance": Importance.IMPORTANT,
        "urls": ["http://net.xjnu.example:8080"],
        "hosts": ["10.10.8.4"],
        "os": ("CentOS", "6.10"),
        "components": [
            _c(_MW, "Apache Tomcat", "7.0.76"),
            _c(_RT, "JDK", "1.7.0_80"),
            _c(_DB, "MySQL", "5.6.51-log"),
            _c(_LIB, "OpenSSL", "1.0.1e-fips"),
        ],
        "ports": [_p(8080, "http"), _p(1812, "radius", protocol="udp"), _p(3306, "mysql")],
        "deployment": "厂商一体机；RADIUS 认证对接核心交换机。",
        "backup": "每周配置导出；计费库每日备份到 FTP。",
        "v2": ({"Apache Tomcat": "7.0.109"}, "Tomcat 7 更新到最后版本"),
    },
    "网站群管理系统": {
        "importance": Importance.NORMAL,
        "urls": ["https://www.xjnu.example"],
        "hosts": ["10.10.9.1", "10.10.9.2", "10.10.9.3"],
        "os": ("CentOS", "7.9.2009"),
        "components": [
            _c(_MW, "nginx", "1.20.1"),
            _c(_MW, "Apache Tomcat", "8.5.100"),
            _c(_RT, "JDK", "1.8.0_202"),
            _c(_DB, "MySQL", "5.7.44-log"),
            _c(_LIB, "fastjson", "1.2.83"),
        ],
        "ports": [_p(80, "http", _NET), _p(443, "https", _NET), _p(3306, "mysql")],
        "deployment": "三台发布服务器；站群后台仅校内访问。",
        "backup": "站点静态文件每日同步到备份机；数据库每日全备。",
        "v2": ({"nginx": "1.20.2"}, "nginx 小版本更新"),
    },
}

#: 昆仑大学's own system: never visible to 新疆师范大学 (organisation isolation in the demo)
UNIV2_SYSTEMS: dict[str, dict[str, Any]] = {
    "学工系统": {
        "importance": Importance.IMPORTANT,
        "urls": ["https://xg.univ2.example"],
        "hosts": ["172.16.1.10"],
        "os": ("CentOS", "7.9.2009"),
        "components": [
            _c(_MW, "nginx", "1.20.1"),
            _c(_MW, "Apache Tomcat", "9.0.83"),
            _c(_RT, "JDK", "1.8.0_392"),
            _c(_DB, "MySQL", "8.0.35"),
        ],
        "ports": [_p(443, "https", _NET), _p(3306, "mysql")],
        "deployment": "单机部署。",
        "backup": "每日 mysqldump。",
        "v2": ({"MySQL": "8.0.36"}, "MySQL 8.0.36 安全更新"),
    },
}


def environment_of(spec: dict[str, Any]) -> dict[str, Any]:
    name, version = spec["os"]
    return {
        "os": {"name": name, "version": version},
        "components": copy.deepcopy(spec["components"]),
        "ports": copy.deepcopy(spec["ports"]),
        "deployment": spec["deployment"],
        "backup": spec["backup"],
        "notes": "",
    }


def _upgraded(data: dict[str, Any], versions: dict[str, str]) -> dict[str, Any]:
    data = copy.deepcopy(data)
    for component in data["components"]:
        component["version"] = versions.get(component["name"], component["version"])
    return data


def _system(
    project: Project, name: str, spec: dict[str, Any], actor: User, now: datetime
) -> ApplicationSystem:
    existing = ApplicationSystem.objects.filter(
        organisation_id=project.organisation_id, name=name
    ).first()
    if existing is not None:
        return existing
    system = services.system_create(
        actor=actor,
        project=project,
        name=name,
        now=now - 120 * DAY,
        importance=spec["importance"],
        owner="信息化建设与管理办公室 网络中心",
        vendor_contact=actor.pk,
        urls=spec["urls"],
        hosts=spec["hosts"],
    )
    first = environment_of(spec)
    services.environment_change(
        system_id=system.pk,
        actor=actor,
        data=first,
        reason="初始登记：服务启动时的环境调研",
        now=now - 120 * DAY,
    )
    versions, reason = spec["v2"]
    services.environment_change(
        system_id=system.pk,
        actor=actor,
        data=_upgraded(first, versions),
        reason=reason,
        now=now - 40 * DAY,
    )
    return system


def load(people: dict[str, User], projects: dict[str, Project]) -> dict[str, ApplicationSystem]:
    now = clock.now()
    engineer, engineer2 = people["engineer"], people["engineer2"]
    systems = {
        name: _system(projects["xjnu"], name, spec, engineer, now) for name, spec in SYSTEMS.items()
    }
    for name, spec in UNIV2_SYSTEMS.items():
        _system(projects["univ2"], name, spec, engineer2, now)
    if not Vulnerability.objects.exists():
        with translation.override("zh-hans"):  # the notes the services write are stored text
            _load_register(systems, people, projects, now)
    return systems


def _load_register(
    systems: dict[str, ApplicationSystem],
    people: dict[str, User],
    projects: dict[str, Project],
    now: datetime,
) -> None:
    engineer = people["engineer"]
    _vulnerabilities(engineer, now - 30 * DAY)
    _changes(systems, people, now)
    _findings(systems, people, now)
    _tickets(systems["研究生管理系统"], projects["xjnu"], engineer)


def _ref(cve: str) -> list[str]:
    return [f"https://nvd.nist.gov/vuln/detail/{cve}"]


#: (identifier, title, CVSS 3.1 base score, component, affected, fixed in)
VULNERABILITIES = [
    ("CVE-2021-23017", "nginx DNS 解析器差一错误", "7.7", "nginx", ">=0.6.18,<1.20.1", "1.20.1"),
    (
        "CVE-2022-25845",
        "fastjson autoType 绕过导致远程代码执行",
        "8.1",
        "fastjson",
        "<1.2.83",
        "1.2.83",
    ),
    ("CVE-2020-1957", "Apache Shiro 身份验证绕过", "9.8", "Apache Shiro", "<1.5.2", "1.5.2"),
    (
        "CVE-2021-44790",
        "Apache HTTP Server mod_lua 多部分解析器缓冲区溢出",
        "9.8",
        "Apache HTTP Server",
        "<=2.4.51",
        "2.4.52",
    ),
    (
        "CVE-2022-0778",
        "OpenSSL BN_mod_sqrt() 证书解析死循环",
        "7.5",
        "OpenSSL",
        ">=1.0.2,<1.0.2zd",
        "1.0.2zd",
    ),
    (
        "CVE-2023-21980",
        "MySQL 客户端程序漏洞",
        "7.1",
        "MySQL",
        "<5.7.42 || >=8.0.0,<8.0.33",
        "5.7.42",
    ),
    (
        "CVE-2022-24834",
        "Redis Lua cjson 堆溢出",
        "8.8",
        "Redis",
        ">=2.6.0,<6.0.20 || >=6.2.0,<6.2.13",
        "6.2.13",
    ),
    (
        "CVE-2022-29143",
        "Microsoft SQL Server 远程代码执行",
        "7.5",
        "Microsoft SQL Server",
        "<13.0.6435",
        "13.0.6435",
    ),
]


def _vulnerabilities(actor: User, now: datetime) -> None:
    for identifier, title, score, component, affected, fixed in VULNERABILITIES:
        vulns.vulnerability_create(
            actor=actor,
            now=now,
            identifier=identifier,
            title=title,
            cvss_score=score,
            component=component,
            affected=affected,
            fixed_version=fixed,
            references=_ref(identifier),
        )


def _plan(system: ApplicationSystem, actor: User, at: datetime, **fields: Any) -> Change:
    start = fields.pop("start")
    return changes.change_plan(
        system_id=system.pk,
        actor=actor,
        now=at,
        window_start=start,
        window_end=start + timedelta(hours=fields.pop("hours", 2)),
        **fields,
    )


def _changes(systems: dict[str, ApplicationSystem], people: dict[str, User], now: datetime) -> None:
    engineer, manager = people["engineer"], people["manager"]
    night = now.replace(hour=22, minute=0, second=0, microsecond=0)
    _completed_changes(systems, engineer, manager, now, night)
    _pending_changes(systems, engineer, manager, now, night)


def _completed_changes(
    systems: dict[str, ApplicationSystem],
    engineer: User,
    manager: User,
    now: datetime,
    night: datetime,
) -> None:
    """A done upgrade (it fixes a finding) and a temporary stop of the services."""
    done = _plan(
        systems["校级数据中心"],
        engineer,
        now - 20 * DAY,
        kind=Change.Kind.UPGRADE,
        title="fastjson 升级到 1.2.83（修复 CVE-2022-25845）",
        start=night - 16 * DAY,
        risk=Change.Risk.MEDIUM,
        rollback_plan="保留原 jar 包，回退后重启数据交换平台。",
        targets=[{"name": "fastjson", "version": "1.2.83"}],
    )
    changes.change_approve(done, manager, now=now - 19 * DAY)
    changes.change_complete(
        done, engineer, "done", "升级完成，接口回归测试通过。", now=now - 16 * DAY
    )
    stop = _plan(
        systems["网上办事服务大厅"],
        engineer,
        now - 10 * DAY,
        kind=Change.Kind.CONFIG,
        title="系统服务临时启停：配合机房 UPS 检修停止应用服务",
        start=night - 7 * DAY,
        risk=Change.Risk.LOW,
        rollback_plan="检修提前结束即恢复服务；检修延误则启用维护公告页。",
        targets=[],
        description="22:00 停止 Tomcat 与 nginx，检修完成后启动并核对登录、办事流程。",
    )
    changes.change_approve(stop, manager, now=now - 9 * DAY)
    changes.change_complete(
        stop, engineer, "done", "按计划停机 2 小时，服务已恢复。", now=now - 7 * DAY
    )


def _pending_changes(
    systems: dict[str, ApplicationSystem],
    engineer: User,
    manager: User,
    now: datetime,
    night: datetime,
) -> None:
    """An approved patch, a planned one, and an out-of-scope migration awaiting approval."""
    shiro = _plan(
        systems["统一身份认证管理系统"],
        engineer,
        now - 3 * DAY,
        kind=Change.Kind.PATCH,
        title="Apache Shiro 升级到 1.13.0",
        start=night + 3 * DAY,
        risk=Change.Risk.HIGH,
        rollback_plan="回退到 1.4.0 的部署包；CAS 登录验证通过后再开放。",
        targets=[{"name": "Apache Shiro", "version": "1.13.0"}],
    )
    changes.change_approve(shiro, manager, now=now - 2 * DAY)
    _plan(
        systems["研究生管理系统"],
        engineer,
        now - 1 * DAY,
        kind=Change.Kind.PATCH,
        title="nginx 补丁升级到 1.26.2",
        start=night + 6 * DAY,
        risk=Change.Risk.LOW,
        rollback_plan="保留 1.25.3 二进制与配置，出现异常立即切回。",
        targets=[{"name": "nginx", "version": "1.26.2"}],
    )
    _plan(
        systems["学工系统"],
        engineer,
        now - 1 * DAY,
        kind=Change.Kind.MIGRATION,
        title="学工系统迁移到学校新虚拟化平台",
        start=night + 14 * DAY,
        hours=8,
        risk=Change.Risk.HIGH,
        rollback_plan="旧服务器保留两周，DNS 切回即可恢复。",
        targets=[],
        out_of_scope=True,
        workload_hours="16",
    )


def _finding(system: ApplicationSystem, identifier: str) -> Finding:
    return Finding.objects.get(system=system, vulnerability__identifier=identifier)


def _findings(
    systems: dict[str, ApplicationSystem], people: dict[str, User], now: datetime
) -> None:
    engineer = people["engineer"]
    findings.finding_mark_fixed(
        finding_id=_finding(systems["人事系统"], "CVE-2021-44790").pk,
        actor=engineer,
        reason="红帽已在 httpd-2.4.6 的发行版补丁中回移修复（见红帽安全公告），"
        "已核对包的更新日志。",
        now=now - 25 * DAY,
    )
    findings.finding_accept(
        finding_id=_finding(systems["网络计费系统"], "CVE-2023-21980").pk,
        actor=engineer,
        reason="厂商一体机不能单独升级 MySQL；3306 端口已限制为仅计费服务器访问。",
        now=now - 20 * DAY,
    )
    ids = systems["统一身份认证管理系统"]
    findings.finding_start_fixing(
        finding_id=_finding(ids, "CVE-2020-1957").pk,
        actor=engineer,
        change_id=ids.changes.get(kind=Change.Kind.PATCH).pk,
        reason="已计划升级 Apache Shiro。",
        now=now - 3 * DAY,
    )


def _tickets(system: ApplicationSystem, project: Project, actor: User) -> None:
    """The seed's problems of the Graduate Management System name their system."""
    for ticket in Ticket.objects.filter(project=project).select_related("project"):
        ticketlink.ticket_system_set(ticket=ticket, actor=actor, system=system)
