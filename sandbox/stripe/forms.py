"""The hosted pages' forms: onboarding (business name and a UK test bank account or an
IBAN), the card on the payment page, and a refund's amount."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django import forms

from . import cards


def iban_valid(iban: str) -> bool:
    """The ISO 13616 check digits (mod 97)."""
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", iban):
        return False
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


class OnboardingForm(forms.Form):
    """ "Finish" needs every field; "Leave for later" keeps what is valid."""

    business_name = forms.CharField(label="Business name", max_length=255, required=False)
    sort_code = forms.CharField(label="Sort code", max_length=8, required=False)
    account_number = forms.CharField(label="Account number", max_length=8, required=False)
    iban = forms.CharField(label="Or IBAN", max_length=40, required=False)

    def clean_sort_code(self) -> str:
        value = re.sub(r"[\s-]", "", self.cleaned_data["sort_code"])
        if value and not re.fullmatch(r"\d{6}", value):
            raise forms.ValidationError("Enter a 6-digit sort code.")
        return value

    def clean_account_number(self) -> str:
        value = self.cleaned_data["account_number"].replace(" ", "")
        if value and not re.fullmatch(r"\d{8}", value):
            raise forms.ValidationError("Enter an 8-digit account number.")
        return value

    def clean_iban(self) -> str:
        value = self.cleaned_data["iban"].replace(" ", "").upper()
        if value and not iban_valid(value):
            raise forms.ValidationError("The IBAN you entered is invalid.")
        return value

    def bank_last4(self) -> str:
        """The bank account's last 4 digits, or "" when none was given whole."""
        data = self.cleaned_data
        if data.get("iban"):
            return data["iban"][-4:]
        if data.get("sort_code") and data.get("account_number"):
            return data["account_number"][-4:]
        return ""

    def require_all(self) -> None:
        """Adds the errors "Finish" shows for what is missing."""
        if not self.cleaned_data.get("business_name", "").strip():
            self.add_error("business_name", "Enter your business name.")
        if not self.bank_last4() and not self.errors.get("iban"):
            self.add_error("account_number", "Enter a sort code and account number, or an IBAN.")


class CardForm(forms.Form):
    email = forms.EmailField(label="Email", max_length=255)
    number = forms.CharField(label="Card number", max_length=30)
    expiry = forms.CharField(label="Expiry (MM / YY)", max_length=7)
    cvc = forms.CharField(label="CVC", max_length=4)
    name = forms.CharField(label="Name on card", max_length=255)

    def clean_number(self) -> str:
        number = cards.digits(self.cleaned_data["number"])
        if not cards.luhn_valid(number):
            raise forms.ValidationError("Your card number is invalid.")
        return number

    def clean_expiry(self) -> str:
        found = re.fullmatch(r"\s*(\d{1,2})\s*/?\s*(\d{2})\s*", self.cleaned_data["expiry"])
        if not found or not 1 <= int(found.group(1)) <= 12:
            raise forms.ValidationError("Your card's expiration date is incomplete.")
        month, year = int(found.group(1)), 2000 + int(found.group(2))
        problem = cards.expiry_problem(month, year, dt.date.today())
        if problem:
            raise forms.ValidationError(problem)
        return f"{month:02d}/{year % 100:02d}"

    def clean_cvc(self) -> str:
        value = self.cleaned_data["cvc"].strip()
        if not re.fullmatch(r"\d{3,4}", value):
            raise forms.ValidationError("Your card's security code is incomplete.")
        return value


class RefundForm(forms.Form):
    """An empty amount refunds what is left."""

    amount = forms.DecimalField(
        required=False, min_value=Decimal("0.01"), max_digits=14, decimal_places=2
    )
