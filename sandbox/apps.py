from importlib import import_module

from django.apps import AppConfig

# The emulated providers, in the order the control page shows them: each package's
# provider.py registers its adapter.
ADAPTERS = ("xero", "ghl", "stripe", "twilio")


class SandboxConfig(AppConfig):
    name = "sandbox"
    verbose_name = "Provider sandbox (not part of Torqueflow)"

    def ready(self) -> None:
        for package in ADAPTERS:
            import_module(f"sandbox.{package}.provider")
