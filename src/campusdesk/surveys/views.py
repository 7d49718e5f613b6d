"""The pages of satisfaction surveys: the list (a customer's surveys to answer, the vendor's
surveys of the projects they see), a new survey with the default questions, a draft's edit
page (its dates and questions), a survey's page (a customer answers it there, then reads
the thank-you; the vendor opens and closes it), and its results.

Thin views: look up through ``surveys.services`` (another organisation's survey is a 404),
write through it, show its messages on the fields.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campusdesk.accounts.models import User
from campusdesk.core import clock
from campusdesk.core.errors import DomainError, ValidationError
from campusdesk.core.http import current_user, raise_refusal, refusal_text, show_errors
from campusdesk.surveys import selectors, services
from campusdesk.surveys.forms import (
    AnswerForm,
    QuestionFormSet,
    SurveyForm,
    question_initial,
    question_rows,
)
from campusdesk.surveys.models import Response, Status, Survey

#: the most surveys the list shows
LISTED = 200


def _survey(user: User, pk: int) -> Survey:
    try:
        return services.survey_for(user, pk)
    except DomainError as error:
        raise Http404 from error


def _run(user: User, pk: int) -> Survey:
    """A survey ``user`` runs: another organisation's is a 404, one they only read a 403."""
    survey = _survey(user, pk)
    if not services.may_run(user, survey.project):
        raise PermissionDenied
    return survey


@login_required
def survey_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    surveys = services.visible_surveys(user).select_related("project__organisation")
    if user.is_customer:
        mine = Response.objects.filter(survey=OuterRef("pk"), respondent=user)
        rows = list(surveys.annotate(answered=Exists(mine)).order_by("-opens_on", "-pk")[:LISTED])
        context: dict[str, Any] = {
            "open": [s for s in rows if s.status == Status.OPEN],
            "closed": [s for s in rows if s.status == Status.CLOSED],
        }
        return render(request, "surveys/customer_list.html", context)
    if not services.may_read(user):
        raise PermissionDenied
    counted = surveys.annotate(responded=Count("responses")).order_by("-opens_on", "-pk")
    context = {
        "surveys": counted[:LISTED],
        "may_create": services.runnable_projects(user).exists(),
    }
    return render(request, "surveys/list.html", context)


def _project_choices(user: User) -> list[tuple[int, str]]:
    projects = services.runnable_projects(user).select_related("organisation")
    return [(p.pk, f"{p.organisation.name} · {p.name}") for p in projects.order_by("name", "pk")]


@login_required
def survey_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    choices = _project_choices(user)
    if not choices:
        raise PermissionDenied
    form = SurveyForm(request.POST or None, projects=choices)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        project = services.runnable_projects(user).get(pk=data.pop("project"))
        try:
            survey = services.survey_create(actor=user, project=project, **data)
        except DomainError as error:
            raise_refusal(error)
            show_errors(form, error)
        else:
            messages.success(
                request, _("Survey drafted with the default questions; edit them, then open it.")
            )
            return redirect("surveys:edit", survey.pk)
    return render(request, "surveys/new.html", {"form": form})


@login_required
def survey_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """A draft's title, period, dates and questions, saved together."""
    user = current_user(request)
    survey = _run(user, pk)
    if survey.status != Status.DRAFT:
        messages.error(request, _("Only a draft survey is edited: this one has been opened."))
        return redirect("surveys:survey", survey.pk)
    initial = {k: getattr(survey, k) for k in ("title", "period_label", "opens_on", "closes_on")}
    form = SurveyForm(request.POST or None, initial=initial)
    questions = QuestionFormSet(
        request.POST or None,
        initial=question_initial(list(survey.questions.order_by("position"))),
        prefix="questions",
    )
    if request.method == "POST" and form.is_valid() and questions.is_valid():
        try:
            _save_draft(user, survey, form.cleaned_data, question_rows(questions))
        except DomainError as error:
            raise_refusal(error)
            show_errors(form, _naming_questions(error))
        else:
            messages.success(request, _("Survey saved."))
            return redirect("surveys:survey", survey.pk)
    return render(
        request, "surveys/edit.html", {"survey": survey, "form": form, "questions": questions}
    )


def _naming_questions(error: DomainError) -> DomainError:
    """A question's refusal (its field ``question_<n>`` is none of the form's) says which."""
    for name, problems in error.fields.items():
        if name.startswith("question_"):
            n = name.removeprefix("question_")
            error.fields[name] = [
                _("Question %(n)s: %(problem)s") % {"n": n, "problem": p} for p in problems
            ]
    return error


def _save_draft(
    user: User, survey: Survey, data: dict[str, Any], rows: list[dict[str, Any]]
) -> None:
    with transaction.atomic():  # both or neither: the services' transactions nest in this one
        services.survey_update(actor=user, survey=survey, **data)
        services.questions_set(actor=user, survey=survey, questions=rows)


@login_required
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    survey = _survey(user, pk)
    if user.is_customer:
        return _answer_page(request, user, survey)
    questions = list(survey.questions.order_by("position"))
    context = {
        "survey": survey,
        "questions": questions,
        "may_run": services.may_run(user, survey.project),
        "responses": survey.responses.count(),
    }
    return render(request, "surveys/detail.html", context)


def _answer_page(request: HttpRequest, user: User, survey: Survey) -> HttpResponse:
    """A customer's view of the survey: the form while it takes answers, else the thank-you
    (answered) or why it does not."""
    response = services.answered(survey, user)
    now = clock.now()
    taking = (
        survey.status == Status.OPEN and survey.opens_on <= services.today(now) <= survey.closes_on
    )
    questions = list(survey.questions.order_by("position"))
    form = AnswerForm(request.POST or None, questions=questions)
    if request.method == "POST" and form.is_valid():
        try:
            services.response_submit(actor=user, survey=survey, answers=form.answers(), now=now)
        except ValidationError as error:
            show_errors(form, error)
            messages.error(request, str(error))
        except DomainError as error:
            raise_refusal(error)
            messages.error(request, refusal_text(error))
            return redirect("surveys:survey", survey.pk)
        else:
            messages.success(request, _("Thank you! Your answers have been received."))
            return redirect("surveys:survey", survey.pk)
    context = {
        "survey": survey,
        "form": form,
        "response": response,
        "taking": taking and response is None,
        "required": {services.field_name(q) for q in questions if q.required},
    }
    return render(request, "surveys/answer.html", context)


@require_POST
@login_required
def survey_open(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    survey = _run(user, pk)
    try:
        services.survey_open(actor=user, survey=survey)
    except DomainError as error:
        raise_refusal(error)
        messages.error(request, refusal_text(error))
    else:
        messages.success(
            request,
            _("Survey opened: %(count)d customers were told.") % {"count": survey.invited},
        )
    return redirect("surveys:survey", survey.pk)


@require_POST
@login_required
def survey_close(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    survey = _run(user, pk)
    try:
        services.survey_close(actor=user, survey=survey)
    except DomainError as error:
        raise_refusal(error)
        messages.error(request, refusal_text(error))
    else:
        messages.success(request, _("Survey closed: it takes no more answers."))
    return redirect("surveys:survey", survey.pk)


@login_required
def survey_results(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    survey = _survey(user, pk)
    if not services.may_read(user):
        raise PermissionDenied
    return render(request, "surveys/results.html", {"results": selectors.results(survey)})
