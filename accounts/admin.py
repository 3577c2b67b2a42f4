from django import forms
from django.contrib import admin

from .capabilities import CAPABILITIES
from .models import Membership, Organisation, Role


def capability_choices() -> list[tuple[str, str]]:
    # Read when the form is shown: providers register capabilities of their own at start-up.
    return [(key, f"{key} — {label}") for key, label in CAPABILITIES.items()]


class RoleForm(forms.ModelForm):
    capabilities = forms.MultipleChoiceField(
        choices=capability_choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Role
        fields = ["organisation", "key", "name", "capabilities"]


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    form = RoleForm
    list_display = ["name", "organisation", "key"]
    list_filter = ["organisation"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "default_currency", "timezone", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role"]
    list_filter = ["organisation", "role__key"]
    autocomplete_fields = ["user"]
