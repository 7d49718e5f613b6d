"""Logins against guessing (issue 23 §1): fifty guesses at once still lock the account, the
right password included afterwards; a wrong password and an unknown user get the very same
answer (no enumeration), on the web and through the API; a login and a password change give
the browser a new session key (no fixation)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from campusdesk.accounts.models import User
from campusdesk.site.demo import PASSWORD
from tests.accounts.test_auth import TOKEN_URL
from tests.tickets.test_concurrency import together

pytestmark = pytest.mark.security


@pytest.mark.django_db(transaction=True)
def test_fifty_guesses_at_once_still_lock_the_account(customer: User, settings: Any):
    def guess(i: int) -> int:
        body = {"username": "user", "password": f"guess-{i}"}
        return int(APIClient().post(TOKEN_URL, body, format="json").status_code)

    answers = Counter(together(50, guess))
    assert set(answers) <= {400, 429}, answers  # never a token, never an error
    # every guess was counted: the locked answers and the refused ones make the fifty
    assert answers[429] >= 50 - 2 * settings.AXES_FAILURE_LIMIT, answers
    right = APIClient().post(TOKEN_URL, {"username": "user", "password": PASSWORD}, format="json")
    assert right.status_code == 429 and "token" not in right.json()
    web = Client().post(reverse("accounts:login"), {"username": "user", "password": PASSWORD})
    assert web.status_code == 429


@pytest.mark.django_db
def test_a_wrong_password_and_an_unknown_user_answer_alike(customer: User):
    api = APIClient()
    wrong = api.post(TOKEN_URL, {"username": "user", "password": "x"}, format="json")
    nobody = api.post(TOKEN_URL, {"username": "no-such-user", "password": "x"}, format="json")
    assert (wrong.status_code, wrong.json()) == (nobody.status_code, nobody.json())
    page = Client()
    known = page.post(reverse("accounts:login"), {"username": "user", "password": "x"})
    unknown = page.post(reverse("accounts:login"), {"username": "no-such-user", "password": "x"})
    assert known.status_code == unknown.status_code == 200

    def error(response: Any) -> str:
        return str(response.context["form"].non_field_errors())

    assert error(known) == error(unknown) and error(known)


@pytest.mark.django_db
def test_a_login_and_a_password_change_give_a_new_session_key(customer: User, settings: Any):
    client = Client()
    session = client.session  # an anonymous session, as one an attacker could plant
    session["planted"] = True
    session.save()
    planted = session.session_key
    client.cookies[settings.SESSION_COOKIE_NAME] = planted
    done = client.post(reverse("accounts:login"), {"username": "user", "password": PASSWORD})
    assert done.status_code == 302
    signed_in = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert signed_in and signed_in != planted
    url = reverse("accounts:password_change")
    new = "Campus-Desk-2026!"
    changed = client.post(
        url, {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert changed.status_code == 302, changed.content[:300]
    assert client.cookies[settings.SESSION_COOKIE_NAME].value not in ("", signed_in)
    assert client.get("/").status_code == 200  # still signed in, with the new key
