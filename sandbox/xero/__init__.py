"""An emulator of Xero's identity service, connections endpoint, Accounting API and webhooks,
answering with the shapes of Xero's OpenAPI specs."""
