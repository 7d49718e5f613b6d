"""The roster page's swaps and hand-over notes as people use them: the engineer on a coming
shift asks a colleague to take it, the colleague sees the request and takes it over (or
declines), nobody else may answer; the person on the shift writes its hand-over notes;
a customer finds none of it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from campusdesk.core import clock
from campusdesk.duty.models import Shift, Swap
from tests.helpers import web_client_for


@pytest.fixture
def night(people, project) -> Shift:
    """The engineer's coming night shift for 研究生管理系统运维服务."""
    now = clock.now()
    shift = Shift.objects.create(
        user=people["engineer"],
        starts_at=now + timedelta(hours=2),
        ends_at=now + timedelta(hours=14),
        created_at=now,
    )
    shift.projects.set([project])
    return shift


def _ask(people, night) -> Swap:
    answer = web_client_for(people["engineer"]).post(
        f"/duty/shifts/{night.pk}/swap/", {"to_user": people["expert2"].pk, "reason": "家中有事"}
    )
    assert answer.status_code == 302 and answer["Location"] == f"/duty/#shift-{night.pk}"
    return Swap.objects.get(shift=night)


def test_a_swap_is_asked_and_the_colleague_takes_the_shift(people, night):
    engineer = web_client_for(people["engineer"])
    page = engineer.get("/duty/").content.decode()
    assert f'action="/duty/shifts/{night.pk}/swap/"' in page
    swap = _ask(people, night)
    assert (swap.from_user, swap.to_user, swap.reason) == (
        people["engineer"],
        people["expert2"],
        "家中有事",
    )
    assert swap.status == Swap.Status.ASKED
    night.refresh_from_db()
    assert night.user == people["engineer"]  # not before the colleague agrees
    assert f'action="/duty/shifts/{night.pk}/swap/"' not in engineer.get("/duty/").content.decode()

    colleague = web_client_for(people["expert2"])
    page = colleague.get("/duty/").content.decode()
    assert 'id="swaps-asked"' in page and f'action="/duty/swaps/{swap.pk}/answer/"' in page
    assert "家中有事" in page
    answer = colleague.post(f"/duty/swaps/{swap.pk}/answer/", {"accept": "1"})
    assert answer.status_code == 302 and answer["Location"] == f"/duty/#shift-{night.pk}"
    night.refresh_from_db()
    swap.refresh_from_db()
    assert night.user == people["expert2"] and swap.status == Swap.Status.AGREED
    assert 'id="swaps-asked"' not in colleague.get("/duty/").content.decode()


def test_a_colleague_declines_and_the_shift_stays(people, night):
    swap = _ask(people, night)
    web_client_for(people["expert2"]).post(f"/duty/swaps/{swap.pk}/answer/", {"accept": "0"})
    night.refresh_from_db()
    swap.refresh_from_db()
    assert night.user == people["engineer"] and swap.status == Swap.Status.DECLINED


def test_nobody_else_answers_a_swap_or_hands_over_anothers_shift(people, night):
    swap = _ask(people, night)
    third = web_client_for(people["expert3"])
    answer = third.post(f"/duty/swaps/{swap.pk}/answer/", {"accept": "1"}, follow=True)
    assert "只有被申请的同事可以答复换班" in answer.content.decode()
    night.refresh_from_db()
    swap.refresh_from_db()
    assert night.user == people["engineer"] and swap.status == Swap.Status.ASKED
    asked = third.post(
        f"/duty/shifts/{night.pk}/swap/", {"to_user": people["expert3"].pk}, follow=True
    )
    assert "只有值班人本人可以申请换班" in asked.content.decode()
    assert Swap.objects.count() == 1


def test_a_swap_needs_a_colleague_and_a_shift_not_over(people, night):
    engineer = web_client_for(people["engineer"])
    answer = engineer.post(f"/duty/shifts/{night.pk}/swap/", {"to_user": ""}, follow=True)
    assert "请选择一位同事" in answer.content.decode()
    itself = engineer.post(
        f"/duty/shifts/{night.pk}/swap/", {"to_user": people["engineer"].pk}, follow=True
    )
    assert "请选择一位同事" in itself.content.decode()
    now = clock.now()
    Shift.objects.filter(pk=night.pk).update(
        starts_at=now - timedelta(hours=10), ends_at=now - timedelta(hours=1)
    )
    engineer.post(f"/duty/shifts/{night.pk}/swap/", {"to_user": people["expert2"].pk})
    assert not Swap.objects.exists()


def test_the_person_on_the_shift_writes_its_hand_over_notes(people, night):
    engineer = web_client_for(people["engineer"])
    assert f'action="/duty/shifts/{night.pk}/handover/"' in engineer.get("/duty/").content.decode()
    answer = engineer.post(
        f"/duty/shifts/{night.pk}/handover/", {"note": "  02:00 备份任务需盯守\n主库磁盘 78%  "}
    )
    assert answer.status_code == 302 and answer["Location"] == f"/duty/#shift-{night.pk}"
    night.refresh_from_db()
    assert night.handover == "02:00 备份任务需盯守\n主库磁盘 78%"
    page = engineer.get("/duty/").content.decode()
    row = page[page.index(f'id="shift-{night.pk}"') :].split("</tr>")[0]
    assert "02:00 备份任务需盯守<br>主库磁盘 78%" in row

    other = web_client_for(people["expert2"])
    assert f'action="/duty/shifts/{night.pk}/handover/"' not in other.get("/duty/").content.decode()
    refused = other.post(f"/duty/shifts/{night.pk}/handover/", {"note": "改掉"}, follow=True)
    assert "交接班记录由值班人填写" in refused.content.decode()
    night.refresh_from_db()
    assert night.handover == "02:00 备份任务需盯守\n主库磁盘 78%"


def test_customers_find_none_of_it_and_a_get_is_refused(people, night):
    swap = _ask(people, night)
    for who in ("user", "user2"):
        client = web_client_for(people[who])
        for url, data in (
            (f"/duty/shifts/{night.pk}/swap/", {"to_user": people[who].pk}),
            (f"/duty/swaps/{swap.pk}/answer/", {"accept": "1"}),
            (f"/duty/shifts/{night.pk}/handover/", {"note": "x"}),
        ):
            assert client.post(url, data).status_code == 404, (who, url)
    assert (
        web_client_for(people["engineer"]).get(f"/duty/shifts/{night.pk}/swap/").status_code == 405
    )
    night.refresh_from_db()
    assert night.user == people["engineer"] and night.handover == ""
