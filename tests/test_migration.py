"""Upgrades. 18.0.1.1.0: documents sent with 18.0.1.0.0, whose Xero fields were columns of
account_move, keep what Xero has of them on their export record. 18.0.1.2.0: documents sent and
unchanged since stay unchanged under the new version."""

import glob
import os

from odoo.modules.migration import load_script
from odoo.tests import tagged
from odoo.tools import SQL

from ..xero_sandbox import seed
from .test_send import XeroSendCase

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


@tagged("post_install", "-at_install")
class TestMigration(XeroSendCase):
    def _old(self, move, **values):
        columns = SQL(", ").join(
            SQL("%s = %s", SQL.identifier(name), value) for name, value in values.items()
        )
        self.env.cr.execute(SQL("UPDATE account_move SET %s WHERE id = %s", columns, move.id))

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
        here = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations", "18.0.1.2.0")
        for path in sorted(glob.glob(os.path.join(here, "post-*.py"))):
            name = f"account_xero_export/migrations/18.0.1.2.0/{os.path.basename(path)}"
            load_script(name, "account_xero_export").migrate(cr, "18.0.1.1.0")
            self.env.invalidate_all()

        _wizard, review = self.review(bill)
        self.assertEqual(review[bill], ("skip", "Already in Xero, unchanged."))
