"""The provider-neutral core of the sandbox, written once for every emulated provider: the
consent page, token issue / rotation / expiry / revocation, rate windows and limits, fault
knobs, call counters, signed webhook delivery with resends, seed/reset and the control page.

A provider plugs in through the contract in registry.py; its own package (sandbox/xero,
sandbox/ghl) holds only its API surface."""
