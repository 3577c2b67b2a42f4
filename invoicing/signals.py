"""The domain signals invoicing sends; other apps listen, invoicing imports none of them.

`invoice_changed` is sent inside the transaction that changed the invoice, with
`invoice` (the saved Invoice) and `change`, one of CHANGES.

`party_changed` is sent inside the transaction that saved an existing customer or supplier,
with `party` (the saved Customer or Supplier) and `changed` (the names of the fields whose
value changed).

`payment_recorded` is sent inside the transaction that recorded a new payment, with `payment`,
`invoice` (refreshed, locked) and `settled` (True when this payment moved the invoice to Paid).
"""

from django.dispatch import Signal

FINALISED = "finalised"
UPDATED = "updated"
VOIDED = "voided"
PAYMENTS_CHANGED = "payments_changed"
CHANGES = (FINALISED, UPDATED, VOIDED, PAYMENTS_CHANGED)

invoice_changed = Signal()
party_changed = Signal()
payment_recorded = Signal()
