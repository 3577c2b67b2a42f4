from django.core.exceptions import ValidationError
from django.forms import Form

from torqueflow.numbers import plain_int


def apply_validation_error(form: Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: per field where it names one."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


def page_number(value: str | None) -> int:
    return plain_int(value, minimum=1) or 1
