from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import transaction

from campusdesk.accounts.models import Organisation, User
from campusdesk.catalog.models import Product, ProductExpert, Project


def product_create(*, name: str, code: str, description: str = "") -> Product:
    product = Product(name=name.strip(), code=code, description=description)
    product.full_clean()
    product.save()
    return product


def product_expert_add(*, product: Product, user: User, tier: int) -> ProductExpert:
    expert, _created = ProductExpert.objects.get_or_create(product=product, user=user, tier=tier)
    return expert


@transaction.atomic
def project_create(
    *,
    name: str,
    organisation: Organisation,
    product: Product,
    service_start: date,
    service_end: date,
    service_manager: User | None = None,
    line1_team: Iterable[User] = (),
) -> Project:
    project = Project(
        name=name.strip(),
        organisation=organisation,
        product=product,
        service_start=service_start,
        service_end=service_end,
        service_manager=service_manager,
    )
    project.full_clean()
    project.save()
    project.line1_team.set(list(line1_team))
    return project
