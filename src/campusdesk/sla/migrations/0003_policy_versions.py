"""Service levels in versions: today's policies become the first default version, and the
tickets accepted so far keep it."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def first_version(apps, schema_editor):
    SlaPolicySet = apps.get_model("sla", "SlaPolicySet")
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    Ticket = apps.get_model("tickets", "Ticket")
    if not SlaPolicy.objects.exists():
        return
    version = SlaPolicySet.objects.create(created_at=timezone.now())
    SlaPolicy.objects.update(policy_set=version)
    Ticket.objects.filter(accepted_at__isnull=False).update(sla_policy_version=version.pk)


class Migration(migrations.Migration):
    dependencies = [
        ("sla", "0002_seed_defaults"),
        ("catalog", "0003_project_contract_terms"),
        ("tickets", "0009_ticket_sla_policy_version"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SlaPolicySet",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(verbose_name="created at")),
                ("retired_at", models.DateTimeField(blank=True, null=True, verbose_name="replaced at")),
                (
                    "calendar",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="sla.calendar",
                        verbose_name="calendar",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="created by",
                    ),
                ),
                (
                    "project",
                    models.ForeignKey(
                        blank=True,
                        help_text="Empty: the default service levels of every contract without its own.",
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="sla_versions",
                        to="catalog.project",
                        verbose_name="project",
                    ),
                ),
            ],
            options={
                "verbose_name": "service level version",
                "verbose_name_plural": "service level versions",
                "ordering": ["-id"],
            },
        ),
        migrations.AddField(
            model_name="slapolicy",
            name="policy_set",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="policies",
                to="sla.slapolicyset",
                verbose_name="service level version",
            ),
        ),
        migrations.RunPython(first_version, migrations.RunPython.noop),
    ]
