"""The demo database's data, run by tools/demo.sh in `odoo shell` (which provides `env`).

A Sydney bar and restaurant keeps its purchasing in Odoo: suppliers of beverages, meat and produce,
posted bills, customer invoices and credit notes in AUD, NZD and USD, one draft bill, and the
company connected to the Xero sandbox's Australian organisation (at $XERO_SANDBOX_URL) with the
Cost of Goods Sold (310) and Sales (200) accounts and GST mapped.
"""

import os
import time
from datetime import timedelta

import requests

from odoo import Command, fields

from odoo.addons.account_xero_export.xero_sandbox import seed

SANDBOX_URL = os.environ["XERO_SANDBOX_URL"]
TIMEOUT = 10

VENDORS = {
    "Bondi Beverages": "orders@bondibeverages.example",
    "Harbour Meats": "sales@harbourmeats.example",
    "Green Valley Produce": "orders@greenvalley.example",
    "Kiwi Craft Brewing Ltd": "trade@kiwicraft.example",
    "Pacific Coffee Importers": "accounts@pacificcoffee.example",
}
CUSTOMERS = {
    "Sydney Events Co": "bookings@sydneyevents.example",
    "Seaside Weddings": "hello@seasideweddings.example",
    "Auckland Film Festival": "finance@aff.example",
}
PRODUCTS = {  # category: [(product, unit cost or price)]
    "Beverages": [
        ("Coopers Pale Ale 24x375ml", 54.90),
        ("Pacific Ale keg 50L", 289.00),
        ("Hazy IPA keg 50L", 310.00),
        ("Tonic water 24x200ml", 21.50),
        ("Espresso beans 1kg", 14.50),
    ],
    "Meat": [("Wagyu rump (kg)", 42.50), ("Pork belly (kg)", 18.90), ("Lamb shoulder (kg)", 24.00)],
    "Produce": [
        ("Lemons (kg)", 6.50),
        ("Heirloom tomatoes (kg)", 12.00),
        ("Mixed salad leaves (kg)", 16.00),
    ],
    "Functions": [("Function room hire", 850.00), ("Catering per guest", 65.00)],
}
# (type, partner, currency, days ago, reference, taxed, [(product or text, qty, price[, discount])])
DOCUMENTS = [
    ("in_invoice", "Bondi Beverages", "AUD", 12, "BB-20417", True, [
        ("Coopers Pale Ale 24x375ml", 6, 54.90),
        ("Pacific Ale keg 50L", 2, 289.00),
        ("Returned empty kegs (deposit)", 2, -30.00),
    ]),
    ("in_invoice", "Harbour Meats", "AUD", 9, "HM-8812", True, [
        ("Wagyu rump (kg)", 5, 42.50),
        ("Pork belly (kg)", 8, 18.90),
    ]),
    ("in_invoice", "Green Valley Produce", "AUD", 6, "GVP-3301", True, [
        ("Lemons (kg)", 10, 6.50),
        ("Heirloom tomatoes (kg)", 6, 12.00),
        ("Mixed salad leaves (kg)", 4, 16.00),
    ]),
    ("in_invoice", "Kiwi Craft Brewing Ltd", "NZD", 15, "KCB-0192", False, [
        ("Hazy IPA keg 50L", 3, 310.00),
    ]),
    ("in_invoice", "Pacific Coffee Importers", "USD", 20, "PCI-5567", False, [
        ("Espresso beans 1kg", 20, 14.50),
    ]),
    ("in_refund", "Bondi Beverages", "AUD", 5, "BB-CR-118", True, [
        ("Damaged carton: Coopers Pale Ale 24x375ml", 1, 54.90),
    ]),
    ("in_refund", "Harbour Meats", "AUD", 4, "HM-CR-77", True, [
        ("Short delivery: pork belly (kg)", 2, 18.90),
    ]),
    ("out_invoice", "Sydney Events Co", "AUD", 10, None, True, [
        ("Function room hire", 1, 850.00),
        ("Catering per guest", 40, 65.00, 10.0),
    ]),
    ("out_invoice", "Seaside Weddings", "AUD", 7, None, True, [
        ("Function room hire", 1, 850.00),
        ("Catering per guest", 80, 65.00),
    ]),
    ("out_invoice", "Auckland Film Festival", "NZD", 8, None, False, [
        ("Catering per guest", 120, 58.00),
    ]),
    ("out_refund", "Seaside Weddings", "AUD", 3, None, True, [
        ("Catering per guest: 5 guests fewer", 5, 65.00),
    ]),
]  # fmt: skip
DRAFT_BILL = ("in_invoice", "Green Valley Produce", "AUD", 1, "GVP-3315", True, [
    ("Lemons (kg)", 12, 6.50),
])  # fmt: skip


def main(env):
    company = env.company
    today = fields.Date.context_today(env.user)
    gst = setup_company(env, company, today)
    partners = {
        name: env["res.partner"].create({"name": name, "email": email, "is_company": True})
        for name, email in {**VENDORS, **CUSTOMERS}.items()
    }
    products = {}
    for category_name, items in PRODUCTS.items():
        category = env["product.category"].create({"name": category_name})
        for name, price in items:
            products[name] = env["product.product"].create(
                {
                    "name": name,
                    "categ_id": category.id,
                    "standard_price": price,
                    "list_price": price,
                    "taxes_id": [(6, 0, gst["sale"].ids)],
                    "supplier_taxes_id": [(6, 0, gst["purchase"].ids)],
                }
            )
    for document in DOCUMENTS:
        make_move(env, document, partners, products, gst, today).action_post()
    make_move(env, DRAFT_BILL, partners, products, gst, today)
    connect(env, company, gst)


