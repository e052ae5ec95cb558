"""Tests on really committed data: a database of their own (the test database as `make test`
updated it, copied to XERO_COMMITTED_DB) where every transaction commits, as in production.

Odoo's test classes run everything in one transaction, which hides what concurrency, crashes and
partial commits do; these tests use plain cursors from a registry of their own instead, threads and
processes, and drop the database at the end.
"""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from contextlib import closing, contextmanager

import pytest
import requests

import odoo
from odoo import SUPERUSER_ID, api, fields, sql_db
from odoo.modules.registry import Registry
from odoo.tools import SQL

from ..xero_sandbox import SandboxServer, seed
from .common import SANDBOX_TIMEOUT, sandbox_connection

__all__ = ["fresh", "world"]

ODOO = [sys.executable, "-c", "import odoo, sys; sys.argv[0] = 'odoo'; odoo.cli.main()"]
BLOCKED_WAIT_SECONDS = 20


class World:
    """The committed database, a sandbox, a company connected to its Australian organisation, and
    an invoicing user without an e-mail address, who sends. `sandbox`: one already started (the
    bench's, in a process of its own), rather than one in this process."""

    def __init__(self, dbname, sandbox=None):
        self.dbname = dbname
        # Loading a registry with tests enabled would run the addons' at_install tests.
        test_enable = odoo.tools.config["test_enable"]
        odoo.tools.config["test_enable"] = False
        try:
            self.registry = Registry(dbname)
        finally:
            odoo.tools.config["test_enable"] = test_enable
        self.sandbox = sandbox or SandboxServer(host="127.0.0.1", port=0).start()
        with self.env() as env:
            self._build(env)

    def close(self):
        self.sandbox.stop()
        Registry.delete(self.dbname)
        sql_db.close_db(self.dbname)
        with closing(sql_db.db_connect("postgres").cursor()) as cr:
            cr._cnx.autocommit = True
            cr.execute(SQL("DROP DATABASE IF EXISTS %s WITH (FORCE)", SQL.identifier(self.dbname)))

    @contextmanager
    def env(self, uid=SUPERUSER_ID):
        """An environment on a new cursor, committed when the block ends without error."""
        with self.registry.cursor() as cr:
            yield api.Environment(cr, uid, {})

    def _build(self, env):
        company = env.ref("base.main_company")
        if not company.chart_template:
            env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
        aud = env.ref("base.AUD")
        aud.active = True
        env["res.currency.rate"].create({"currency_id": aud.id, "name": "2020-01-01", "rate": 1.5})
        # The chart's purchase tax at 10%: its amount goes to the chart's tax account.
        self.tax = company.account_purchase_tax_id.copy(
            {"name": "GST on purchases", "amount": 10.0}
        ).id
        self.clerk, self.other_clerk = (
            env["res.users"]
            .create(
                [
                    {
                        "name": name,
                        "login": name.lower().replace(" ", "."),
                        "groups_id": [(6, 0, [env.ref("account.group_account_invoice").id])],
                        "company_id": company.id,
                        "company_ids": [(6, 0, company.ids)],
                    }
                    for name in ("Casey Clerk", "Robin Runner")
                ]
            )
            .ids
        )
        self.aud = aud.id
        self.connection = (
            env["xero.connection"]
            .create(sandbox_connection(self.sandbox.url, company, send_attachments=False))
            .id
        )

    def fresh(self):
        """Before each test: the sandbox back to its seed, the connection authorised again (the
        seed forgets tokens and contacts), and the documents of earlier tests out of the way."""
        self.sandbox.reset()
        minted = self.control(
            "token", client_id=seed.DEMO_CLIENT_ID, tenant_ids=[seed.AU_TENANT_ID]
        )
        token = {k: minted[k] for k in ("access_token", "refresh_token", "token_type", "scope")}
        token["expires_at"] = int(time.time()) + minted["expires_in"]
        with self.env() as env:
            # Before any call: each call counts in the limits' rows, committed on their own.
            env["xero.connection"].browse(self.connection).partner_link_ids.unlink()
            env["xero.move.export"].search([]).unlink()
            env["xero.rate.limit"].search([]).unlink()
        with self.env() as env:
            connection = env["xero.connection"].browse(self.connection)
            connection._write_secret(token=token)
            connection._set_organisation(seed.AU_TENANT_ID, minted["connections"][0]["id"])
            rates = {rate.tax_type: rate for rate in connection.tax_rate_ids}
            connection.write(
                {
                    "state": "connected",
                    "send_attachments": False,
                    "background_threshold": 50,
                    "purchase_account_id": connection.account_ids.filtered(
                        lambda a: a.code == "310"
                    ).id,
                    "sales_account_id": connection.account_ids.filtered(
                        lambda a: a.code == "200"
                    ).id,
                    "tax_mapping_ids": [
                        (5, 0, 0),
                        (0, 0, {"tax_id": self.tax, "tax_rate_id": rates["INPUT"].id}),
                    ],
                }
            )

    # -- the sandbox

    def control(self, path, **payload):
        response = requests.post(
            f"{self.sandbox.url}/_sandbox/{path}", json=payload, timeout=SANDBOX_TIMEOUT * 3
        )
        response.raise_for_status()
        return response.json() if response.content else None

    def with_files(self, move_ids):
        """The documents' vendor scans, sent with them: each its own file, named after it."""
        with self.env() as env:
            env["xero.connection"].browse(self.connection).send_attachments = True
            for move in env["account.move"].browse(move_ids):
                move.message_main_attachment_id = env["ir.attachment"].create(
                    {
                        "name": f"{move.ref}.pdf",
                        "raw": b"%PDF-1.4 scanned " + move.ref.encode(),
                        "res_model": "account.move",
                        "res_id": move.id,
                    }
                )

    def held(self, kind):
        """What the sandbox's AU organisation holds of `kind` ("invoices", "attachments"...)."""
        response = requests.get(
            f"{self.sandbox.url}/_sandbox/state",
            params={"tenant_id": seed.AU_TENANT_ID},
            timeout=SANDBOX_TIMEOUT,
        )
        return response.json()["organisations"][0][kind]

    def attachments(self):
        return self.held("attachments")

    def invoices(self):
        return self.held("invoices")

    def requests(self, path, method):
        response = requests.get(f"{self.sandbox.url}/_sandbox/requests", timeout=SANDBOX_TIMEOUT)
        return [
            e for e in response.json()["requests"] if e["path"] == path and e["method"] == method
        ]

    # -- documents and sends

    def bills(self, vendor_name, count, prefix, invoice_date="2026-11-02"):
        """`count` posted bills of one vendor, numbered prefix-1... (their Xero numbers)."""
        with self.env() as env:
            vendor = env["res.partner"].create({"name": vendor_name})
            moves = env["account.move"].create(
                [
                    {
                        "move_type": "in_invoice",
                        "partner_id": vendor.id,
                        "invoice_date": invoice_date,
                        "ref": f"{prefix}-{n}",
                        "currency_id": self.aud,
                        "invoice_line_ids": [
                            (
                                0,
                                0,
                                {
                                    "name": "Coopers Pale Ale 24x375ml",
                                    "quantity": 2,
                                    "price_unit": 54.90,
                                    "tax_ids": [(6, 0, [self.tax])],
                                },
                            )
                        ],
                    }
                    for n in range(1, count + 1)
                ]
            )
            moves.action_post()
            return moves.ids

    def send(self, move_ids, action="invoice", uid=None):
        """Send as a user would (the clerk by default): the list action, then Ok. Returns
        {move id: (verdict, message)} from the result step."""
        with self.env(uid or self.clerk) as env:
            moves = env["account.move"].browse(move_ids)
            start = (
                moves.action_send_to_xero_invoice()
                if action == "invoice"
                else moves.action_retry_xero_failed()
            )
            wizard = env["xero.send.wizard"].browse(start["res_id"])
            if wizard.create_count or wizard.update_count:
                wizard.action_send()
            return {line.move_id.id: (line.verdict, line.message) for line in wizard.line_ids}

    def drain(self, worker_uid=SUPERUSER_ID):
        """Run the background job, as the cron would, until nothing queued is due."""
        for _run in range(50):
            with self.env(worker_uid) as env:
                Export = env["xero.move.export"]
                if not Export.search_count(
                    [("queued", "=", True), ("next_try_at", "<=", fields.Datetime.now())]
                ):
                    return
                Export._cron_send_queued()
        raise AssertionError("the queue never emptied")

    def exports(self, move_ids):
        """{move id: (xero_state, xero_id, xero_error)} as committed now."""
        with self.env() as env:
            return {
                move.id: (move.xero_state, move.xero_id, move.xero_error)
                for move in env["account.move"].browse(move_ids)
            }

    def assert_exactly_once(self, move_ids, prefix, states=("sent",)):
        """Every document is in Xero once, Odoo knows its Xero id, none is left sending."""
        held = [i for i in self.invoices() if (i.get("InvoiceNumber") or "").startswith(prefix)]
        counts = Counter(i["InvoiceNumber"] for i in held)
        assert [n for n, c in counts.items() if c > 1] == [], f"created twice: {counts}"
        assert len(held) == len(move_ids), f"{len(held)} in Xero for {len(move_ids)} documents"
        by_number = {i["InvoiceNumber"]: i["InvoiceID"] for i in held}
        with self.env() as env:
            for move in env["account.move"].browse(move_ids):
                assert move.xero_state in states, (move.ref, move.xero_state, move.xero_error)
                assert move.xero_id == by_number[move.ref], move.ref
            assert not env["xero.move.export"].search_count([("state", "=", "sending")])

    def odoo_process(self):
        """An Odoo shell on this database, as a separate process: it runs what is written to its
        standard input once that is closed."""
        return subprocess.Popen(
            [*ODOO, "shell", "-c", odoo.tools.config.rcfile, "-d", self.dbname, "--no-http"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )

    def kill_while_xero_holds(self, script):
        """Run `script` in an Odoo process, SIGKILL it while Xero holds its first held call
        (hold faults set by the caller), let Xero go on, and wait until PostgreSQL has let the
        dead worker's locks go."""
        worker = self.odoo_process()
        worker.stdin.write(
            "env.cr.execute('SELECT pg_backend_pid()')\n"
            "print('PID', env.cr.fetchone()[0], flush=True)\n" + script
        )
        worker.stdin.close()
        try:
            line = worker.stdout.readline()
            assert line.startswith("PID"), line
            assert self.control("faults", await_held=1, timeout=60)["await_held"]
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)
        finally:
            self.control("faults", hold=False)
        with self.env() as env:
            env.cr.execute("SELECT pg_terminate_backend(%s, 10000)", [int(line.split()[1])])

    def wait_until_blocked(self, cr):
        """Wait until a backend of this database waits for a lock (bounded; no sleep: each
        round is a query)."""
        deadline = time.monotonic() + BLOCKED_WAIT_SECONDS
        while time.monotonic() < deadline:
            # A transaction sees one snapshot of the activity unless told to take another.
            cr.execute("SELECT pg_stat_clear_snapshot()")
            cr.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cr.fetchone()[0]:
                return
        raise AssertionError("no worker waited for the lock")


@pytest.fixture(scope="module")
def world():
    committed = World(os.environ["XERO_COMMITTED_DB"])
    yield committed
    committed.close()


@pytest.fixture
def fresh(world):
    world.fresh()
    return world
