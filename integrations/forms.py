from django import forms


class ToggleForm(forms.Form):
    """One switch: `value=on|off`. Without JS the form sends a hidden "off" before the
    checkbox, and the last value wins, so an unticked box saves "off"."""

    value = forms.ChoiceField(choices=[("on", "On"), ("off", "Off")])

    def cleaned_value(self) -> bool:
        return self.cleaned_data["value"] == "on"


class ChooseAccountForm(forms.Form):
    account = forms.ChoiceField(
        widget=forms.RadioSelect,
        label="Account",
        error_messages={"required": "Choose one of the accounts you authorised."},
    )

    def __init__(self, *args, accounts: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [
            (str(a.get("id", "")), str(a.get("name") or a.get("id", ""))) for a in accounts
        ]
        self.fields["account"].error_messages["invalid_choice"] = (
            "Choose one of the accounts you authorised."
        )
