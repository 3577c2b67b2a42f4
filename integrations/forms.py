from collections.abc import Mapping

from django import forms

from .auth import Credentials


class ToggleForm(forms.Form):
    """One switch: `value=on|off`. Without JS the form sends a hidden "off" before the
    checkbox, and the last value wins, so an unticked box saves "off"."""

    value = forms.ChoiceField(choices=[("on", "On"), ("off", "Off")])

    def cleaned_value(self) -> bool:
        return self.cleaned_data["value"] == "on"


class ChooseAccountForm(forms.Form):
    """One of the accounts a consent reached (selectors.account_choices); a linked
    connection's own account is offered first as "Keep <name>", and starts selected."""

    account = forms.ChoiceField(
        widget=forms.RadioSelect,
        label="Account",
        error_messages={"required": "Choose one of the accounts you authorised."},
    )

    def __init__(self, *args, accounts: list[dict], **kwargs):
        current = next((a for a in accounts if a.get("current")), None)
        if current is not None:
            kwargs.setdefault("initial", {"account": current["id"]})
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [
            (
                str(a.get("id", "")),
                f"Keep {a.get('name') or a.get('id')}"
                if a.get("current")
                else str(a.get("name") or a.get("id", "")),
            )
            for a in accounts
        ]
        self.fields["account"].error_messages["invalid_choice"] = (
            "Choose one of the accounts you authorised."
        )


KEEP_HINT = "Leave blank to keep the current value."


class CredentialsForm(forms.Form):
    """The inputs a Credentials provider declares.

    Secret inputs are never filled in, not from what is stored and not from what was typed
    before an error. With `stored` values (editing an active connection) a secret left blank
    keeps its stored value, and non-secret inputs start from what is stored.
    """

    def __init__(
        self,
        *args,
        auth: Credentials,
        key: str,
        stored: Mapping[str, str] | None = None,
        **kwargs,
    ):
        kwargs.setdefault("auto_id", f"{key}-%s")
        super().__init__(*args, **kwargs)
        self.declared = auth.fields
        self.stored = dict(stored or {})
        for declared in self.declared:
            keeps = declared.secret and bool(self.stored.get(declared.name))
            attrs = {"autocomplete": "off", "spellcheck": "false"}
            if declared.placeholder:
                attrs["placeholder"] = declared.placeholder
            widget = (
                forms.PasswordInput(attrs=attrs, render_value=False)
                if declared.secret
                else forms.TextInput(attrs=attrs)
            )
            help_text = " ".join(filter(None, [declared.help_text, KEEP_HINT if keeps else ""]))
            self.fields[declared.name] = forms.CharField(
                label=declared.label,
                required=declared.required and not keeps,
                help_text=help_text,
                widget=widget,
                max_length=2000,
                error_messages={"required": f"Enter the {declared.label}."},
            )
            if not declared.secret and declared.name in self.stored:
                self.initial.setdefault(declared.name, self.stored[declared.name])

    def values(self) -> dict[str, str]:
        """What to check and store: the typed values, with stored secrets kept where blank."""
        values = {}
        for declared in self.declared:
            typed = self.cleaned_data.get(declared.name, "")
            if declared.secret and not typed:
                typed = self.stored.get(declared.name, "")
            values[declared.name] = typed
        return values


class BackfillRangeForm(forms.Form):
    """The invoice dates of a back-fill; either end may be left empty (no limit)."""

    date_from = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a real date for From, like 2025-01-31."},
    )
    date_to = forms.DateField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a real date for To, like 2025-12-31."},
    )

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            raise forms.ValidationError("The From date must be on or before the To date.")
        return cleaned

    def range(self) -> dict:
        return {
            "date_from": self.cleaned_data["date_from"],
            "date_to": self.cleaned_data["date_to"],
        }
