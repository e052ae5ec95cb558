"""A local, stateful stand-in for Xero's identity service and Accounting API.

Standard library only, importing nothing from Odoo or the addon. In-process::

    from xero_sandbox import SandboxServer, seed  # or odoo.addons.account_xero_export.xero_sandbox

    with SandboxServer(host="127.0.0.1", port=0) as srv:  # or srv = SandboxServer().start()
        srv.url                      # http://127.0.0.1:54321: the identity, login and API base URL
        tokens = srv.token(tenant_id=seed.AU_TENANT_ID)  # as POST /_sandbox/token: no browser
        srv.clock.advance(1800)      # every expiry and rate-limit window reads this clock
        srv.reset()                  # back to the seed
    # srv.stop() when it is not used as a context manager

``SandboxServer(now="2026-06-15T09:00:00Z")`` starts with the clock frozen there. From a shell:
``python -m xero_sandbox`` (127.0.0.1:8091; XERO_SANDBOX_PORT or --port/--host to change).

Xero's paths: /identity/connect/authorize (sign-in pages), /connect/token, /connect/revocation,
/connections, /api.xro/2.0/... . Control endpoints for tests live under /_sandbox/ (control.py).

Seeded (seed.py): apps ``sandbox-client``/``sandbox-secret`` (created after 2 March 2026: granular
scopes only), ``sandbox-legacy-client``/``sandbox-legacy-secret`` (older: broad
``accounting.transactions`` allowed) and ``sandbox-pkce-client`` (PKCE, no secret); any
http://127.0.0.1:*, http://localhost:* or http://[::1]:* redirect URI is accepted. User
``demo@sandbox.xero.local``, password ``sandbox``, MFA code ``123456``. Organisations: AU (AUD),
NZ (NZD) and UK (GBP), tenant ids in seed.py, each with its chart, tax rates, contacts and
tracking categories (AU: Region and Venue). Tokens are HS256 JWTs (identity.SIGNING_KEY).

What Xero refuses, the sandbox refuses, and what Xero changes it changes and says so in the
element's ``Warnings`` (documents.py, contacts.py, where.py: each rule names its source). A
request the sandbox itself fails on is answered with Xero's 500 and logged with its traceback,
so that the test that caused it fails rather than taking it for Xero being down.
"""

from .server import SandboxServer

__all__ = ["SandboxServer"]
