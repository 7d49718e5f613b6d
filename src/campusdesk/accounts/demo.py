"""Demo organisations and one login per role (seed: 新疆师范大学 and its vendor)."""

from __future__ import annotations

from campusdesk.accounts.models import Organisation, Region, User
from campusdesk.accounts.roles import Role

VENDOR = "新疆电子研究所股份有限公司"
XJNU = "新疆师范大学"
UNIV2 = "昆仑大学"

#: username -> (role, organisation, display name, phone, region supervised)
PEOPLE: dict[str, tuple[Role, str, str, str, str]] = {
    "user": (Role.CUSTOMER, XJNU, "研究生院 李老师", "0991-4332001", ""),
    "user2": (Role.CUSTOMER, UNIV2, "学生处 王老师", "0931-8000002", ""),
    "agent": (Role.AGENT, VENDOR, "客服中心 赵敏", "4007-99-4007", ""),
    "engineer": (Role.ENGINEER, VENDOR, "服务工程师 陈刚", "13800000003", ""),
    "engineer2": (Role.ENGINEER, VENDOR, "服务工程师 刘洋", "13800000013", ""),
    "expert2": (Role.EXPERT2, VENDOR, "工程专家 孙涛", "13800000004", ""),
    "expert3": (Role.EXPERT3, VENDOR, "产品专家 周静", "13800000005", ""),
    "taskforce": (Role.TASKFORCE, VENDOR, "攻关小组 吴强", "13800000006", ""),
    "ops": (Role.OPS, VENDOR, "运营专员 郑丽", "13800000007", ""),
    "manager": (Role.MANAGER, VENDOR, "服务经理 马超", "13800000008", ""),
    "supervisor": (Role.SUPERVISOR, VENDOR, "区域服务主管 何峰", "13800000009", "西北区域"),
    "hq": (Role.HQ, VENDOR, "总部技术服务部 林悦", "13800000010", ""),
    "admin": (Role.ADMIN, VENDOR, "系统管理员", "13800000011", ""),
}

DOMAINS = {XJNU: "xjnu.example", UNIV2: "univ2.example", VENDOR: "vendor.example"}


def _organisations() -> dict[str, Organisation]:
    northwest, _ = Region.objects.get_or_create(name="西北区域")
    specs = {
        VENDOR: ("新疆电子研究所", Organisation.Kind.VENDOR, None),
        XJNU: ("新疆师大", Organisation.Kind.CUSTOMER, northwest),
        UNIV2: ("昆仑大学", Organisation.Kind.CUSTOMER, None),
    }
    result = {}
    for name, (short, kind, region) in specs.items():
        org, _ = Organisation.objects.update_or_create(
            name=name,
            defaults={
                "short_name": short,
                "kind": kind,
                "region": region,
                "email_domains": DOMAINS[name],
            },
        )
        result[name] = org
    return result


def load(*, password: str) -> dict[str, User]:
    organisations = _organisations()
    people = {}
    for username, (role, org_name, display, phone, region_name) in PEOPLE.items():
        user, _ = User.objects.update_or_create(
            username=username,
            defaults={
                "role": role,
                "organisation": organisations[org_name],
                "display_name": display,
                "phone": phone,
                "email": f"{username}@{DOMAINS[org_name]}",
                "region": Region.objects.get(name=region_name) if region_name else None,
                "is_staff": role == Role.ADMIN,
                "is_superuser": role == Role.ADMIN,
                "is_active": True,
            },
        )
        user.set_password(password)
        user.save(update_fields=["password"])
        people[username] = user
    return people
