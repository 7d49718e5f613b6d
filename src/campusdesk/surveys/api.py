"""/api/v1/surveys/: satisfaction surveys, their questions, a customer's answers, results.

Thin views over ``surveys.services``: a survey is looked up through what the user sees
(another organisation's is not there: 404), the domain errors become 400/403/404/409.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campusdesk.catalog import scoping
from campusdesk.core.api import IdField, paged, path_id, query_choice, query_int, valid
from campusdesk.core.errors import NotFound, PermissionDenied, ValidationError
from campusdesk.core.http import current_user
from campusdesk.surveys import selectors, services
from campusdesk.surveys.models import Answer, Question, QuestionKind, Status, Survey
from campusdesk.surveys.models import Response as SurveyResponse


class SurveyQuestionSerializer(serializers.ModelSerializer[Question]):
    class Meta:
        model = Question
        fields = ["id", "position", "text", "kind", "options", "required"]
        read_only_fields = fields


class SurveySerializer(serializers.ModelSerializer[Survey]):
    questions = SurveyQuestionSerializer(many=True, read_only=True)

    class Meta:
        model = Survey
        fields = [
            "id",
            "project",
            "title",
            "period_label",
            "opens_on",
            "closes_on",
            "status",
            "invited",
            "created_at",
            "opened_at",
            "closed_at",
            "questions",
        ]
        read_only_fields = fields


class SurveyQuestionInput(serializers.Serializer[Any]):
    text = serializers.CharField(max_length=300)
    kind = serializers.ChoiceField(choices=QuestionKind.choices)
    options = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        default=list,
        help_text="A choice question's options (2–12), in order; ignored for other kinds.",
    )
    # declared fields are taken off the class (DRF's metaclass): no clash with Field.required
    required = serializers.BooleanField(required=False, default=True)  # type: ignore[assignment]


class SurveyInput(serializers.Serializer[Any]):
    project = IdField(help_text="The service contract (project) surveyed.")
    title = serializers.CharField(max_length=200)
    period_label = serializers.CharField(max_length=100, help_text="E.g. 2026 秋季学期.")
    opens_on = serializers.DateField(help_text="Opened by the scheduler on this day.")
    closes_on = serializers.DateField(help_text="Closed after this day.")
    questions = SurveyQuestionInput(
        many=True, required=False, help_text="Empty: the default questions."
    )


class SurveyQuestionsInput(serializers.Serializer[Any]):
    questions = SurveyQuestionInput(many=True)


class SurveyAnswerInput(serializers.Serializer[Any]):
    question = IdField()
    rating = serializers.IntegerField(
        required=False, allow_null=True, help_text="A rating question: 1–5."
    )
    choice = serializers.CharField(
        required=False, allow_blank=True, help_text="A choice question: one of its options."
    )
    text = serializers.CharField(
        required=False, allow_blank=True, help_text="A free-text question: at most 2000 chars."
    )


class SurveyResponseInput(serializers.Serializer[Any]):
    answers = SurveyAnswerInput(many=True)


class SurveyAnswerSerializer(serializers.ModelSerializer[Answer]):
    class Meta:
        model = Answer
        fields = ["question", "rating", "choice", "text"]
        read_only_fields = fields


class SurveyResponseSerializer(serializers.ModelSerializer[SurveyResponse]):
    answers = SurveyAnswerSerializer(many=True, read_only=True)

    class Meta:
        model = SurveyResponse
        fields = ["id", "survey", "submitted_at", "answers"]
        read_only_fields = fields


ResultsSerializer = inline_serializer(
    "SurveyResults",
    {
        "survey": serializers.IntegerField(),
        "status": serializers.ChoiceField(choices=Status.choices),
        "responses": serializers.IntegerField(),
        "invited": serializers.IntegerField(),
        "response_rate": serializers.IntegerField(allow_null=True, help_text="Percent."),
        "average": serializers.FloatField(allow_null=True),
        "questions": inline_serializer(
            "SurveyQuestionResult",
            {
                "id": serializers.IntegerField(),
                "text": serializers.CharField(),
                "kind": serializers.ChoiceField(choices=QuestionKind.choices),
                "answers": serializers.IntegerField(),
                "average": serializers.FloatField(allow_null=True),
                "distribution": inline_serializer(
                    "SurveyBar",
                    {
                        "label": serializers.CharField(),
                        "count": serializers.IntegerField(),
                        "percent": serializers.IntegerField(),
                    },
                    many=True,
                ),
                "texts": serializers.ListField(child=serializers.CharField()),
            },
            many=True,
        ),
    },
)


def _survey(request: Request, pk: Any) -> Survey:
    return services.survey_for(current_user(request), path_id(pk))


def _with_questions(survey: Survey) -> dict[str, Any]:
    fresh = Survey.objects.prefetch_related("questions").get(pk=survey.pk)
    return dict(SurveySerializer(fresh).data)


class SurveysView(APIView):
    """The surveys the user sees (customers: their organisation's, once opened); the
    project's service manager, operations and administrators draft one with POST."""

    @extend_schema(
        operation_id="surveys_list",
        parameters=[
            OpenApiParameter("project", int),
            OpenApiParameter("status", str, enum=Status.values),
        ],
        responses=SurveySerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        surveys = services.visible_surveys(current_user(request)).prefetch_related("questions")
        project = query_int(request.query_params.get("project"))
        state = query_choice(
            request.query_params.get("status"),
            Status.values,
            "status",
            _("Choose one of the states."),
        )
        if project is not None:
            surveys = surveys.filter(project=project)
        if state:
            surveys = surveys.filter(status=state)
        return paged(surveys.order_by("-opens_on", "-pk"), request, SurveySerializer)

    @extend_schema(
        operation_id="surveys_create", request=SurveyInput, responses={201: SurveySerializer}
    )
    def post(self, request: Request) -> Response:
        user = current_user(request)
        data = valid(SurveyInput, request)
        project = scoping.visible_projects(user).filter(pk=data.pop("project")).first()
        if project is None:
            raise NotFound(_("No such project."))
        survey = services.survey_create(actor=user, project=project, **data)
        return Response(_with_questions(survey), status=status.HTTP_201_CREATED)


class SurveyView(APIView):
    """One survey with its questions."""

    @extend_schema(operation_id="surveys_retrieve", responses=SurveySerializer)
    def get(self, request: Request, pk: Any) -> Response:
        return Response(_with_questions(_survey(request, pk)))


class SurveyQuestionsView(APIView):
    """Replace a draft survey's questions (in the order given)."""

    @extend_schema(
        operation_id="surveys_questions_update",
        request=SurveyQuestionsInput,
        responses=SurveySerializer,
    )
    def put(self, request: Request, pk: Any) -> Response:
        survey = _survey(request, pk)
        data = valid(SurveyQuestionsInput, request)
        services.questions_set(
            actor=current_user(request), survey=survey, questions=data["questions"]
        )
        return Response(_with_questions(survey))


class SurveyOpenView(APIView):
    """Open the draft survey now and tell the organisation's customers (409: not a draft)."""

    @extend_schema(operation_id="surveys_open", request=None, responses=SurveySerializer)
    def post(self, request: Request, pk: Any) -> Response:
        survey = services.survey_open(actor=current_user(request), survey=_survey(request, pk))
        return Response(_with_questions(survey))


class SurveyCloseView(APIView):
    """Close the open survey now (409: not open)."""

    @extend_schema(operation_id="surveys_close", request=None, responses=SurveySerializer)
    def post(self, request: Request, pk: Any) -> Response:
        survey = services.survey_close(actor=current_user(request), survey=_survey(request, pk))
        return Response(_with_questions(survey))


def _answers(rows: list[dict[str, Any]]) -> dict[int, Any]:
    found: dict[int, Any] = {}
    for row in rows:
        if row["question"] in found:
            message = _("Answer each question once.")
            raise ValidationError(message, fields={"answers": [message]})
        value = row.get("rating")
        if value is None:
            value = row.get("choice") or row.get("text")
        found[row["question"]] = value
    return found


class SurveyResponsesView(APIView):
    """A customer of the survey's organisation answers it, once, while it is open (409:
    closed or answered already; 400: an answer missing or invalid, nothing kept)."""

    @extend_schema(
        operation_id="surveys_responses_create",
        request=SurveyResponseInput,
        responses={201: SurveyResponseSerializer},
    )
    def post(self, request: Request, pk: Any) -> Response:
        survey = _survey(request, pk)
        data = valid(SurveyResponseInput, request)
        response = services.response_submit(
            actor=current_user(request), survey=survey, answers=_answers(data["answers"])
        )
        fresh = SurveyResponse.objects.prefetch_related("answers").get(pk=response.pk)
        return Response(SurveyResponseSerializer(fresh).data, status=status.HTTP_201_CREATED)


class SurveyResultsView(APIView):
    """The survey's figures (vendor staff who read surveys): responses and response rate,
    each rating question's average and distribution, choices' counts, free-text answers."""

    @extend_schema(operation_id="surveys_results", responses=ResultsSerializer)
    def get(self, request: Request, pk: Any) -> Response:
        survey = _survey(request, pk)
        if not services.may_read(current_user(request)):
            raise PermissionDenied(_("The results are read by the vendor's service managers."))
        found = selectors.results(survey)
        return Response(
            {
                "survey": survey.pk,
                "status": survey.status,
                "responses": found.responses,
                "invited": found.invited,
                "response_rate": found.rate,
                "average": found.average,
                "questions": [
                    {
                        "id": row.question.pk,
                        "text": row.question.text,
                        "kind": row.question.kind,
                        "answers": row.answers,
                        "average": row.average,
                        "distribution": [
                            {"label": b.label, "count": b.count, "percent": b.percent}
                            for b in row.distribution
                        ],
                        "texts": row.texts,
                    }
                    for row in found.questions
                ],
            }
        )


urlpatterns = [
    path("surveys/", SurveysView.as_view(), name="surveys-list"),
    path("surveys/<str:pk>/", SurveyView.as_view(), name="surveys-detail"),
    path("surveys/<str:pk>/questions/", SurveyQuestionsView.as_view(), name="surveys-questions"),
    path("surveys/<str:pk>/open/", SurveyOpenView.as_view(), name="surveys-open"),
    path("surveys/<str:pk>/close/", SurveyCloseView.as_view(), name="surveys-close"),
    path("surveys/<str:pk>/responses/", SurveyResponsesView.as_view(), name="surveys-responses"),
    path("surveys/<str:pk>/results/", SurveyResultsView.as_view(), name="surveys-results"),
]
