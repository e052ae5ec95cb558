"""The sign-in pages of the authorize endpoint, and the web app's document pages: plain HTML,
no JavaScript.

Element ids and names are stable so that browser tours can fill them: ``email``, ``password``,
``mfa_code``, checkboxes ``tenant_id`` (ids ``tenant-<tenant id>``) and the buttons
``decision=allow`` (id ``allow``) and ``decision=deny`` (id ``deny``).
"""

from html import escape

from .seed import DEMO_MFA_CODE, DEMO_USER_EMAIL, DEMO_USER_PASSWORD

_STYLE = """
body { font-family: sans-serif; background: #f2f5f7; color: #1e3240; }
main { max-width: 26rem; margin: 3rem auto; background: #fff; padding: 2rem; border-radius: 8px; }
h1 { font-size: 1.4rem; } label { display: block; margin-top: 1rem; }
input[type=email], input[type=password], input[type=text] { width: 100%; padding: .5rem; }
button { margin-top: 1.5rem; padding: .6rem 1.2rem; } .error { color: #b00020; }
.hint { color: #55707f; font-size: .85rem; } fieldset { border: 0; padding: 0; }
"""


def _page(title, body):
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)} | Xero Sandbox</title><style>{_STYLE}</style></head>"
        f"<body><main><p class='hint'>Xero Sandbox</p><h1>{escape(title)}</h1>{body}</main>"
        "</body></html>"
    )


def _error(message):
    return f"<p class='error' id='error' role='alert'>{escape(message)}</p>" if message else ""


def _form(session_id, step, fields):
    return (
        f"<form method='post' action='/identity/connect/authorize' id='form-{step}'>"
        f"<input type='hidden' name='session' value='{escape(session_id)}'>"
        f"<input type='hidden' name='step' value='{step}'>{fields}</form>"
    )


def login(session_id, app_name, error="", email=""):
    fields = (
        "<label for='email'>Email address</label>"
        f"<input type='email' id='email' name='email' value='{escape(email)}' required autofocus>"
        "<label for='password'>Password</label>"
        "<input type='password' id='password' name='password' required>"
        "<button type='submit' id='login' name='login' value='1'>Log in</button>"
    )
    hint = (
        f"<p class='hint'>Sandbox user: {escape(DEMO_USER_EMAIL)} / "
        f"{escape(DEMO_USER_PASSWORD)}</p>"
    )
    body = (
        f"<p>Log in to connect <strong>{escape(app_name)}</strong>.</p>"
        + _error(error)
        + _form(session_id, "login", fields)
        + hint
    )
    return _page("Log in to Xero", body)


def mfa(session_id, error=""):
    fields = (
        "<label for='mfa_code'>Authentication code</label>"
        "<input type='text' id='mfa_code' name='mfa_code' inputmode='numeric' "
        "autocomplete='one-time-code' required autofocus>"
        "<button type='submit' id='verify' name='verify' value='1'>Confirm</button>"
    )
    body = (
        "<p>Enter the 6-digit code from your authenticator app.</p>"
        + _error(error)
        + _form(session_id, "mfa", fields)
        + f"<p class='hint'>Sandbox code: {DEMO_MFA_CODE}</p>"
    )
    return _page("Two-step authentication", body)


def consent(session_id, app_name, scopes, organisations, error=""):
    """``organisations``: (tenant id, name) pairs; empty when no organisation access is asked."""
    scope_items = "".join(f"<li>{escape(scope)}</li>" for scope in scopes)
    choices = ""
    if organisations:
        boxes = "".join(
            f"<label for='tenant-{escape(tenant_id)}'>"
            f"<input type='checkbox' id='tenant-{escape(tenant_id)}' name='tenant_id' "
            f"value='{escape(tenant_id)}'> {escape(name)}</label>"
            for tenant_id, name in organisations
        )
        choices = f"<fieldset><legend>Organisations to connect</legend>{boxes}</fieldset>"
    fields = (
        choices
        + "<button type='submit' id='allow' name='decision' value='allow'>Allow access</button> "
        + "<button type='submit' id='deny' name='decision' value='deny'>Cancel</button>"
    )
    body = (
        f"<p><strong>{escape(app_name)}</strong> wants to access:</p><ul>{scope_items}</ul>"
        + _error(error)
        + _form(session_id, "consent", fields)
    )
    return _page("Allow access", body)


def document(org_name, doc):
    """A read-only view of a rendered invoice or credit note."""
    number = doc.get("InvoiceNumber") or doc.get("CreditNoteNumber") or ""
    rows = "".join(
        f"<tr><td>{escape(line.get('Description', ''))}</td><td>{line.get('Quantity', '')}</td>"
        f"<td>{line.get('UnitAmount', '')}</td><td>{escape(line.get('AccountCode', ''))}</td>"
        f"<td>{escape(line.get('TaxType', ''))}</td><td>{line.get('LineAmount', '')}</td></tr>"
        for line in doc.get("LineItems", [])
    )
    body = (
        f"<p class='hint'>{escape(org_name)}</p>"
        f"<p id='summary'>{escape(doc['Type'])} {escape(number)} to "
        f"{escape(doc['Contact']['Name'])}, {escape(doc['Status'])}</p>"
        "<table><tr><th>Description</th><th>Qty</th><th>Unit</th><th>Account</th><th>Tax</th>"
        f"<th>Amount</th></tr>{rows}</table>"
        f"<p id='total'>Total {escape(doc['CurrencyCode'])} {doc['Total']}</p>"
    )
    return _page(f"{doc['Type']} {number}", body)


def error_page(title, message):
    return _page(title, f"<p class='error' id='error'>{escape(message)}</p>")