def setup_company(env, company, today):
    """An Australian company in AUD (the organisation's base currency) that also trades in NZD
    and USD, with GST as its default taxes."""
    aud, nzd, usd = (env.ref(f"base.{code}") for code in ("AUD", "NZD", "USD"))
    (aud | nzd | usd).action_unarchive()
    company.write(
        {
            "name": "Harbour Bar & Kitchen",
            "street": "1 Circular Quay",
            "city": "Sydney",
            "zip": "2000",
            "country_id": env.ref("base.au").id,
            "currency_id": aud.id,
        }
    )
    for currency, rate in ((usd, 0.655), (nzd, 1.085)):
        env["res.currency.rate"].create(
            {"currency_id": currency.id, "rate": rate, "name": today - timedelta(days=60)}
        )
    # Odoo's generic chart came with 15% taxes: an Australian business has none, and they would
    # only wait unmapped in the Xero setup.
    # The chart's tax accounts: a tax made without one books its amount to its lines' accounts,
    # where Xero books it to a tax account, and is not sent.
    accounts = {
        side: tax.invoice_repartition_line_ids.filtered(
            lambda line: line.repartition_type == "tax"
        ).account_id
        for side, tax in (
            ("purchase", company.account_purchase_tax_id),
            ("sale", company.account_sale_tax_id),
        )
    }
    env["account.tax"].search([("company_id", "=", company.id)]).active = False
    # Its own group, so that a document's totals read "GST 10%" rather than the chart's "15%".
    group = env["account.tax.group"].create({"name": "GST 10%", "company_id": company.id})
    gst = {
        side: env["account.tax"].create(
            {
                "name": f"GST 10% ({label})",
                "amount": 10.0,
                "type_tax_use": side,
                "tax_group_id": group.id,
                **{
                    f"{kind}_repartition_line_ids": [
                        Command.create({"document_type": kind, "repartition_type": "base"}),
                        Command.create(
                            {
                                "document_type": kind,
                                "repartition_type": "tax",
                                "account_id": accounts[side].id,
                            }
                        ),
                    ]
                    for kind in ("invoice", "refund")
                },
            }
        )
        for side, label in (("purchase", "purchases"), ("sale", "sales"))
    }
    company.write(
        {"account_purchase_tax_id": gst["purchase"].id, "account_sale_tax_id": gst["sale"].id}
    )
    return gst


def make_move(env, document, partners, products, gst, today):
    move_type, partner, currency, days_ago, ref, taxed, lines = document
    taxes = gst["sale" if move_type.startswith("out_") else "purchase"] if taxed else None
    line_values = []
    for text, quantity, price, *discount in lines:
        product = products.get(text)
        line_values.append(
            {
                "product_id": product.id if product else False,
                "name": text,
                "quantity": quantity,
                "price_unit": price,
                "discount": discount[0] if discount else 0.0,
                "tax_ids": [(6, 0, taxes.ids if taxes else [])],
            }
        )
    return env["account.move"].create(
        {
            "move_type": move_type,
            "partner_id": partners[partner].id,
            "currency_id": env.ref(f"base.{currency}").id,
            "invoice_date": today - timedelta(days=days_ago),
            "ref": ref,
            "invoice_line_ids": [(0, 0, values) for values in line_values],
        }
    )


def connect(env, company, gst):
    """What Start Xero Session and the setup wizard would do, without the browser: a token minted
    by the sandbox for its demo app, the Australian organisation, accounts 310/200, GST mapped."""
    connection = env["xero.connection"].create(
        {
            "company_id": company.id,
            "client_id": seed.DEMO_CLIENT_ID,
            "client_secret": seed.DEMO_CLIENT_SECRET,
            "login_url": SANDBOX_URL,
            "identity_url": SANDBOX_URL,
            "api_url": SANDBOX_URL,
            "app_url": SANDBOX_URL,
        }
    )
    response = requests.post(
        f"{SANDBOX_URL}/_sandbox/token",
        json={"client_id": seed.DEMO_CLIENT_ID, "tenant_ids": [seed.AU_TENANT_ID]},
        timeout=TIMEOUT,
    )
    response.raise_for_status()
    minted = response.json()
    token = {key: minted[key] for key in ("access_token", "refresh_token", "token_type", "scope")}
    token["expires_at"] = int(time.time()) + minted["expires_in"]
    connection._write_secret(token=token)
    connection._set_organisation(seed.AU_TENANT_ID, minted["connections"][0]["id"])
    accounts = {account.code: account for account in connection.account_ids}
    rates = {rate.tax_type: rate for rate in connection.tax_rate_ids}
    connection.write(
        {
            "state": "connected",
            "connected_by": "Demo User",
            "connected_by_email": seed.DEMO_USER_EMAIL,
            "connected_at": fields.Datetime.now(),
            "scopes_granted": minted["scope"],
            "purchase_account_id": accounts["310"].id,
            "sales_account_id": accounts["200"].id,
            "rounding_account_id": accounts["860"].id,
            "untaxed_purchase_rate_id": rates["EXEMPTEXPENSES"].id,
            "untaxed_sale_rate_id": rates["EXEMPTOUTPUT"].id,
            "tax_mapping_ids": [
                (0, 0, {"tax_id": gst["purchase"].id, "tax_rate_id": rates["INPUT"].id}),
                (0, 0, {"tax_id": gst["sale"].id, "tax_rate_id": rates["OUTPUT"].id}),
            ],
        }
    )


main(env)  # noqa: F821 (odoo shell's environment)
env.cr.commit()  # noqa: F821
