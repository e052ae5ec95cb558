"""A Xero client that knows nothing of Odoo: OAuth 2.0 with PKCE, the Accounting API, typed errors.

Odoo models wrap it (they pass token callbacks and catch `XeroError`); they do not reimplement it.
"""

from .client import XeroClient, check_idempotency_key
from .errors import (
    XeroAuthenticationError,
    XeroError,
    XeroNotFoundError,
    XeroRateLimitError,
    XeroTransientError,
    XeroValidationError,
)
from .oauth import DEFAULT_SCOPES, LEGACY_SCOPES, AuthorizationRequest, XeroOAuth

__all__ = [
    "DEFAULT_SCOPES",
    "LEGACY_SCOPES",
    "AuthorizationRequest",
    "XeroAuthenticationError",
    "XeroClient",
    "XeroError",
    "XeroNotFoundError",
    "XeroOAuth",
    "XeroRateLimitError",
    "XeroTransientError",
    "XeroValidationError",
    "check_idempotency_key",
]
