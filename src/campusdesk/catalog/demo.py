"""Demo products and projects: the seed's Graduate Management System, and a second customer."""

from __future__ import annotations

from datetime import date

from campusdesk.accounts.demo import UNIV2, XJNU
from campusdesk.accounts.models import Organisation, User
from campusdesk.catalog.models import Product, ProductExpert, Project

PRODUCTS = {
    "gms": ("研究生管理系统", "研究生招生、培养、学位与毕业管理。"),
    "sws": ("学工系统", "学生工作管理：奖助、资助、日常事务。"),
    "ids": ("统一身份认证管理系统", "全校统一身份认证与单点登录。"),
}


def load(people: dict[str, User]) -> dict[str, Project]:
    products = {
        code: Product.objects.update_or_create(
            code=code, defaults={"name": name, "description": text}
        )[0]
        for code, (name, text) in PRODUCTS.items()
    }
    for username, tier in (("expert2", 2), ("expert3", 3), ("taskforce", 4)):
        for code in ("gms", "sws"):
            ProductExpert.objects.get_or_create(
                product=products[code], user=people[username], tier=tier
            )
    xjnu, _ = Project.objects.update_or_create(
        organisation=Organisation.objects.get(name=XJNU),
        name="研究生管理系统运维服务",
        defaults={
            "product": products["gms"],
            "service_start": date(2024, 12, 1),
            "service_end": date(2027, 11, 30),
            "service_manager": people["manager"],
        },
    )
    xjnu.line1_team.set([people["engineer"]])
    univ2, _ = Project.objects.update_or_create(
        organisation=Organisation.objects.get(name=UNIV2),
        name="学工系统运维服务",
        defaults={
            "product": products["sws"],
            "service_start": date(2025, 9, 1),
            "service_end": date(2028, 8, 31),
            "service_manager": None,
        },
    )
    univ2.line1_team.set([people["engineer2"]])
    return {"xjnu": xjnu, "univ2": univ2}
