"""The domain signal invoicing sends; other apps listen, invoicing imports none of them.

`invoice_changed` is sent inside the transaction that changed the invoice, with
`invoice` (the saved Invoice) and `change`, one of CHANGES.
"""

from django.dispatch import Signal

FINALISED = "finalised"
UPDATED = "updated"
VOIDED = "voided"
PAYMENTS_CHANGED = "payments_changed"
CHANGES = (FINALISED, UPDATED, VOIDED, PAYMENTS_CHANGED)

invoice_changed = Signal()
