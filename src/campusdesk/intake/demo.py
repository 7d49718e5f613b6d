"""Demo monitoring: Prometheus watches the Graduate Management System; one alert fired twice."""

from __future__ import annotations

from datetime import timedelta

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.core import clock
from campusdesk.intake import services
from campusdesk.intake.models import AlertSource


def load(people: dict[str, User], projects: dict[str, Project]) -> None:
    if AlertSource.objects.exists():
        return
    source, _token = services.alert_source_create(
        actor=people["admin"], name="Prometheus 研究生系统", project_id=projects["xjnu"].pk
    )
    alert = services.Incoming(
        fingerprint="demo-gms-web-01", firing=True,
        labels={"alertname": "HighResponseTime", "instance": "gms-web-01:8080",
                "severity": "warning"},
        annotations={"summary": "研究生系统响应时间超过 3 秒",
                     "description": "过去 10 分钟 P95 响应时间 3.8 秒。"},
    )  # fmt: skip
    now = clock.now()
    services.alert_receive(source=source, alert=alert, now=now - timedelta(minutes=30))
    services.alert_receive(source=source, alert=alert, now=now - timedelta(minutes=25))
