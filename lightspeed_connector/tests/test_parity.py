# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Daily parity, catch-up after a pause, the authoriser watch and the links back to
Lightspeed, against the simulator.

The test methods are numbered: the simulator keeps what a test adds to it (Odoo rolls back),
so the order in which they touch it is fixed.
"""

from datetime import datetime, timedelta, timezone

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from ..tools import business_date, business_day_bounds
from .test_sale_import import SaleImportCommon


@tagged("post_install", "-at_install")
class TestParity(SaleImportCommon):
    simulator_args = ("--seed", "11", "--sales", "220", "--days", "6")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.first_run = cls.import_sales_cls()
        cls.shops = cls.backend.shop_ids.filtered("import_enabled").sorted("lightspeed_id")
        today = fields.Date.context_today(cls.backend)
        # Fully imported days (first import: 5 days), the last two inside the correction window.
        cls.date_from, cls.date_to = today - timedelta(days=4), today - timedelta(days=1)

    @classmethod
    def import_sales_cls(cls):
        return cls.env["lightspeed.sale.importer"]._run(cls.backend)

    def check(self):
        red = self.backend.action_check_parity(
            fields.Date.to_string(self.date_from), fields.Date.to_string(self.date_to)
        )
        parity = self.env["lightspeed.parity"].search(
            [
                ("backend_id", "=", self.backend.id),
                ("business_date", ">=", self.date_from),
                ("business_date", "<=", self.date_to),
            ]
        )
        return red, parity

    def red_keys(self, parity):
        return {(p.shop_id, p.business_date) for p in parity if p.state == "mismatch"}

    def local_noon(self, shop, day):
        start, end = business_day_bounds(day, shop.get_zoneinfo(), self.backend.day_cutoff_hour)
        return start + (end - start) / 2

    # === 1. PARITY === #

    def test_1_deleted_order_and_late_sale_make_exactly_those_days_red(self):
        self.assertEqual(self.first_run.state, "done")
        red, parity = self.check()
        self.assertEqual(
            red, 0, "\n".join(parity.filtered("mismatch_reason").mapped("mismatch_reason"))
        )
        self.assertTrue(parity and all(p.state == "ok" for p in parity))
        self.assertEqual(set(parity.mapped("source")), {"staged", "fresh"})
        self.assertTrue(all(p.lightspeed_count == p.odoo_count for p in parity))
        self.assertEqual(self.backend.parity_red_count, 0)

        # An order of yesterday (a day the correction window re-read) disappears from Odoo.
        shop_a, shop_b = self.shops[0], self.shops[-1]
        yesterday = self.date_to
        victim = self.env["pos.order"].search(
            [
                ("lightspeed_backend_id", "=", self.backend.id),
                ("lightspeed_shop_id", "=", shop_a.id),
                ("lightspeed_business_date", "=", yesterday),
                ("lightspeed_kind", "=", "sale"),
            ]
        )
        victim = victim.filtered(lambda o: not o.lines.refund_orderline_ids)[:1]
        self.assertTrue(victim)
        victim_sale, victim_total = victim.lightspeed_sale_id, victim.amount_total
        self.env.flush_all()
        self.env.cr.execute("DELETE FROM pos_payment WHERE pos_order_id = %s", [victim.id])
        self.env.cr.execute("DELETE FROM pos_order_line WHERE order_id = %s", [victim.id])
        self.env.cr.execute("DELETE FROM pos_order WHERE id = %s", [victim.id])
        self.env.invalidate_all()

        # A sale is added in Lightspeed to a day three days back (outside the window).
        old_day = self.date_to - timedelta(days=2)
        moment = self.local_noon(shop_b, old_day).replace(tzinfo=timezone.utc)
        added = self.simulator.admin(
            "add_sales", count=1, shop_id=shop_b.lightspeed_id, complete_time=moment.timestamp()
        )["sale_ids"]

        red, parity = self.check()
        self.assertEqual(red, 2)
        self.assertEqual(self.red_keys(parity), {(shop_a, yesterday), (shop_b, old_day)})
        self.assertEqual(self.backend.parity_red_count, 2)
        day_a = parity.filtered(lambda p: p.shop_id == shop_a and p.business_date == yesterday)
        day_b = parity.filtered(lambda p: p.shop_id == shop_b and p.business_date == old_day)
        self.assertEqual(day_a.source, "staged")
        self.assertEqual(day_b.source, "fresh")
        self.assertEqual(day_a.count_difference, -1)
        self.assertAlmostEqual(day_a.total_difference, -victim_total, places=2)
        self.assertEqual(day_b.count_difference, -1)
        self.assertIn("Sales: ", day_a.mismatch_reason)
        self.assertTrue(day_a.activity_ids, "a red day gets an activity for the administrators")
        # The nightly check (correction window) sees the red day of the window.
        window = self.backend._check_parity_window()
        self.assertIn(day_a, window.filtered(lambda p: p.state == "mismatch"))

        # Re-import day turns both green again, with the deleted and the added sale back.
        (day_a | day_b).action_reimport()
        self.assertEqual((day_a | day_b).mapped("state"), ["ok", "ok"])
        self.assertFalse(day_a.activity_ids, "the activity is done once the day is green")
        self.assertTrue(self.orders_of(victim_sale))
        self.assertTrue(self.orders_of(added[0]))
        red, parity = self.check()
        self.assertEqual(red, 0)
        self.assertEqual(self.backend.parity_red_count, 0)

    # === 2. CATCH-UP === #

    def test_2_shop_paused_three_days_gets_exactly_the_missed_sales(self):
        shop = self.shops[0]
        shop.import_enabled = False
        self.assertTrue(shop.import_paused_at)
        now = datetime.now(timezone.utc)
        missed = []
        for days_ago in (3, 2, 1):
            missed += self.simulator.admin(
                "add_sales",
                count=1,
                shop_id=shop.lightspeed_id,
                complete_time=(now - timedelta(days=days_ago, hours=-1)).timestamp(),
            )["sale_ids"]
        # The hourly runs while the shop is off import nothing of it.
        self.import_sales()
        self.assertFalse(any(self.orders_of(sale_id) for sale_id in missed))
        # It was switched off three days ago (the test cannot wait that long).
        paused = fields.Datetime.now() - timedelta(days=3, hours=1)
        shop.import_paused_at = paused
        shop.import_enabled = True
        self.assertEqual(shop.catch_up_from, paused.date())

        before = self.env["pos.order"].search([("lightspeed_backend_id", "=", self.backend.id)])
        run = self.import_sales()
        self.assertEqual(run.state, "done")
        new = self.env["pos.order"].search(
            [("lightspeed_backend_id", "=", self.backend.id), ("id", "not in", before.ids)]
        )
        self.assertEqual(sorted(new.mapped("lightspeed_sale_id")), sorted(missed))
        self.assertEqual(run.created_count, 3)
        self.assertIn(f"{shop.name}: caught up the days {paused.date()}", run.message)
        self.assertFalse(shop.catch_up_from, "the catch-up is done once")
        run = self.import_sales()
        self.assertEqual(run.created_count, 0)
        self.assertNotIn("caught up", run.message)

    def test_2_backend_back_in_connected_catches_up_bounded(self):
        backend = self.backend
        backend.catch_up_days = 31
        backend.action_disable()
        self.assertTrue(backend.paused_at)
        backend.paused_at = fields.Datetime.now() - timedelta(days=60)
        backend.action_enable()
        self.assertEqual(backend.state, "connected")
        today = fields.Date.context_today(backend)
        self.assertEqual(backend.catch_up_from, today - timedelta(days=31), "bounded by 31 days")
        backend.write({"catch_up_from": today - timedelta(days=2)})
        run = self.import_sales()
        self.assertEqual(run.state, "done")
        self.assertIn("caught up the days", run.message)
        self.assertFalse(backend.catch_up_from)

    # === 3. AUTHORISER WATCH === #

    def test_3_archived_or_locked_authoriser_raises_the_warning(self):
        backend = self.backend
        state = self.simulator.admin("state")
        self.assertEqual(backend.authorizer_lightspeed_id, state["authorizing_employee_id"])
        self.assertFalse(backend.authorizer_warning)
        # Lightspeed's real accounts keep the token a while after the authoriser is archived;
        # the simulator revokes it at once. Watch another employee to see the warning come
        # before the revocation, then the real authoriser to see the revocation.
        watched = backend.employee_ids.filtered(
            lambda e: not e.remote_archived and not e.locked and e.lightspeed_id != "1"
        )[:1]
        backend.authorizer_lightspeed_id = watched.lightspeed_id
        self.addCleanup(
            self.simulator.admin,
            "archive_employee",
            employee_id=watched.lightspeed_id,
            archived=False,
        )
        self.simulator.admin("archive_employee", employee_id=watched.lightspeed_id)
        backend.action_sync_metadata()
        self.assertIn("archived", backend.authorizer_warning)
        self.assertIn(watched.name, backend.authorizer_warning)
        summary = backend._authorizer_summary()
        activity = backend.activity_ids.filtered(lambda a: a.summary == summary)
        self.assertEqual(len(activity), 1)
        self.assertTrue(backend.message_ids.filtered(lambda m: m.subject == summary))
        backend.action_sync_metadata()
        self.assertEqual(len(backend.activity_ids.filtered(lambda a: a.summary == summary)), 1)

        self.simulator.admin("archive_employee", employee_id=watched.lightspeed_id, archived=False)
        self.simulator.admin("lock_employee", employee_id=watched.lightspeed_id)
        self.addCleanup(
            self.simulator.admin, "lock_employee", employee_id=watched.lightspeed_id, locked=False
        )
        backend.action_sync_metadata()
        self.assertIn("locked out", backend.authorizer_warning)
        self.simulator.admin("lock_employee", employee_id=watched.lightspeed_id, locked=False)
        backend.action_sync_metadata()
        self.assertFalse(backend.authorizer_warning)
        self.assertFalse(backend.activity_ids.filtered(lambda a: a.summary == summary))

    # === 4. LINKS BACK === #

    def test_4_links_open_the_sale_and_shift_in_lightspeed(self):
        backend = self.backend
        backend.backoffice_url = "https://backoffice.example.com/"
        order = self.env["pos.order"].search(
            [("lightspeed_backend_id", "=", backend.id), ("lightspeed_kind", "=", "sale")],
            limit=1,
        )
        expected = (
            "https://backoffice.example.com/?name=transaction.views.transaction&form_name=view"
            f"&id={order.lightspeed_sale_id}&accountID={backend.account_id}"
        )
        self.assertEqual(order.lightspeed_url, expected)
        self.assertEqual(
            order.action_open_lightspeed(),
            {"type": "ir.actions.act_url", "url": expected, "target": "new"},
        )
        record = self.env["lightspeed.sync.record"].search(
            [("res_model", "=", "pos.order"), ("res_id", "=", order.id)]
        )
        self.assertEqual(record.lightspeed_url, expected)
        attendance = self.env["hr.attendance"].create(
            {
                "employee_id": self.cashier.id,
                "check_in": fields.Datetime.now() - timedelta(hours=3),
                "check_out": fields.Datetime.now() - timedelta(hours=1),
                "lightspeed_backend_id": backend.id,
                "lightspeed_id": "4711",
            }
        )
        self.assertEqual(
            attendance.lightspeed_url,
            "https://backoffice.example.com/?name=employee.views.hours&form_name=view&id=4711"
            f"&accountID={backend.account_id}",
        )
        manual = self.env["pos.order"].new({})
        self.assertFalse(manual.lightspeed_url)
        with self.assertRaises(UserError):
            manual.action_open_lightspeed()

    def test_0_business_day_helper_consistency(self):
        shop = self.shops[0]
        day = self.date_to
        noon = self.local_noon(shop, day)
        self.assertEqual(business_date(noon, shop.get_zoneinfo()), day)
