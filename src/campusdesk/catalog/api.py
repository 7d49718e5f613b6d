"""/api/v1/products/, /api/v1/projects/ and /api/v1/organisations/: what the caller may see;
administrators also create (POST) and change (PATCH) projects and organisations, and delete
one that nothing refers to yet (else 409: deactivate it with ``is_active``).

Writes go through ``catalog.services`` and ``accounts.services`` with the admin's checks.
One outside the caller's scope is not there (404); a non-administrator is refused (403).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from campusdesk.accounts import services as accounts
from campusdesk.accounts.models import Organisation, Region, User
from campusdesk.catalog import scoping, services
from campusdesk.catalog.models import Product, Project
from campusdesk.core.api import IdField, path_id
from campusdesk.core.errors import NotFound
from campusdesk.core.http import current_user


def reference(model: type[Model], **kwargs: Any) -> serializers.PrimaryKeyRelatedField[Any]:
    """An id of ``model`` in a request body (at most a bigint: a larger one is a 400)."""
    return serializers.PrimaryKeyRelatedField(
        queryset=model._default_manager.all(), pk_field=IdField(), **kwargs
    )


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


class ProjectDetailSerializer(ProjectSerializer):
    """One project: also its line-1 team and its auto-close setting."""

    line1_team: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )

    class Meta(ProjectSerializer.Meta):
        fields = [*ProjectSerializer.Meta.fields, "line1_team", "auto_close_days"]


class ProjectInput(serializers.Serializer[Any]):
    """A project as an administrator writes it (the admin's fields; the working calendar and
    service levels are set at ``/api/v1/projects/{id}/sla/``)."""

    name = serializers.CharField(max_length=200)
    organisation = reference(Organisation, help_text="A customer organisation.")
    product = reference(Product)
    service_start = serializers.DateField()
    service_end = serializers.DateField(help_text="On or after the start.")
    service_manager = reference(
        User, required=False, allow_null=True, help_text="One of the vendor's staff."
    )
    line1_team = reference(
        User, many=True, required=False, help_text="The line-1 engineers (the vendor's staff)."
    )
    hour_budget = serializers.DecimalField(
        max_digits=8,
        decimal_places=1,
        required=False,
        allow_null=True,
        help_text="Service hours the contract buys; null: no budget.",
    )
    auto_close_days = serializers.IntegerField(
        min_value=0,
        max_value=32767,
        required=False,
        allow_null=True,
        help_text="Working days before a waiting closure closes itself; null: never.",
    )
    is_active = serializers.BooleanField(required=False)


def _given(serializer: type[serializers.Serializer[Any]], request: Request) -> dict[str, Any]:
    given = serializer(data=request.data, partial=request.method == "PATCH")
    given.is_valid(raise_exception=True)
    return dict(given.validated_data)


def _one(rows: QuerySet[Any], pk: Any) -> Any:
    row = rows.filter(pk=path_id(pk)).first()
    if row is None:
        raise NotFound()
    return row


class ProductViewSet(viewsets.ReadOnlyModelViewSet[Product]):
    """Products the user may see or file problems for."""

    serializer_class = ProductSerializer

    def get_queryset(self) -> QuerySet[Product]:
        return scoping.visible_products(self.request.user).order_by("name")


class ProjectViewSet(viewsets.ReadOnlyModelViewSet[Project]):
    """Projects (service contracts) the user may see or file problems for; administrators
    create, change and delete them."""

    serializer_class = ProjectSerializer

    def get_queryset(self) -> QuerySet[Project]:
        projects = scoping.visible_projects(self.request.user)
        return projects.select_related("organisation", "product").order_by("id")

    @extend_schema(responses=ProjectDetailSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(ProjectDetailSerializer(_one(self.get_queryset(), kwargs["pk"])).data)

    @extend_schema(request=ProjectInput, responses={201: ProjectDetailSerializer})
    def create(self, request: Request) -> Response:
        user = current_user(request)
        services.administrator_only(user)
        project = services.project_create(actor=user, **_given(ProjectInput, request))
        return Response(ProjectDetailSerializer(project).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ProjectInput, responses=ProjectDetailSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        user, project = current_user(request), _one(self.get_queryset(), pk)
        services.administrator_only(user)
        data = _given(ProjectInput, request)
        project = services.project_update(actor=user, project=project, data=data)
        return Response(ProjectDetailSerializer(project).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: Any = None) -> Response:
        user, project = current_user(request), _one(self.get_queryset(), pk)
        services.project_delete(actor=user, project=project)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Organisations as seen through projects: the scoping of projects decides them.
class OrganisationSerializer(serializers.ModelSerializer[Organisation]):
    class Meta:
        model = Organisation
        fields = ["id", "name", "short_name", "kind", "region", "email_domains", "is_active"]


class OrganisationInput(serializers.Serializer[Any]):
    """An organisation as an administrator writes it (the admin's fields)."""

    name = serializers.CharField(max_length=200)
    short_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=Organisation.Kind.choices, required=False)
    region = reference(Region, required=False, allow_null=True)
    email_domains = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        help_text="Comma-separated domains whose mail is trusted for this organisation.",
    )
    is_active = serializers.BooleanField(required=False)


class OrganisationViewSet(viewsets.ReadOnlyModelViewSet[Organisation]):
    """Organisations the user may see: their own, and those of the projects they serve;
    administrators create, change and delete them."""

    serializer_class = OrganisationSerializer

    def get_queryset(self) -> QuerySet[Organisation]:
        return scoping.visible_organisations(self.request.user).order_by("id")

    @extend_schema(request=OrganisationInput, responses={201: OrganisationSerializer})
    def create(self, request: Request) -> Response:
        user = current_user(request)
        accounts.administrator_only(user, accounts.ORGANISATIONS_ONLY)
        organisation = accounts.organisation_create(
            actor=user, **_given(OrganisationInput, request)
        )
        return Response(OrganisationSerializer(organisation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=OrganisationInput, responses=OrganisationSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        user, organisation = current_user(request), _one(self.get_queryset(), pk)
        accounts.administrator_only(user, accounts.ORGANISATIONS_ONLY)
        organisation = accounts.organisation_update(
            actor=user, organisation=organisation, data=_given(OrganisationInput, request)
        )
        return Response(OrganisationSerializer(organisation).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: Any = None) -> Response:
        user, organisation = current_user(request), _one(self.get_queryset(), pk)
        accounts.organisation_delete(actor=user, organisation=organisation)
        return Response(status=status.HTTP_204_NO_CONTENT)
