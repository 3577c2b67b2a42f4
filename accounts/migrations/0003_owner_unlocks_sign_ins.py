"""Existing Owner roles get the new capability settings.security.manage, as new ones do."""

from django.db import migrations

CAPABILITY = "settings.security.manage"


def add_to_owners(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.filter(key="owner"):
        if CAPABILITY not in role.capabilities:
            role.capabilities = [*role.capabilities, CAPABILITY]
            role.save(update_fields=["capabilities"])


def remove_from_all(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.all():
        if CAPABILITY in role.capabilities:
            role.capabilities = [c for c in role.capabilities if c != CAPABILITY]
            role.save(update_fields=["capabilities"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_restrict_deletes"),
    ]

    operations = [
        migrations.RunPython(add_to_owners, remove_from_all),
    ]
