"""Who may see what: the one scoping layer every query of customer data goes through.

A customer sees the projects of their own organisation. Vendor staff see the
projects they serve: line 1 the projects whose team they are in, experts the
projects of their products, a service manager the projects they manage, a
regional supervisor the projects of customers in their region. The service
desk, operations, HQ and administrators see every project.

Records that belong to a project are scoped through ``scope()`` with the path
from the record to its project, so a new model needs no new rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from django.db.models import Model, Q, QuerySet

from campusdesk.accounts.models import Organisation
from campusdesk.accounts.roles import ALL_PROJECT_ROLES, Role
from campusdesk.catalog.models import Product, ProductExpert, Project

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from campusdesk.accounts.models import User

M = TypeVar("M", bound=Model)


def sees_all_projects(user: User | AnonymousUser) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.role in ALL_PROJECT_ROLES)
    )


def _vendor_project_filter(user: User) -> Q:
    expert_products = ProductExpert.objects.filter(user=user).values("product_id")
    line1 = Project.line1_team.through.objects.filter(user_id=user.pk).values("project_id")
    rule = Q(id__in=line1) | Q(product_id__in=expert_products) | Q(service_manager_id=user.pk)
    if user.role == Role.SUPERVISOR and user.region_id is not None:
        rule |= Q(organisation__region_id=user.region_id)
    return rule


def visible_projects(user: User | AnonymousUser) -> QuerySet[Project]:
    """The projects whose records ``user`` may see."""
    projects = Project.objects.all()
    if not user.is_authenticated or not user.is_active:
        return projects.none()
    if sees_all_projects(user):
        return projects
    if user.role == Role.CUSTOMER:
        if user.organisation_id is None:
            return projects.none()
        return projects.filter(organisation_id=user.organisation_id)
    return projects.filter(_vendor_project_filter(user))


def visible_products(user: User | AnonymousUser) -> QuerySet[Product]:
    """Products the user may see: those of their visible projects, and their own expertise."""
    if sees_all_projects(user):
        return Product.objects.all()
    if not user.is_authenticated:
        return Product.objects.none()
    rule = Q(id__in=visible_projects(user).values("product_id"))
    if user.role != Role.CUSTOMER:
        rule |= Q(id__in=ProductExpert.objects.filter(user=user).values("product_id"))
    return Product.objects.filter(rule)


def visible_organisations(user: User | AnonymousUser) -> QuerySet[Organisation]:
    """Organisations the user may see: their own and those of their visible projects."""
    if sees_all_projects(user):
        return Organisation.objects.all()
    if not user.is_authenticated:
        return Organisation.objects.none()
    rule = Q(id__in=visible_projects(user).values("organisation_id"))
    if user.organisation_id is not None:
        rule |= Q(id=user.organisation_id)
    return Organisation.objects.filter(rule)


def scope(queryset: QuerySet[M], user: User | AnonymousUser, project_path: str) -> QuerySet[M]:
    """``queryset`` limited to records whose project (at ``project_path``) ``user`` may see."""
    if sees_all_projects(user):
        return queryset
    return queryset.filter(**{f"{project_path}__in": visible_projects(user)})
