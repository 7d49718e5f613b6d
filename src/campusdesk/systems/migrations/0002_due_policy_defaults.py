"""The finding due policy's defaults (DefectDojo's): critical 7, high 30, medium 90, low 120
working days; administrators may edit them."""

from django.db import migrations

DEFAULTS = {"critical": 7, "high": 30, "medium": 90, "low": 120}


def seed(apps, schema_editor):
    DuePolicy = apps.get_model("systems", "DuePolicy")
    for severity, days in DEFAULTS.items():
        DuePolicy.objects.get_or_create(severity=severity, defaults={"working_days": days})


class Migration(migrations.Migration):
    dependencies = [("systems", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
