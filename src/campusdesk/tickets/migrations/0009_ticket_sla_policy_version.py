from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tickets", "0008_ticket_archived")]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="sla_policy_version",
            field=models.PositiveIntegerField(
                blank=True, null=True, verbose_name="service level version"
            ),
        ),
    ]
