"""Upgrades. 18.0.1.1.0: documents sent with 18.0.1.0.0, whose Xero fields were columns of
account_move, keep what Xero has of them on their export record. 18.0.1.2.0: documents sent and
unchanged since stay unchanged under the new version. 18.0.1.3.0: files and allocations still to
do are queued."""

import glob
import os

from odoo import SUPERUSER_ID
from odoo.modules.migration import load_script
from odoo.tests import tagged
from odoo.tools import SQL, parse_version

from ..xero_sandbox import seed
from .test_amounts import XeroAmountsCase

# The Xero columns 18.0.1.0.0 kept on account_move.
ADD_OLD_COLUMNS = """
    ALTER TABLE account_move ADD COLUMN xero_connection_id int, ADD COLUMN xero_id varchar,
    ADD COLUMN xero_tenant_id varchar, ADD COLUMN xero_number varchar,
    ADD COLUMN xero_status varchar, ADD COLUMN xero_url varchar,
    ADD COLUMN xero_last_sent timestamp, ADD COLUMN xero_error text,
    ADD COLUMN xero_error_details text, ADD COLUMN xero_warning text,
    ADD COLUMN xero_payload_hash varchar, ADD COLUMN xero_attached boolean,
    ADD COLUMN xero_allocated boolean
"""
XERO_ID = "0b0a7a48-9d3e-4c2c-9a4f-1f2d3c4b5a60"
MIGRATIONS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")


