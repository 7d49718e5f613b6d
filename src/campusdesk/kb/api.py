"""/api/v1/kb/: the case library, suggestions while registering, retrospectives."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campusdesk.core.api import path_id, query_int
from campusdesk.core.errors import PermissionDenied
from campusdesk.core.http import current_user
from campusdesk.core.text import validate_one_line
from campusdesk.kb import search, services
from campusdesk.kb.models import Article, Retrospective

#: what the library's own services keep (the version, counters, times): shown, never written
_ARTICLE_KEPT = [
    "status",
    "version",
    "source_ticket",
    "views",
    "solved_count",
    "created_at",
    "updated_at",
    "published_at",
]


class ArticleSerializer(serializers.ModelSerializer[Article]):
    product_name = serializers.CharField(source="product.name", read_only=True)

    class Meta:
        model = Article
        fields = [
            "id",
            "title",
            "symptoms",
            "cause",
            "solution",
            "product",
            "product_name",
            "versions_from",
            "versions_to",
            "tags",
            "visibility",
            *_ARTICLE_KEPT,
        ]
        read_only_fields = _ARTICLE_KEPT


class ArticleInput(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200, validators=[validate_one_line])
    symptoms = serializers.CharField(max_length=20000)
    cause = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    solution = serializers.CharField(max_length=20000)
    product = serializers.IntegerField()
    tags = serializers.ListField(
        child=serializers.CharField(max_length=30, validators=[validate_one_line]), required=False
    )
    visibility = serializers.ChoiceField(choices=Article.Visibility.choices, default="public")


class ArticleEdit(ArticleInput):
    """The fields of a case, each optional; ``note`` says what changed (kept with the version)."""

    visibility = serializers.ChoiceField(choices=Article.Visibility.choices)  # no default here
    note = serializers.CharField(
        max_length=200, required=False, allow_blank=True, validators=[validate_one_line]
    )


class FromTicketSerializer(serializers.Serializer[Any]):
    ticket = serializers.IntegerField(
        min_value=0,
        error_messages=dict.fromkeys(
            ("required", "null", "invalid", "min_value"), _("Give the problem's id.")
        ),
    )


def _valid(serializer_class: type[serializers.Serializer[Any]], request: Request) -> Any:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class ArticleViewSet(viewsets.GenericViewSet[Article]):
    """Cases: customers read the published public ones of their products; experts maintain."""

    serializer_class = ArticleSerializer

    def get_queryset(self) -> QuerySet[Article]:
        if getattr(self, "swagger_fake_view", False):
            return Article.objects.none()
        articles: QuerySet[Article] = services.visible_articles(current_user(self.request))
        return articles.select_related("product")

    @extend_schema(parameters=[OpenApiParameter("search", str), OpenApiParameter("product", int)])
    def list(self, request: Request) -> Response:
        user = current_user(request)
        query = request.query_params.get("search", "").strip()[:200]
        product = query_int(request.query_params.get("product"))
        if query:
            statuses = tuple(Article.Status.values) if user.is_vendor_staff else ("published",)
            found = search.search(query, user=user, product_id=product, limit=50, statuses=statuses)
            rows = [a for a, _score in found]
            return Response(
                {
                    "count": len(rows),
                    "next": None,
                    "previous": None,
                    "results": ArticleSerializer(rows, many=True).data,
                }
            )
        articles = self.get_queryset()
        if product is not None:
            articles = articles.filter(product_id=product)
        page = self.paginate_queryset(articles.order_by("-updated_at", "-id"))
        return self.get_paginated_response(ArticleSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        article = self.get_queryset().filter(pk=path_id(pk)).first()
        if article is None:
            return Response(status=status.HTTP_404_NOT_FOUND)
        return Response(ArticleSerializer(article).data)

    @extend_schema(request=ArticleInput, responses={201: ArticleSerializer})
    def create(self, request: Request) -> Response:
        data = dict(_valid(ArticleInput, request))
        product = data.pop("product")
        article = services.article_create(
            actor=current_user(request), product_id=product, fields=data
        )
        return Response(ArticleSerializer(article).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ArticleEdit, responses=ArticleSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        """Edit a case (the author or an expert of its product): the fields of a new case,
        each optional, and ``note``; each edit is a new version. An edit of a published case
        by someone who is not an expert of its product goes back to review (``status``
        becomes ``review``; customers no longer see it until an expert publishes it again);
        an expert's edit stays published. Customers: 403 on the cases they read, 404 on
        the others."""
        user = current_user(request)
        article = self.get_queryset().filter(pk=path_id(pk)).first()
        if article is None:
            return Response(status=status.HTTP_404_NOT_FOUND)
        if not services.may_edit(user, article):
            raise PermissionDenied(_("The author or the product's experts edit a case."))
        serializer = ArticleEdit(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        article = services.article_update(
            article_id=article.pk,
            actor=user,
            product_id=data.pop("product", None),
            note=data.pop("note", ""),
            fields=data,
        )
        return Response(ArticleSerializer(article).data)

    @extend_schema(request=None, responses=ArticleSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        article = services.article_set_status(
            article_id=path_id(pk), actor=current_user(request), status="published"
        )
        return Response(ArticleSerializer(article).data)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post"])
    def solved(self, request: Request, pk: str | None = None) -> Response:
        article = self.get_queryset().filter(pk=path_id(pk)).first()
        if article is None:
            return Response(status=status.HTTP_404_NOT_FOUND)
        services.suggestion_solved(user=current_user(request), article=article)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=FromTicketSerializer, responses={201: ArticleSerializer})
    @action(detail=False, methods=["post"], url_path="from-ticket")
    def from_ticket(self, request: Request) -> Response:
        ticket = _valid(FromTicketSerializer, request)["ticket"]
        article = services.article_from_ticket(ticket_id=ticket, actor=current_user(request))
        return Response(ArticleSerializer(article).data, status=status.HTTP_201_CREATED)


class SuggestView(APIView):
    """The best published cases for what a user is typing (top 5)."""

    @extend_schema(
        parameters=[OpenApiParameter("q", str, required=True), OpenApiParameter("product", int)],
        responses=inline_serializer(
            "Suggestion",
            {
                "id": serializers.IntegerField(),
                "title": serializers.CharField(),
                "score": serializers.FloatField(),
                "url": serializers.CharField(),
            },
            many=True,
        ),
    )
    def get(self, request: Request) -> Response:
        results = search.suggest(
            request.query_params.get("q", "")[:200],
            user=current_user(request),
            product_id=query_int(request.query_params.get("product")),
        )
        return Response(results)


class RetrospectiveSerializer(serializers.ModelSerializer[Retrospective]):
    number = serializers.CharField(source="ticket.number", read_only=True)
    title = serializers.CharField(source="ticket.title", read_only=True)

    class Meta:
        model = Retrospective
        fields = [
            "ticket",
            "number",
            "title",
            "status",
            "reason",
            "findings",
            "root_cause",
            "tags",
            "case_needed",
            "created_at",
            "done_at",
        ]
        read_only_fields = ["ticket", "status", "reason", "created_at", "done_at"]


class RetrospectiveListView(APIView):
    """Retrospectives in the user's scope; ``?status=due`` is the experts' to-do list."""

    @extend_schema(
        parameters=[OpenApiParameter("status", str)], responses=RetrospectiveSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        from campusdesk.catalog import scoping

        user = current_user(request)
        retros = scoping.scope(
            Retrospective.objects.select_related("ticket"), user, "ticket__project"
        )
        wanted = request.query_params.get("status")
        if wanted in Retrospective.Status.values:
            retros = retros.filter(status=wanted)
        return Response(
            RetrospectiveSerializer(retros.order_by("created_at")[:200], many=True).data
        )


class RetrospectiveView(APIView):
    @extend_schema(request=RetrospectiveSerializer, responses=RetrospectiveSerializer)
    def post(self, request: Request, ticket: int) -> Response:
        data = _valid(RetrospectiveSerializer, request)
        retro = services.retrospective_record(
            ticket_id=path_id(ticket),
            actor=current_user(request),
            findings=data.get("findings", ""),
            root_cause=data.get("root_cause", ""),
            tags=data.get("tags", []),
            case_needed=data.get("case_needed", False),
        )
        return Response(RetrospectiveSerializer(retro).data)


class FrequentQuery(serializers.Serializer[Any]):
    days = serializers.IntegerField(min_value=0, max_value=36500, default=90)
    min_size = serializers.IntegerField(min_value=2, max_value=5000, default=3)


class FrequentView(APIView):
    """Groups of similar closed problems of a period, for the product's experts (vendor staff)."""

    @extend_schema(
        parameters=[FrequentQuery],
        responses=inline_serializer(
            "FrequentProblem",
            {
                "product": serializers.IntegerField(),
                "product_name": serializers.CharField(),
                "size": serializers.IntegerField(),
                "terms": serializers.ListField(),
                "tickets": serializers.ListField(),
                "covered_by": serializers.IntegerField(),
            },
            many=True,
        ),
    )
    def get(self, request: Request) -> Response:
        from campusdesk.kb.frequent import frequent_problems

        user = current_user(request)
        if not user.is_vendor_staff:
            return Response(status=status.HTTP_403_FORBIDDEN)
        query = FrequentQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        groups = frequent_problems(user=user, **query.validated_data)
        return Response(
            [
                {
                    "product": g.product_id,
                    "product_name": g.product_name,
                    "size": g.size,
                    "terms": sorted(g.terms),
                    "tickets": [t.number for t in g.tickets],
                    "ticket_ids": [t.pk for t in g.tickets],
                    "covered_by": g.covered_by.pk if g.covered_by else None,
                }
                for g in groups
            ]
        )
