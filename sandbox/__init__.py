"""The provider sandbox: local emulators of the providers Torqueflow talks to.

Used by `make run` (the demo) and the end-to-end tests, never in production: its URLs are
mounted only when settings.SANDBOX_ENABLED. Nothing outside this package imports it.
"""
