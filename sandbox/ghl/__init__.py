"""An emulator of GoHighLevel's OAuth (chooselocation, /oauth/token), the API v2 subset
Torqueflow uses (locations, contacts upsert, invoices), the customer's payment page, and
signed webhooks, answering with the shapes of GoHighLevel's published OpenAPI specs."""
