"""A long project filter loads its options when pointed at, and filtering by one still works
(htmx in Chromium: the select's own request must not inherit the filter form's target,
selection or pushed URL)."""

from __future__ import annotations

from typing import Any

import pytest

from campusdesk.catalog.models import Project
from campusdesk.site import demo
from campusdesk.site.demo import PASSWORD
from tests.browser.test_login import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_project_filter_loads_its_options_and_filters(page: Any, settings: Any):
    settings.FILTER_INLINE_OPTIONS = 1
    demo.load()
    project = Project.objects.get(name="研究生管理系统运维服务")
    others = Project.objects.exclude(pk=project.pk).count()
    assert others >= 1
    login(page, "ops", PASSWORD)
    page.wait_for_url(f"{page.base_url}/")
    page.goto(f"{page.base_url}/tickets/")
    select = page.locator('select[name="project"]')
    assert select.locator("option").count() == 1  # only the empty choice in the page
    rows_before = page.locator("#ticket-rows tbody tr").count()
    select.hover()
    page.wait_for_function(
        "n => document.querySelectorAll('select[name=project] option').length === n",
        arg=others + 2,
    )
    assert page.url == f"{page.base_url}/tickets/"  # loading the options pushed no URL
    assert page.locator("#ticket-rows tbody tr").count() == rows_before  # nor touched rows
    select.select_option(str(project.pk))
    page.wait_for_url(f"**/tickets/?*project={project.pk}*")
    rows = page.locator("#ticket-rows tbody tr")
    assert rows.count() >= 1
    other_names = list(Project.objects.exclude(pk=project.pk).values_list("name", flat=True))
    for text in rows.all_inner_texts():
        assert project.name in text and not any(name in text for name in other_names)
    # after a reload the chosen project is the one option besides the empty choice, selected
    page.reload()
    chosen = page.locator('select[name="project"] option:checked')
    assert chosen.inner_text() == project.name
    # reaching for it again loads every option and keeps the choice
    page.locator('select[name="project"]').hover()
    page.wait_for_function(
        "n => document.querySelectorAll('select[name=project] option').length === n",
        arg=others + 2,
    )
    assert chosen.inner_text() == project.name
    assert page.url.endswith(f"project={project.pk}") or f"project={project.pk}&" in page.url
