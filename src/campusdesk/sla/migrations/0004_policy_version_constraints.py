import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("sla", "0003_policy_versions")]

    operations = [
        migrations.AlterField(
            model_name="slapolicy",
            name="policy_set",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="policies",
                to="sla.slapolicyset",
                verbose_name="service level version",
            ),
        ),
        migrations.AlterField(
            model_name="slapolicy",
            name="severity",
            field=models.CharField(max_length=4, verbose_name="severity"),
        ),
        migrations.AddConstraint(
            model_name="slapolicy",
            constraint=models.UniqueConstraint(
                fields=("policy_set", "severity"), name="one_policy_per_severity_and_version"
            ),
        ),
        migrations.AddConstraint(
            model_name="slapolicyset",
            constraint=models.UniqueConstraint(
                condition=models.Q(("project__isnull", False), ("retired_at__isnull", True)),
                fields=("project",),
                name="one_current_sla_per_project",
            ),
        ),
        migrations.AddConstraint(
            model_name="slapolicyset",
            constraint=models.UniqueConstraint(
                condition=models.Q(("project__isnull", True), ("retired_at__isnull", True)),
                fields=("retired_at",),
                name="one_current_default_sla",
            ),
        ),
    ]
