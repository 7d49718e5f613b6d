"""The scoping layer: who sees which projects, products and organisations."""

from __future__ import annotations

import pytest

from campusdesk.accounts.models import User
from campusdesk.accounts.roles import Role
from campusdesk.catalog import scoping
from campusdesk.catalog.models import Project
from tests.factories import (
    OrganisationFactory,
    ProductExpertFactory,
    ProjectFactory,
    RegionFactory,
    UserFactory,
)

pytestmark = pytest.mark.security

XJNU = "研究生管理系统运维服务"
UNIV2 = "学工系统运维服务"


def names(user: User) -> set[str]:
    return set(scoping.visible_projects(user).values_list("name", flat=True))


@pytest.mark.parametrize(
    ("login", "expected"),
    [
        ("user", {XJNU}),
        ("user2", {UNIV2}),
        ("engineer", {XJNU}),
        ("engineer2", {UNIV2}),
        ("manager", {XJNU}),
        ("supervisor", {XJNU}),  # 新疆师范大学 is in the 西北 region, 昆仑大学 in none
        ("expert2", {XJNU, UNIV2}),  # expert of both products
        ("agent", {XJNU, UNIV2}),
        ("ops", {XJNU, UNIV2}),
        ("hq", {XJNU, UNIV2}),
        ("admin", {XJNU, UNIV2}),
    ],
)
def test_each_demo_role_sees_its_projects(people: dict[str, User], login: str, expected: set[str]):
    assert names(people[login]) == expected


def test_a_customer_never_sees_another_organisation(people: dict[str, User]):
    other = OrganisationFactory()
    ProjectFactory(organisation=other, name="别人的项目")
    assert "别人的项目" not in names(people["user"])
    assert set(scoping.visible_organisations(people["user"]).values_list("name", flat=True)) == {
        "新疆师范大学"
    }


def test_expert_sees_only_the_projects_of_their_products(db: None):
    expert = ProductExpertFactory(tier=3).user
    mine = ProjectFactory(product=expert.expert_for.get().product)
    ProjectFactory()  # another product
    assert list(scoping.visible_projects(expert)) == [mine]
    assert list(scoping.visible_products(expert)) == [mine.product]


def test_supervisor_sees_the_projects_of_their_region(db: None):
    region = RegionFactory(name="华东区域")
    inside = ProjectFactory(organisation=OrganisationFactory(region=region))
    ProjectFactory(organisation=OrganisationFactory(region=RegionFactory(name="华南区域")))
    supervisor = UserFactory(role=Role.SUPERVISOR, organisation=None, region=region)
    assert list(scoping.visible_projects(supervisor)) == [inside]


def test_a_vendor_person_in_two_capacities_sees_both_without_duplicates(db: None):
    person = UserFactory(role=Role.ENGINEER, organisation=None)
    line1 = ProjectFactory(line1_team=[person])
    managed = ProjectFactory(service_manager=person, line1_team=[person])
    expert_project = ProjectFactory()
    ProductExpertFactory(user=person, product=expert_project.product)
    ProjectFactory()
    visible = list(scoping.visible_projects(person).order_by("id"))
    assert visible == [line1, managed, expert_project]


def test_inactive_and_orphan_users_see_nothing(db: None):
    ProjectFactory()
    inactive = UserFactory(role=Role.ADMIN, is_active=False)
    orphan = UserFactory(role=Role.CUSTOMER, organisation=None)
    assert not scoping.visible_projects(inactive).exists()
    assert not scoping.visible_projects(orphan).exists()


def test_scope_filters_related_records_by_their_project(people: dict[str, User]):
    through = Project.line1_team.through.objects.all()
    mine = scoping.scope(through, people["user"], "project")
    assert {row.project.name for row in mine} == {XJNU}
    assert scoping.scope(through, people["ops"], "project").count() == through.count()
