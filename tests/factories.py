"""factory_boy factories for the foundation models."""

from __future__ import annotations

from datetime import date

import factory
from factory.django import DjangoModelFactory

from campusdesk.accounts.models import Organisation, Region, User
from campusdesk.accounts.roles import Role
from campusdesk.catalog.models import Product, ProductExpert, Project


class RegionFactory(DjangoModelFactory[Region]):
    class Meta:
        model = Region
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"区域{n}")


class OrganisationFactory(DjangoModelFactory[Organisation]):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"测试大学{n}")
    kind = Organisation.Kind.CUSTOMER


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.edu.cn")
    role = Role.CUSTOMER
    organisation = factory.SubFactory(OrganisationFactory)
    password = factory.django.Password("campusdesk")


class ProductFactory(DjangoModelFactory[Product]):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"产品{n}")
    code = factory.Sequence(lambda n: f"p{n}")


class ProjectFactory(DjangoModelFactory[Project]):
    class Meta:
        model = Project
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"运维项目{n}")
    organisation = factory.SubFactory(OrganisationFactory)
    product = factory.SubFactory(ProductFactory)
    service_start = date(2026, 1, 1)
    service_end = date(2027, 12, 31)

    @factory.post_generation
    def line1_team(self, create: bool, extracted: list[User] | None, **kwargs: object) -> None:
        if create and extracted:
            self.line1_team.set(extracted)


class ProductExpertFactory(DjangoModelFactory[ProductExpert]):
    class Meta:
        model = ProductExpert

    product = factory.SubFactory(ProductFactory)
    user = factory.SubFactory(UserFactory, role=Role.EXPERT2)
    tier = 2
