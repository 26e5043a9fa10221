"""Fake Lightspeed Retail R-Series server (API V3 + OAuth2) for tests and benchmarks.

Run ``python -m lightspeed_simulator --port 0 --sales 5000 --seed 42``; it prints exactly one
line ``LIGHTSPEED_SIMULATOR_READY http://127.0.0.1:<port>`` on stdout and exits cleanly on
SIGTERM. The same server serves the API (``/API/V3/...``, ``/API/Session.json``), the OAuth
endpoints (``/auth/oauth/authorize|token|revoke|introspect``, ``/.well-known/jwks``) and test
hooks (``POST /_sim/<action>``, ``GET /_sim/stats``, ``GET /_sim/state``).

Standard library only. See README.md in this package for options, hooks and data scenarios.
"""
