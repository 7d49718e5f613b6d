from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import serializers, viewsets

from campusdesk.accounts.models import Organisation
from campusdesk.catalog import scoping
from campusdesk.catalog.models import Product, Project


class ProductSerializer(serializers.ModelSerializer[Product]):
    class Meta:
        model = Product
        fields = ["id", "name", "code", "description", "is_active"]


class ProjectSerializer(serializers.ModelSerializer[Project]):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)

    class Meta:
        model = Project
        fields = [
            "id",
            "name",
            "organisation",
            "organisation_name",
            "product",
            "product_name",
            "service_start",
            "service_end",
            "service_manager",
            "hour_budget",
            "is_active",
        ]


class ProductViewSet(viewsets.ReadOnlyModelViewSet[Product]):
    """Products the user may see or file problems for."""

    serializer_class = ProductSerializer

    def get_queryset(self) -> QuerySet[Product]:
        return scoping.visible_products(self.request.user).order_by("name")


class ProjectViewSet(viewsets.ReadOnlyModelViewSet[Project]):
    """Projects (service contracts) the user may see or file problems for."""

    serializer_class = ProjectSerializer

    def get_queryset(self) -> QuerySet[Project]:
        projects = scoping.visible_projects(self.request.user)
        return projects.select_related("organisation", "product").order_by("id")


# Organisations as seen through projects: the scoping of projects decides them.
class OrganisationSerializer(serializers.ModelSerializer[Organisation]):
    class Meta:
        model = Organisation
        fields = ["id", "name", "short_name", "kind", "is_active"]


class OrganisationViewSet(viewsets.ReadOnlyModelViewSet[Organisation]):
    """Organisations the user may see: their own, and those of the projects they serve."""

    serializer_class = OrganisationSerializer

    def get_queryset(self) -> QuerySet[Organisation]:
        return scoping.visible_organisations(self.request.user).order_by("id")