@tagged("post_install", "-at_install")
class TestMigration(XeroAmountsCase):
    def _old(self, move, **values):
        columns = SQL(", ").join(
            SQL("%s = %s", SQL.identifier(name), value) for name, value in values.items()
        )
        self.env.cr.execute(SQL("UPDATE account_move SET %s WHERE id = %s", columns, move.id))

    def _sent_by_18_0_1_0_0(self, move, **values):
        """`move`, sent already, as 18.0.1.0.0 left it: no export record, its Xero fields in
        the columns of account_move (ADD_OLD_COLUMNS, added first), its file attached."""
        export = move.xero_export_id
        old = {
            "xero_state": "sent",
            "xero_connection_id": self.connection.id,
            "xero_id": export.xero_id,
            "xero_tenant_id": export.tenant_id,
            "xero_number": export.xero_number,
            "xero_status": export.xero_status,
            "xero_url": export.xero_url,
            "xero_payload_hash": export.version,
            "xero_attached": True,
            "xero_allocated": False,
            **values,
        }
        self.env.flush_all()
        self.env.cr.execute("DELETE FROM xero_move_export WHERE id = %s", [export.id])
        self._old(move, **old)
        self.env.invalidate_all()

    def _upgrade(self, installed):
        """Update from version `installed` as Odoo does: the post- scripts of every later
        version, versions in order, each version's scripts in the order of their file names."""
        for version in sorted(os.listdir(MIGRATIONS), key=parse_version):
            if parse_version(version) <= parse_version(installed):
                continue
            for path in sorted(glob.glob(os.path.join(MIGRATIONS, version, "post-*.py"))):
                name = f"account_xero_export/migrations/{version}/{os.path.basename(path)}"
                self.env.flush_all()
                load_script(name, "account_xero_export").migrate(self.env.cr, installed)
                self.env.invalidate_all()

    def test_sent_changed_and_failed_documents_carry_over(self):
        sent, changed, failed, untouched = (self.make_move(ref=f"MIG-{n}") for n in range(4))
        _problem, data = sent._xero_document_data(self.connection._xero_sending_setup())
        version = self.env["xero.export.batch"]._version(data)
        self.env.flush_all()
        self.env.cr.execute(ADD_OLD_COLUMNS)
        for move, state in ((sent, "sent"), (changed, "changed")):
            self._old(
                move,
                xero_state=state,
                xero_connection_id=self.connection.id,
                xero_id=XERO_ID if move == sent else XERO_ID.replace("0b", "1b", 1),
                xero_tenant_id=seed.AU_TENANT_ID,
                xero_number=move.ref,
                xero_status="DRAFT",
                xero_payload_hash=version,
                xero_attached=True,
            )
        self._old(failed, xero_state="error", xero_error="Xero refused it: no.")
        script = load_script(
            "account_xero_export/migrations/18.0.1.1.0/post-migrate.py", "account_xero_export"
        )
        script.migrate(self.env.cr, "18.0.1.0.0")
        self.env.invalidate_all()

        self.assertEqual(sent.xero_state, "sent")
        self.assertEqual(sent.xero_id, XERO_ID)
        self.assertEqual(sent.xero_export_id.version, version)
        self.assertEqual(sent.xero_export_id.tenant_id, seed.AU_TENANT_ID)
        self.assertEqual(changed.xero_state, "changed")
        self.assertTrue(changed.xero_export_id.changed)
        self.assertEqual(failed.xero_state, "error")
        self.assertEqual(failed.xero_error, "Xero refused it: no.")
        self.assertFalse(untouched.xero_export_ids)
        self.assertEqual(untouched.xero_state, "not_sent")
        self.env.cr.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'account_move' "
            "AND column_name IN ('xero_id', 'xero_payload_hash', 'xero_connection_id')"
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0, "the old columns are gone")
        _wizard, review = self.review(sent | changed)
        self.assertEqual(review[sent], ("skip", "Already in Xero, unchanged."))
        self.assertEqual(review[changed][0], "update", "updated in place, not created again")

    def test_typed_tracking_names_become_options_completed_from_xero(self):
        plan = self.env["account.analytic.plan"].create({"name": "Venues"})
        Analytic = self.env["account.analytic.account"]
        bondi = Analytic.create({"name": "Bondi", "plan_id": plan.id})
        nowhere = Analytic.create({"name": "Nowhere", "plan_id": plan.id})
        self.connection.tracking_option_ids.unlink()  # 18.0.1.1.0 read none from Xero
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            'ALTER TABLE xero_tracking_mapping ADD COLUMN category varchar, ADD COLUMN "option" '
            "varchar, ALTER COLUMN option_id DROP NOT NULL"
        )
        for analytic, category, option in (
            (bondi, "Venue", "Bondi"),
            (nowhere, "Region", "Nowhere"),
        ):
            cr.execute(
                SQL(
                    "INSERT INTO xero_tracking_mapping "
                    '(connection_id, company_id, analytic_account_id, category, "option") '
                    "VALUES (%s, %s, %s, %s, %s)",
                    self.connection.id,
                    self.connection.company_id.id,
                    analytic.id,
                    category,
                    option,
                )
            )
        script = load_script(
            "account_xero_export/migrations/18.0.1.2.0/post-10-tracking-options.py",
            "account_xero_export",
        )
        script.migrate(cr, "18.0.1.1.0")
        self.env.invalidate_all()

        mapped = {m.analytic_account_id: m.option_id for m in self.connection.tracking_mapping_ids}
        self.assertEqual(mapped[bondi].display_name, "Venue / Bondi")
        self.assertFalse(mapped[bondi].xero_id, "not read from Xero yet: sent as typed")
        cr.execute(
            "SELECT column_name, is_nullable FROM information_schema.columns "
            "WHERE table_name = 'xero_tracking_mapping' "
            "AND column_name IN ('category', 'option', 'option_id')"
        )
        self.assertEqual(cr.fetchall(), [("option_id", "NO")], "typed columns gone")
        self.connection._sync_chart()
        self.assertEqual(
            mapped[bondi].xero_id, seed.tracking_option_id(seed.AU_TENANT_ID, "Venue", "Bondi")
        )
        self.assertEqual(mapped[bondi].status, "ACTIVE")
        self.assertEqual(mapped[nowhere].status, "DELETED", "Xero has no such option")

    def test_unchanged_documents_stay_unchanged_under_the_new_version(self):
        unchanged, edited = self.make_move(ref="MIG-A"), self.make_move(ref="MIG-B")
        self.send(unchanged | edited)
        # As 18.0.1.1.0 left them: versions of its own making.
        (unchanged | edited).xero_export_id.sudo().version = "f" * 64
        edited.button_draft()
        edited.action_post()
        self.assertEqual(edited.xero_state, "changed")
        script = load_script(
            "account_xero_export/migrations/18.0.1.2.0/post-20-versions.py", "account_xero_export"
        )
        script.migrate(self.env.cr, "18.0.1.1.0")
        self.env.invalidate_all()

        _problem, data = unchanged._xero_document_data(self.connection._xero_sending_setup())
        self.assertEqual(
            unchanged.xero_export_id.version, self.env["xero.export.batch"]._version(data)
        )
        self.assertEqual(edited.xero_export_id.version, "f" * 64)
        _wizard, review = self.review(unchanged | edited)
        self.assertEqual(review[unchanged], ("skip", "Already in Xero, unchanged."))
        self.assertEqual(review[edited][0], "update")

    def test_tracked_documents_stay_unchanged_with_the_scripts_in_odoo_order(self):
        """Odoo runs a version's post- scripts in the order of their file names: the tracking
        options must exist before the versions are made again, or every tracked document sent
        before the update would read as changed and go to Xero again."""
        plan = self.env["account.analytic.plan"].create({"name": "Venues"})
        bondi = self.env["account.analytic.account"].create({"name": "Bondi", "plan_id": plan.id})
        option = self.connection.tracking_option_ids.filtered(
            lambda o: o.category == "Venue" and o.name == "Bondi"
        )
        self.connection.tracking_mapping_ids = [
            (0, 0, {"analytic_account_id": bondi.id, "option_id": option.id})
        ]
        bill = self.make_move(
            ref="MIG-T",
            lines=[
                {
                    "name": "Coopers Pale Ale 24x375ml",
                    "quantity": 3,
                    "price_unit": 54.90,
                    "analytic_distribution": {str(bondi.id): 100},
                }
            ],
        )
        self.send(bill)
        tracking = self.xero_documents()[0]["LineItems"][0]["Tracking"]
        self.assertEqual([(t["Name"], t["Option"]) for t in tracking], [("Venue", "Bondi")])
        # As 18.0.1.1.0 left the database at the post stage of the update: versions of its own
        # making, the typed names, option_id added and empty, no option read from Xero yet.
        bill.xero_export_id.sudo().version = "f" * 64
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            'ALTER TABLE xero_tracking_mapping ADD COLUMN category varchar, ADD COLUMN "option" '
            "varchar, ALTER COLUMN option_id DROP NOT NULL"
        )
        cr.execute(
            "UPDATE xero_tracking_mapping SET category = 'Venue', \"option\" = 'Bondi', "
            "option_id = NULL"
        )
        cr.execute("DELETE FROM xero_tracking_option")
        self.env.invalidate_all()
        self._upgrade("18.0.1.1.0")

        _wizard, review = self.review(bill)
        self.assertEqual(review[bill], ("skip", "Already in Xero, unchanged."))

    def test_a_file_18_0_1_0_0_did_not_attach_is_attached_after_the_upgrade(self):
        """18.0.1.0.0 left "Sent, but the file was not attached" on a document (xero_attached
        false) and never tried again. A file still to attach is now a step of the export record,
        which the queue retries until done: the upgrade carries it over, and queues it."""
        bill = self.scan(self.make_move(ref="MIG-FILE"), "bondi-9001.pdf")
        attached = self.scan(self.make_move(ref="MIG-DONE"), "bondi-9000.pdf")
        self.send(bill | attached)  # send_attachments is off: in Xero without their files
        self.env.flush_all()
        self.env.cr.execute(ADD_OLD_COLUMNS)
        self._sent_by_18_0_1_0_0(
            bill,
            xero_attached=False,
            xero_warning="Sent, but the file was not attached: Xero could not be reached.",
        )
        self._sent_by_18_0_1_0_0(attached)
        self.connection.send_attachments = True
        self._upgrade("18.0.1.0.0")

        export = bill.xero_export_id
        self.assertEqual(bill.xero_state, "sent")
        self.assertTrue(export.attachment_pending and export.queued and export.queued_steps_only)
        self.assertEqual(export.queued_by_id.id, SUPERUSER_ID, "18.0.1.0.0 kept no sender")
        self.assertFalse(
            attached.xero_export_id.attachment_pending or attached.xero_export_id.queued
        )
        self.run_queue()
        self.env.invalidate_all()
        self.assertEqual(
            [(a["document_id"], a["FileName"]) for a in self.xero_documents("attachments")],
            [(bill.xero_id, "bondi-9001.pdf")],
        )
        self.assertFalse(export.attachment_pending or export.queued)

    def test_a_credit_note_18_0_1_0_0_did_not_allocate_is_allocated_after_the_upgrade(self):
        """The 18.0.1.1.0 migration marked such a credit note's allocation pending but left it
        out of the queue: nothing allocated it, and Retry Failed does not offer it (it is sent)."""
        self.connection.invoice_status = "AUTHORISED"
        bill = self.make_move(ref="MIG-BILL")
        refund = self.reverse(bill, "Broken bottles")
        refund.action_post()
        # The credit note reached Xero before its bill: not allocated, as 18.0.1.0.0 left it.
        self.send(refund, "credit_note")
        self.send(bill)
        self.env.flush_all()
        self.env.cr.execute(ADD_OLD_COLUMNS)
        self._sent_by_18_0_1_0_0(bill)
        self._sent_by_18_0_1_0_0(
            refund,
            xero_warning=f"Sent, but not allocated to {bill.name}: Xero could not be reached.",
        )
        self._upgrade("18.0.1.0.0")

        export = refund.xero_export_id
        self.assertTrue(export.allocation_pending and export.queued)
        self.run_queue()
        self.env.invalidate_all()
        self.assertEqual(float(self.xero_document(bill)["AmountCredited"]), refund.amount_total)
        self.assertFalse(export.allocation_pending or export.queued)

    def test_a_file_left_pending_before_the_queue_is_attached_after_the_upgrade(self):
        """A database on 18.0.1.2.0 from before the background queue (which came with no new
        version) has documents whose file failed to attach: pending, and in no queue, which
        takes only what is queued. The update to 18.0.1.3.0 queues them, as whoever sent them."""
        self.connection.send_attachments = True
        bill = self.scan(self.make_move(ref="PRE-QUEUE"), "bondi-9002.pdf")
        self.sandbox_control(
            "faults", status={"code": 503, "count": 2, "path_prefix": "/api.xro/2.0/Invoices/"}
        )
        self.send(bill)
        self.sandbox_control("faults", clear=True)
        export = bill.xero_export_id
        self.assertTrue(export.attachment_pending)
        # As 18.0.1.2.0 before the queue left it: its file pending, out of any queue.
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE xero_move_export SET queued = false, queued_by_id = NULL, "
            "next_try_at = NULL, waiting_reason = NULL, queued_steps_only = false WHERE id = %s",
            [export.id],
        )
        self.env.invalidate_all()
        self.run_queue()
        self.assertFalse(self.xero_documents("attachments"), "nothing takes it by itself")
        self._upgrade("18.0.1.2.0")

        self.assertTrue(export.queued and export.queued_steps_only)
        self.assertEqual(export.queued_by_id, self.clerk, "the user who sent it")
        self.run_queue()
        self.env.invalidate_all()
        self.assertEqual(
            [(a["document_id"], a["FileName"]) for a in self.xero_documents("attachments")],
            [(bill.xero_id, "bondi-9002.pdf")],
        )
        self.assertFalse(export.attachment_pending or export.queued)
