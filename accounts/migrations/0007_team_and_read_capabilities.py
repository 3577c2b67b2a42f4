"""Existing roles get the new capabilities as new organisations' roles do: the Owner manages
the team, and the Owner and the Accountant read nominal codes and the sync activity."""

from django.db import migrations

GRANTS = {
    "owner": ["settings.team.manage", "settings.finance.view", "integrations.activity.view"],
    "accountant": ["settings.finance.view", "integrations.activity.view"],
}
ALL = set(GRANTS["owner"])


def grant(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for key, capabilities in GRANTS.items():
        for role in Role.objects.filter(key=key):
            missing = [c for c in capabilities if c not in role.capabilities]
            if missing:
                role.capabilities = [*role.capabilities, *missing]
                role.save(update_fields=["capabilities"])


def revoke(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.all():
        kept = [c for c in role.capabilities if c not in ALL]
        if kept != role.capabilities:
            role.capabilities = kept
            role.save(update_fields=["capabilities"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_team_invitations"),
    ]

    operations = [
        migrations.RunPython(grant, revoke),
    ]
