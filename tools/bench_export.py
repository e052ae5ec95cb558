"""`make bench`: N posted bills exported to the sandbox through the user's action, at Xero's limits.

A benchmark, not a test: it prints one JSON line of figures and asserts nothing but sanity.

The database is a throwaway copy (tools/bench.sh makes and drops it) set up as the committed tests
set theirs up (tests/committed.py). The bills are created first, outside what is measured and by a
process of its own (what creating them leaves in memory is not the export's peak); then a
clerk sends them all (the list action, then the wizard's Send: more than one batch, so they are
queued) and the background job runs, as the cron would, in this process, until the queue is empty.
The sandbox runs in a process of its own (`python -m xero_sandbox`): it keeps every document and
file it is sent, and this process's memory is to be Odoo's.

Xero's limits are kept as they are (60 calls a minute, 5 at once, 5,000 a day) on both sides.
What keeps the run short is time: Odoo (through freezegun) and the sandbox (told through its
/_sandbox/clock) share one clock that runs at real speed, and when nothing is due the clock jumps
to the next document's next try, as if the cron had slept until then. `wall_s` is that clock's
time from the user's click to the queue's end: real work plus skipped waits.
"""

import argparse
import json
import platform
import random
import re
import resource
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import freezegun.api
import requests
from freezegun import freeze_time

import odoo
from odoo import SUPERUSER_ID, api, fields, sql_db
from odoo.modules.registry import Registry

VENDORS = 200
LINES = 5
CREATE_CHUNK = 250
PREFIX = "BENCH-"
MINUTE, DAY = 60, 24 * 60 * 60
# Odoo's ids, the sandbox's GUIDs and file names in paths: one endpoint whatever the document.
GUID = re.compile(r"/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?=/|$)", re.I)
FILE_NAME = re.compile(r"(/Attachments)/[^/]+$")
ADDON_DIR = Path(__file__).resolve().parent.parent


def scanned_pdf(size=10_000):
    """A valid PDF whose one stream is `size` bytes of noise, as a compressed scan is."""
    noise = random.Random(11).randbytes(size)
    body = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
        b"4 0 obj<</Length " + str(size).encode() + b">>stream\n" + noise + b"\nendstream endobj\n"
    )
    return body + b"trailer<</Root 1 0 R>>\n%%EOF\n"


def create_bills(registry, tax, currency, count, attach):
    """`count` posted bills of LINES lines over VENDORS vendors in `currency` with `tax`, each
    with the vendor's scan as its main attachment when `attach`; returns their ids."""
    pdf = scanned_pdf() if attach else None
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        vendors = env["res.partner"].create(
            [{"name": f"Bench Vendor {v:03d}", "is_company": True} for v in range(VENDORS)]
        )
        vendor_ids = vendors.ids
    ids = []
    for start in range(0, count, CREATE_CHUNK):
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            moves = env["account.move"].create(
                [
                    {
                        "move_type": "in_invoice",
                        "partner_id": vendor_ids[n % VENDORS],
                        "invoice_date": "2026-11-02",
                        "ref": f"{PREFIX}{n:05d}",
                        "currency_id": currency,
                        "invoice_line_ids": [
                            (
                                0,
                                0,
                                {
                                    "name": f"Line {line}",
                                    "quantity": line,
                                    "price_unit": 10.0 + n % 7,
                                    "tax_ids": [(6, 0, [tax])],
                                },
                            )
                            for line in range(1, LINES + 1)
                        ],
                    }
                    for n in range(start, min(start + CREATE_CHUNK, count))
                ]
            )
            moves.action_post()
            if pdf:
                scans = env["ir.attachment"].create(
                    [
                        {
                            "name": f"scan-{move.ref}.pdf",
                            "raw": pdf,
                            "mimetype": "application/pdf",
                            "res_model": "account.move",
                            "res_id": move.id,
                        }
                        for move in moves
                    ]
                )
                for move, scan in zip(moves, scans, strict=True):
                    move.message_main_attachment_id = scan
            ids += moves.ids
    return ids


class SandboxProcess:
    """The sandbox served by `python -m xero_sandbox` on a free port; what World asks of a sandbox
    in this process (its url, reset, stop) goes through its control endpoints."""

    def __init__(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "xero_sandbox", "--port", "0"],
            cwd=ADDON_DIR,
            stdout=subprocess.PIPE,
            text=True,
        )
        # Its first line, once the port is bound: "Xero sandbox at http://127.0.0.1:<port>".
        self.url = self.process.stdout.readline().split()[-1]

    def control(self, path, **payload):
        response = requests.post(f"{self.url}/_sandbox/{path}", json=payload, timeout=60)
        response.raise_for_status()
        return response.json()

    def reset(self):
        self.control("reset")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=60)
        self.process.stdout.close()


