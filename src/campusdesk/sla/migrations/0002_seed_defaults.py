"""The seed's service levels (§6) and the 5×8 service centre's calendar, as editable rows."""

from decimal import Decimal

from django.db import migrations

POLICIES = [
    # severity, clock, respond, resolve, follow-up kind, follow-up, warning minutes
    ("SIS1", "24x7", "2", "4", "onsite", "8", 30),
    ("SIS2", "24x7", "4", "8", "onsite", "8", 60),
    ("SIS3", "business", "1", "1", "plan", "3", 120),
]


def create(apps, schema_editor):
    Calendar = apps.get_model("sla", "Calendar")
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    if not Calendar.objects.filter(is_default=True).exists():
        Calendar.objects.create(
            name="客服中心 5×8",
            is_default=True,
            use_chinese_calendar=True,
            weekly={str(day): [["09:00", "17:00"]] for day in range(5)},
        )
    for severity, clock, respond, resolve, kind, followup, warn in POLICIES:
        SlaPolicy.objects.get_or_create(
            severity=severity,
            defaults={
                "clock": clock,
                "accept_hours": Decimal(24),
                "respond": Decimal(respond),
                "resolve": Decimal(resolve),
                "followup_kind": kind,
                "followup": Decimal(followup),
                "warning_minutes": warn,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
