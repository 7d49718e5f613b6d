"""The admin's permission pickers (a group's, a user's) name permissions in the active language."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.test import RequestFactory
from django.utils import translation

from campusdesk.accounts.admin import permission_label
from campusdesk.accounts.models import User


@pytest.mark.parametrize(("model", "field"), [(Group, "permissions"), (User, "user_permissions")])
def test_the_permission_pickers_name_permissions_in_the_active_language(
    people: dict[str, User], model: type, field: str
):
    request = RequestFactory().get("/admin/")
    request.user = people["admin"]
    obj = people["user"] if model is User else None  # a user's add form has no permissions
    form = admin.site._registry[model].get_form(request, obj)
    picker = form.base_fields[field]
    permission = Permission.objects.get(codename="add_organisation")
    with translation.override("zh-hans"):
        label = picker.label_from_instance(permission)
        assert label == permission_label(permission)
        assert "可添加" in label
