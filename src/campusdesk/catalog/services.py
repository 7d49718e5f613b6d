from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campusdesk.accounts.models import Organisation, User
from campusdesk.catalog.models import Product, ProductExpert, Project
from campusdesk.core import deletion
from campusdesk.core.errors import PermissionDenied, ValidationError
from campusdesk.core.validation import checked


def product_create(*, name: str, code: str, description: str = "") -> Product:
    product = Product(name=name.strip(), code=code, description=description)
    product.full_clean()
    product.save()
    return product


def product_expert_add(*, product: Product, user: User, tier: int) -> ProductExpert:
    expert, _created = ProductExpert.objects.get_or_create(product=product, user=user, tier=tier)
    return expert


#: A project's fields an administrator writes (the admin's form, less the working calendar:
#: ``sla`` sets a project's service levels and calendar).
PROJECT_FIELDS = (
    "name",
    "organisation",
    "product",
    "service_start",
    "service_end",
    "service_manager",
    "line1_team",
    "hour_budget",
    "auto_close_days",
    "is_active",
)


PROJECTS_ONLY = gettext_lazy("Only administrators manage projects.")


def administrator_only(actor: User | None) -> None:
    """Refuse anyone but an administrator; ``actor`` None is the system itself (the demo
    loader, a management command)."""
    if actor is not None and not actor.is_administrator:
        raise PermissionDenied(PROJECTS_ONLY)


def _refuse(field: str, message: str) -> ValidationError:
    return ValidationError(message, fields={field: [message]})


def _project_rules(project: Project, team: list[User] | None) -> None:
    """What the model cannot say: a customer's project, served by the vendor's staff, over
    a period that ends on or after its start."""
    if project.organisation_id is not None and (
        project.organisation.kind != Organisation.Kind.CUSTOMER
    ):
        raise _refuse("organisation", _("A project belongs to a customer organisation."))
    if (
        project.service_start
        and project.service_end
        and project.service_end < project.service_start
    ):
        raise _refuse("service_end", _("The service period must end on or after its start."))
    manager = project.service_manager
    if manager is not None and not manager.is_vendor_staff:
        raise _refuse("service_manager", _("Choose a member of the vendor's staff."))
    if team is not None and any(not member.is_vendor_staff for member in team):
        raise _refuse("line1_team", _("Choose a member of the vendor's staff."))


@transaction.atomic
def project_create(
    *,
    actor: User | None = None,
    name: str,
    organisation: Organisation,
    product: Product,
    service_start: date,
    service_end: date,
    service_manager: User | None = None,
    line1_team: Iterable[User] = (),
    hour_budget: Decimal | None = None,
    auto_close_days: int | None = None,
    is_active: bool = True,
) -> Project:
    administrator_only(actor)
    project = Project(
        name=name.strip(),
        organisation=organisation,
        product=product,
        service_start=service_start,
        service_end=service_end,
        service_manager=service_manager,
        hour_budget=hour_budget,
        auto_close_days=auto_close_days,
        is_active=is_active,
    )
    team = list(line1_team)
    _project_rules(project, team)
    checked(project)
    project.save()
    project.line1_team.set(team)
    return project


@transaction.atomic
def project_update(*, actor: User, project: Project, data: dict[str, Any]) -> Project:
    """Change the given fields, checked as the admin's form checks them. A project with
    problems keeps its organisation and product: its problems' scoping depends on them."""
    administrator_only(actor)
    values = {name: data[name] for name in PROJECT_FIELDS if name in data}
    team = list(values.pop("line1_team")) if "line1_team" in values else None
    if "name" in values:
        values["name"] = str(values["name"]).strip()
    moved = [
        name
        for name in ("organisation", "product")
        if name in values and values[name].pk != getattr(project, f"{name}_id")
    ]
    if moved and project.tickets.exists():
        message = _("A project with problems keeps its organisation and product.")
        raise _refuse(moved[0], message)
    for name, value in values.items():
        setattr(project, name, value)
    _project_rules(project, team)
    checked(project)
    project.save()
    if team is not None:
        project.line1_team.set(team)
    return project


def project_delete(*, actor: User, project: Project) -> None:
    """Only a project nothing refers to (one made by mistake); else 409: deactivate it."""
    administrator_only(actor)
    deletion.delete_unreferenced(project)