class Clock:
    """Odoo's clock (freezegun's patched datetime), at real speed but for the waits it skips, and
    the sandbox's set to it and jumped with it."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.freezer = freeze_time(fields.Datetime.now(), tick=True)
        self.factory = None
        self.skipped = 0.0

    def __enter__(self):
        # Every reading of the clock gets its time without freezegun looking through the
        # caller's stack for the modules it leaves on real time (threading, queue...), a cost of
        # the bench counted as Odoo's: those modules keep the real clocks they took when they
        # were loaded, which freezegun leaves alone when it starts.
        self.inspection_limit = freezegun.api.call_stack_inspection_limit
        freezegun.api.call_stack_inspection_limit = 0
        self.factory = self.freezer.start()
        self.sandbox.control("clock", set=self.now().isoformat())
        # The set-up's calls (organisation, accounts, taxes) leave Xero's minute first.
        self.jump_to(self.now() + timedelta(seconds=MINUTE + 1))
        self.skipped = 0.0
        return self

    def __exit__(self, *exc):
        self.freezer.stop()
        freezegun.api.call_stack_inspection_limit = self.inspection_limit

    def now(self):
        return self.factory()

    def jump_to(self, moment):
        delta = (moment - fields.Datetime.now()).total_seconds()
        if delta > 0:
            self.factory.time_to_freeze += timedelta(seconds=delta)
            # Both clocks run at real speed: moved by one delta, they stay together.
            self.sandbox.control("clock", advance=delta)
            self.skipped += delta


class Meter:
    """CPU time of this thread (Odoo's) and SQL queries, counted only while the export itself
    runs."""

    def __init__(self):
        self.cpu = 0.0
        self.queries = 0

    def run(self, work):
        cpu, queries = time.thread_time(), sql_db.sql_counter
        result = work()
        self.cpu += time.thread_time() - cpu
        self.queries += sql_db.sql_counter - queries
        return result


def reset_peak_rss():
    """Forget the peak of setting up (Linux: writing 5 to clear_refs resets VmHWM)."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        pass


def peak_rss_mb():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class Requests:
    """The requests the sandbox logged, counted as they are collected: its log is read and emptied
    after each run (it keeps 5,000 entries), and nothing of an entry is kept but its count."""

    def __init__(self, sandbox):
        self.url = sandbox.url + "/_sandbox/requests"
        self.api = Counter()  # Xero's endpoints, a document's ids and file names left out
        self.refused = 0  # 429s, counted in self.api too
        self.other = 0  # identity, connections

    def collect(self):
        for entry in requests.get(self.url, timeout=60).json()["requests"]:
            path = entry["path"]
            if not path.startswith("/api.xro/"):
                self.other += 1
                continue
            path = FILE_NAME.sub(r"\1/{name}", GUID.sub("/{id}", path))
            self.api[f"{entry['method']} {path.removeprefix('/api.xro/2.0/')}"] += 1
            self.refused += entry["status"] == 429
        requests.delete(self.url, timeout=60)


def rate_limit_floor(calls, minute_limit, day_limit):
    """Seconds from the first call to the last that the limits allow at best: call k goes no
    sooner than a minute after call k - minute_limit and a day after call k - day_limit (Xero's
    windows roll); calls are taken as instantaneous, so 5 at once never binds."""
    starts = []
    for k in range(calls):
        start = 0.0
        if k >= minute_limit:
            start = max(start, starts[k - minute_limit] + MINUTE)
        if k >= day_limit:
            start = max(start, starts[k - day_limit] + DAY)
        starts.append(start)
    return starts[-1] if starts else 0.0


def export(world, ids, meter, clock, made):
    """The clerk's send, then the cron's runs until nothing is queued, the requests each made
    collected into `made` (Requests). Returns the number of runs."""
    sent = meter.run(lambda: world.send(ids)).values()
    failed = [message for verdict, message in sent if verdict == "failed"]
    assert not failed, failed
    made.collect()  # what the send made itself (all of it, when it is one batch)
    runs = 0
    while True:
        with world.env() as env:
            Export = env["xero.move.export"]
            due = Export.search_count(
                [("queued", "=", True), ("next_try_at", "<=", fields.Datetime.now())]
            )
            later = Export.search([("queued", "=", True)], order="next_try_at", limit=1)
            next_try = later.next_try_at
        if due:
            meter.run(cron_run(world))
            runs += 1
            made.collect()
        elif next_try:
            clock.jump_to(next_try)
        else:
            break
    return runs


def cron_run(world):
    """One run of the job as Odoo's cron runner makes it: with a progress record in its context
    (made first, as the runner does, and not measured)."""
    with world.env(SUPERUSER_ID) as env:
        _cron, progress = env.ref("account_xero_export.ir_cron_xero_send")._add_progress()
        progress_id = progress.id

    def run():
        with world.env(SUPERUSER_ID) as env:
            Export = env["xero.move.export"].with_context(ir_cron_progress_id=progress_id)
            Export._cron_send_queued()

    return run


def outcome(world, ids, attach):
    state = requests.get(
        world.sandbox.url + "/_sandbox/state",
        params={"tenant_id": world.sandbox_tenant},
        timeout=120,
    ).json()["organisations"][0]
    numbers = Counter(
        i["InvoiceNumber"] for i in state["invoices"] if i["InvoiceNumber"].startswith(PREFIX)
    )
    attached = {a["document_id"] for a in state["attachments"]}
    with world.env() as env:
        moves = env["account.move"].browse(ids)
        failures = sum(move.xero_state != "sent" for move in moves)
        missing = sum(bool(attach) and move.xero_id not in attached for move in moves)
        with_files = sum(bool(move.message_main_attachment_id) for move in moves)
    return {
        "duplicates": sum(c - 1 for c in numbers.values()),
        "failures": failures,
        "attachments_missing": missing,
        "documents_with_files": with_files,
    }


def create_apart(args, world):
    """The bills, created by this script in a process of its own: what creating them leaves in a
    process's memory is not the export's."""
    command = [sys.executable, __file__, "--config", args.config, "--database", args.database]
    command += ["-n", str(args.n), "--attach", str(args.attach)]
    created = subprocess.run(
        [*command, "--create", f"{world.tax},{world.aud}"],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(created.stdout.splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("--attach", type=int, default=1)
    parser.add_argument("--create", metavar="TAX,CURRENCY", help="only create the bills")
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database, "--log-level=warn"])
    odoo.netsvc.init_logger()
    if args.create:
        tax, currency = map(int, args.create.split(","))
        print(json.dumps(create_bills(Registry(args.database), tax, currency, args.n, args.attach)))
        return
    # Imported once Odoo knows its addons path: the committed tests' world is the bench's too,
    # and Odoo's test framework with it, which says so as an error outside test mode.
    odoo.tools.config["test_enable"] = True
    from odoo.addons.account_xero_export.tests.committed import World
    from odoo.addons.account_xero_export.xero_sandbox import seed

    odoo.tools.config["test_enable"] = False

    sandbox = SandboxProcess()
    try:
        world = World(args.database, sandbox)
        world.sandbox_tenant = seed.AU_TENANT_ID
        world.fresh()
        with world.env() as env:
            connection = env["xero.connection"].browse(world.connection)
            connection.send_attachments = bool(args.attach)
            daily_limit = connection.daily_call_limit
        limits = requests.get(world.sandbox.url + "/_sandbox/settings", timeout=10).json()
        started = time.perf_counter()
        ids = create_apart(args, world)
        created_s = time.perf_counter() - started
        requests.delete(world.sandbox.url + "/_sandbox/requests", timeout=10)
        reset_peak_rss()
        meter = Meter()
        made = Requests(sandbox)
        real = time.perf_counter
        with Clock(sandbox) as clock:
            began, real_began = clock.now(), real()
            runs = export(world, ids, meter, clock, made)
            wall = (clock.now() - began).total_seconds()
            real_s = real() - real_began
        peak = peak_rss_mb()  # before the outcome: checking it reads all the documents at once
        calls = made.api.total()
        floor = rate_limit_floor(
            calls - made.refused, limits["minute_limit"], min(limits["day_limit"], daily_limit)
        )
        figures = outcome(world, ids, args.attach)
        print(
            json.dumps(
                {
                    "n_documents": len(ids),
                    "documents_with_files": figures["documents_with_files"],
                    "api_calls": {
                        "total": calls,
                        **dict(sorted(made.api.items())),
                        "refused_429": made.refused,
                        "other_requests": made.other,
                    },
                    "rate_limit_floor_s": round(floor, 1),
                    "wall_s": round(wall, 1),
                    "wall_over_floor": round(wall / floor, 3) if floor else None,
                    "odoo_cpu_ms_per_document": round(meter.cpu * 1000 / len(ids), 2),
                    "sql_queries_per_document": round(meter.queries / len(ids), 2),
                    "peak_rss_mb": peak,
                    "duplicates": figures["duplicates"],
                    "failures": figures["failures"],
                    "attachments_missing": figures["attachments_missing"],
                    "limits": {
                        "minute": limits["minute_limit"],
                        "day": min(limits["day_limit"], daily_limit),
                        "at_once": limits["concurrent_limit"],
                        "scaled": False,
                    },
                    "clock": {"real_s": round(real_s, 1), "skipped_s": round(clock.skipped, 1)},
                    "cron_runs": runs,
                    "create_bills_s": round(created_s, 1),
                    # The CPU figure moves with the interpreter's build (see the README).
                    "python": f"{platform.python_version()} {Path(sys.executable).resolve()}",
                }
            ),
            flush=True,
        )
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
