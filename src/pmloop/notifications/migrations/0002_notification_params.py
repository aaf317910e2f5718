"""Notifications keep kind + params and are rendered when read.

Rows written before this migration have only a pre-rendered title (in the sender's
language); their ``params`` are set to NULL so they keep showing that stored title."""

from django.db import migrations, models


def mark_legacy(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    Notification.objects.update(params=None)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="params",
            field=models.JSONField(blank=True, default=dict, null=True),
        ),
        migrations.RunPython(mark_legacy, migrations.RunPython.noop),
    ]
