from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm


class EmailLoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email and password do not match an account.",
    }


class RoleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class InviteForm(forms.Form):
    email = forms.EmailField(label="Email", widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    role = RoleChoiceField(queryset=None, label="Role", empty_label=None)

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = organisation.roles.order_by("name")


class RoleChangeForm(forms.Form):
    role = RoleChoiceField(queryset=None, label="Role", empty_label=None)

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = organisation.roles.order_by("name")


class InvitationSignUpForm(forms.Form):
    """The invitee's name and a password that passes Django's validators."""

    first_name = forms.CharField(label="First name", max_length=150)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords do not match.")
        elif first:
            from django.contrib.auth import get_user_model

            user = get_user_model()(
                email=self.email,
                username=self.email,
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
            try:
                password_validation.validate_password(first, user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


def _country_choices() -> list[tuple[str, str]]:
    import phonenumbers
    from phonenumbers.geocoder import _region_display_name

    names = {code: _region_display_name(code, "en") for code in phonenumbers.SUPPORTED_REGIONS}
    return sorted(((code, name or code) for code, name in names.items()), key=lambda c: c[1])


def _timezone_choices() -> list[tuple[str, str]]:
    from zoneinfo import available_timezones

    return [(name, name.replace("_", " ")) for name in sorted(available_timezones())]


class SignUpForm(forms.Form):
    """A business starting its own organisation. `website` is a honeypot: hidden from people,
    filled in by bots."""

    business_name = forms.CharField(label="Business name", max_length=200)
    first_name = forms.CharField(label="Your first name", max_length=150)
    last_name = forms.CharField(label="Your last name", max_length=150, required=False)
    email = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    country = forms.ChoiceField(label="Country", initial="GB")
    currency = forms.CharField(
        label="Currency",
        max_length=3,
        min_length=3,
        required=False,
        help_text="Three letters, such as GBP. Left empty, the country's usual currency.",
    )
    timezone = forms.ChoiceField(label="Time zone", required=False)
    website = forms.CharField(
        label="Leave this empty",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = _country_choices()
        self.fields["timezone"].choices = [
            ("", "The country's usual time zone"),
            *_timezone_choices(),
        ]

    def clean(self):
        from .signup import COUNTRY_DEFAULTS

        cleaned = super().clean()
        country = cleaned.get("country")
        if country:
            currency, zone = COUNTRY_DEFAULTS.get(country, ("", ""))
            cleaned["currency"] = (cleaned.get("currency") or currency).upper()
            cleaned["timezone"] = cleaned.get("timezone") or zone
            if not cleaned["currency"].isalpha() or len(cleaned["currency"]) != 3:
                self.add_error("currency", "Choose the currency you invoice in, such as GBP.")
            if not cleaned["timezone"]:
                self.add_error("timezone", "Choose your time zone.")
        password = cleaned.get("password")
        if password:
            from django.contrib.auth import get_user_model

            user = get_user_model()(
                email=cleaned.get("email", ""),
                username=cleaned.get("email", ""),
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
            try:
                password_validation.validate_password(password, user)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned
