"""The provider sandbox: local emulators of the providers Torqueflow talks to, for `make run`
(the demo), the end-to-end and fault tests and the benchmarks; never in production: its URLs
are mounted only when settings.SANDBOX_ENABLED.

core/        written once for every provider: the consent page, tokens, rate limits, fault
             knobs, call counters, signed webhook delivery, seed/reset and the control page
xero/ ghl/   one adapter each: the provider's API surface, and provider.py declaring it

A new emulator is a package beside them: its models (models/<key>.py), its API views and
urls.py, its account cards (templates/sandbox/<key>/_accounts.html), and a provider.py that
registers a SandboxProvider (core/registry.py); then its package name in apps.ADAPTERS.
"""
