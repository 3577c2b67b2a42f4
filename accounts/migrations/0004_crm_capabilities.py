"""Existing roles get the CRM's capabilities as new organisations' roles do: the Owner all of
them, Staff everything but projects and contracts, the Accountant reading only."""

from django.db import migrations

GRANTS = {
    "owner": [
        "crm.view",
        "contacts.manage",
        "leads.manage",
        "quotes.manage",
        "appointments.manage",
        "messages.manage",
        "projects.manage",
        "contracts.manage",
    ],
    "staff": [
        "crm.view",
        "contacts.manage",
        "leads.manage",
        "quotes.manage",
        "appointments.manage",
        "messages.manage",
    ],
    "accountant": ["crm.view"],
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
        ("accounts", "0003_owner_unlocks_sign_ins"),
    ]

    operations = [
        migrations.RunPython(grant, revoke),
    ]
