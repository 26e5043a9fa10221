# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from ..tools import business_date
from .common import LightspeedCommon

CLIENT_LOGGER = "odoo.addons.lightspeed_connector.api.client"


class SaleImportCommon(LightspeedCommon):
    """A connected backend with every shop mapped and importing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        backend = cls.backend
        cls.departments = cls.connect_and_map_shops()
        backend.write({"initial_import_days": 5, "correction_window_days": 2})
        backend.payment_type_ids.action_create_payment_methods()
        cls.cashier = cls.env["hr.employee"].create({"name": "Mapped cashier"})
        cls.mapped_employee = backend.employee_ids.filtered(lambda e: not e.remote_archived)[:1]
        cls.mapped_employee.employee_id = cls.cashier

    def lightspeed_sales(self, **params):
        """What Lightspeed holds, read independently of the importer."""
        client = self.backend._get_client()
        return list(
            client.iter_sales(shop_ids=self.backend.shop_ids.mapped("lightspeed_id"), **params)
        )

    def orders_of(self, sale_id):
        return self.env["pos.order"].search(
            [("lightspeed_backend_id", "=", self.backend.id), ("lightspeed_sale_id", "=", sale_id)]
        )

    def import_sales(self):
        return self.env["lightspeed.sale.importer"]._run(self.backend)


@tagged("post_install", "-at_install")
class TestSaleImport(SaleImportCommon):
    simulator_args = ("--seed", "5", "--sales", "260", "--days", "4")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.first_run = cls.env["lightspeed.sale.importer"]._run(cls.backend)

    def test_totals_per_shop_and_day_equal_lightspeed(self):
        run = self.first_run
        self.assertEqual(run.state, "done")
        self.assertGreater(run.fetched_count, 200, "several pages were fetched")
        self.assertGreater(run.created_count, 150)
        self.assertLessEqual(run.request_count, 12 * run.fetched_count / 1000 + 8)
        errors = self.env["lightspeed.sync.record"].search(
            [("backend_id", "=", self.backend.id), ("state", "=", "error")]
        )
        self.assertFalse(errors, errors.mapped("error_message"))
        since = datetime.now(timezone.utc) - timedelta(days=5)
        expected = defaultdict(Decimal)
        for sale in self.lightspeed_sales(completed_from=since):
            if sale.voided:
                continue
            shop = self.backend.shop_ids.filtered(
                lambda s, sale=sale: s.lightspeed_id == sale.shop_id
            )
            day = business_date(sale.complete_time, ZoneInfo(shop.timezone))
            expected[(shop.id, day)] += sale.total
        actual = defaultdict(Decimal)
        for order in self.env["pos.order"].search(
            [("lightspeed_backend_id", "=", self.backend.id)]
        ):
            key = (order.lightspeed_shop_id.id, order.lightspeed_business_date)
            actual[key] += Decimal(str(order.amount_total))
        self.assertEqual(set(expected), set(actual))
        for key, total in expected.items():
            self.assertAlmostEqual(float(actual[key]), float(total), places=2, msg=str(key))

    def test_orders_carry_lightspeed_semantics(self):
        orders = self.env["pos.order"].search([("lightspeed_backend_id", "=", self.backend.id)])
        self.assertTrue(all(o.state in ("paid", "done") for o in orders))
        split = orders.filtered(lambda o: len(o.payment_ids) > 1)
        self.assertTrue(split, "split tenders become several payments")
        refunds = orders.filtered(lambda o: o.lightspeed_kind == "refund")
        self.assertTrue(refunds)
        self.assertTrue(all(o.amount_total < 0 for o in refunds))
        linked = refunds.lines.filtered("refunded_orderline_id")
        self.assertTrue(linked, "refund lines point at the original line when it was imported")
        for line in linked:
            self.assertEqual(
                line.refunded_orderline_id.order_id.lightspeed_backend_id, self.backend
            )
        self.assertTrue(orders.lines.filtered(lambda line: line.discount > 0), "discounts are kept")
        misc = self.env.ref("lightspeed_connector.product_lightspeed_misc")
        misc_lines = orders.lines.filtered(lambda line: line.product_id == misc)
        self.assertTrue(misc_lines and all(misc_lines.mapped("full_product_name")))
        sample = orders.filtered(lambda o: o.lightspeed_kind == "sale")[:1]
        payload = self.env["lightspeed.sync.record"].search(
            [("res_model", "=", "pos.order"), ("res_id", "=", sample.id)]
        )
        self.assertEqual(sample.pos_reference, payload.payload["ticketNumber"])
        self.assertEqual(
            sample.date_order,
            fields.Datetime.to_datetime(payload.payload["completeTime"][:19].replace("T", " ")),
        )
        for shop in self.backend.shop_ids.filtered("import_enabled"):
            shop_orders = orders.filtered(lambda o, shop=shop: o.lightspeed_shop_id == shop)
            self.assertEqual(shop_orders.config_id, shop.pos_config_id)
            self.assertEqual(shop_orders.lightspeed_department_id, shop.department_id)

    def test_pos_orders_analysis_shows_imports(self):
        mapped_id = self.mapped_employee.lightspeed_id
        orders = self.env["pos.order"].search(
            [("lightspeed_backend_id", "=", self.backend.id), ("employee_id", "=", self.cashier.id)]
        )
        self.assertTrue(orders, f"sales of Lightspeed employee {mapped_id} have a cashier")
        self.env.flush_all()
        rows = self.env["report.pos.order"].search([("order_id", "in", orders.ids)])
        self.assertTrue(rows)
        self.assertEqual(rows.employee_id, self.cashier)
        self.assertEqual(set(rows.config_id.ids), set(orders.config_id.ids))
        groups = self.env["report.pos.order"]._read_group(
            [("order_id", "in", orders.ids)], ["date:hour"], ["price_total:sum"]
        )
        self.assertTrue(groups, "the analysis groups imported orders by hour")

    def test_sessions_close_balanced_per_business_day(self):
        sessions = self.env["pos.session"].search(
            [("lightspeed_shop_id.backend_id", "=", self.backend.id)]
        )
        closed = sessions.filtered(lambda s: s.state == "closed")
        self.assertTrue(closed, "past business days are closed")
        for session in closed:
            self.assertEqual(session.move_id.state, "posted")
            self.assertEqual(session.move_id.date, session.lightspeed_business_date)
            lines = session.move_id.line_ids
            self.assertAlmostEqual(sum(lines.mapped("debit")), sum(lines.mapped("credit")), 2)
            self.assertFalse(
                session.statement_line_ids.filtered(lambda st: "Loss" in (st.payment_ref or "")),
                "counted cash equals expected cash: no bogus loss",
            )
            self.assertTrue(all(o.state == "done" for o in session.order_ids))
        open_days = sessions.filtered(lambda s: s.state == "opened")
        for session in open_days:
            shop = session.lightspeed_shop_id
            today = business_date(fields.Datetime.now(), shop.get_zoneinfo())
            self.assertEqual(session.lightspeed_business_date, today, "only today stays open")
        by_day = defaultdict(int)
        for session in sessions:
            by_day[(session.config_id.id, session.lightspeed_business_date)] += 1
        self.assertEqual(max(by_day.values()), 1, "one session per shop per business day")

    def test_a_run_reads_payloads_a_chunk_at_a_time(self):
        """Whole-run reads (states, keys, the items of every sale) leave the payloads in the
        database: only a chunk's payloads are ever in memory, whatever the run's size."""
        records = self.env["lightspeed.sync.record"].search(
            [("backend_id", "=", self.backend.id), ("record_type", "=", "sale")]
        )
        self.assertGreater(len(records), 200)
        self.env.invalidate_all()
        records.mapped("state")
        self.env["lightspeed.item"]._prefetch_sale_items(records)
        payload = records._fields["payload"]
        self.assertFalse([r.id for r in records if self.env.cache.contains(r, payload)])
        records[:3].mapped("payload")
        self.assertEqual(len([r for r in records if self.env.cache.contains(r, payload)]), 3)

    def test_rerun_changes_nothing(self):
        count = self.env["pos.order"].search_count(
            [("lightspeed_backend_id", "=", self.backend.id)]
        )
        run = self.import_sales()
        errors = self.env["lightspeed.sync.record"].search(
            [("backend_id", "=", self.backend.id), ("state", "=", "error")]
        )
        self.assertEqual(run.created_count, 0)
        self.assertEqual(run.updated_count, 0)
        self.assertEqual(run.failed_count, 0, errors.mapped("error_message"))
        self.assertEqual(
            self.env["pos.order"].search_count([("lightspeed_backend_id", "=", self.backend.id)]),
            count,
        )

    def test_weekly_balance_equals_imported_orders(self):
        orders = self.env["pos.order"].search([("lightspeed_backend_id", "=", self.backend.id)])
        gross = self.env["lightspeed.weekly.balance.line"].search(
            [
                ("data_type", "=", "gross_sales"),
                ("department_id", "in", orders.lightspeed_department_id.ids),
            ]
        )
        self.assertTrue(gross, "the import refreshed the weekly balance")
        expected = defaultdict(float)
        for order in orders:
            expected[(order.lightspeed_department_id.id, order.lightspeed_business_date)] += (
                order.amount_total
            )
        actual = {(line.department_id.id, line.date): line.actual for line in gross}
        for key, total in expected.items():
            self.assertAlmostEqual(actual.get(key, 0.0), total, 2, msg=str(key))

    def test_voided_before_import_is_skipped(self):
        records = self.env["lightspeed.sync.record"].search(
            [("backend_id", "=", self.backend.id), ("state", "=", "skipped")]
        )
        self.assertTrue(records, "the simulated history has sales voided before import")
        self.assertIn("voided", records[0].error_message)
        self.assertFalse(self.orders_of(records[0].lightspeed_id))


@tagged("post_install", "-at_install")
class TestSaleCorrections(SaleImportCommon):
    """Voids and edits change the simulator's data: they get a simulator of their own."""

    simulator_args = ("--seed", "21", "--sales", "90", "--days", "3")

    def setUp(self):
        super().setUp()
        self.import_sales()

    def errors(self):
        return (
            self.env["lightspeed.sync.record"]
            .search([("backend_id", "=", self.backend.id), ("state", "=", "error")])
            .mapped("error_message")
        )

    def test_void_after_import_reverses_once(self):
        sale_id = self.simulator.admin("find_sales", kind="normal", limit=200)["sale_ids"][-1]
        original = self.orders_of(str(sale_id))
        self.assertEqual(len(original), 1)
        self.simulator.admin("void_sale", sale_id=sale_id, reason="Wrong customer")
        self.import_sales()
        self.import_sales()
        orders = self.orders_of(str(sale_id))
        reversal = orders.filtered(lambda o: o.lightspeed_kind == "void")
        self.assertEqual(len(reversal), 1, "exactly one reversal, however often it runs")
        self.assertAlmostEqual(reversal.amount_total, -original.amount_total, 2)
        self.assertAlmostEqual(sum(orders.mapped("amount_total")), 0.0, 2)
        self.assertIn(original.state, ("paid", "done"), "the imported order is never edited")

    def test_edit_of_a_closed_day_is_corrected_today(self):
        sale_id = self.settled_sale()
        before = self.orders_of(str(sale_id))
        self.assertEqual(before.session_id.state, "closed", "its business day is over")
        edited = self.simulator.admin("edit_sale", sale_id=sale_id, line_index=0, unit_quantity=3)
        run = self.import_sales()
        self.assertEqual(run.updated_count, 1, self.errors())
        after = self.orders_of(str(sale_id))
        self.assertAlmostEqual(sum(after.mapped("amount_total")), float(edited["total"]), 2)
        self.assertEqual(len(after), 2, "the paid order stays; one correction order is added")
        correction = after - before
        self.assertEqual(correction.lightspeed_kind, "correction")
        shop = before.lightspeed_shop_id
        today = business_date(fields.Datetime.now(), ZoneInfo(shop.timezone))
        self.assertEqual(correction.lightspeed_business_date, today)
        self.assertEqual(correction.session_id.lightspeed_business_date, today)
        self.assertEqual(self.import_sales().updated_count, 0)

    def test_edit_of_an_open_day_is_corrected_in_that_day(self):
        [sale_id] = self.simulator.admin("add_sales", count=1)["sale_ids"]
        self.import_sales()
        before = self.orders_of(sale_id)
        self.assertEqual(before.session_id.state, "opened", "completed just now: its day is on")
        edited = self.simulator.admin("edit_sale", sale_id=sale_id, line_index=0, unit_quantity=2)
        self.assertEqual(self.import_sales().updated_count, 1, self.errors())
        correction = self.orders_of(sale_id) - before
        self.assertAlmostEqual(
            before.amount_total + correction.amount_total, float(edited["total"]), 2
        )
        self.assertEqual(correction.session_id, before.session_id, "same open day")
        self.assertEqual(correction.lightspeed_business_date, before.lightspeed_business_date)

    def settled_sale(self):
        """A sale of a closed day inside the correction window whose stamps lie well before
        the cursor (outside the incremental query's overlap)."""
        now = datetime.now(timezone.utc)
        for sale_id in reversed(
            self.simulator.admin("find_sales", kind="normal", limit=200)["sale_ids"]
        ):
            sale = self.simulator.admin("get_sale", sale_id=sale_id)["sale"]
            completed = datetime.fromisoformat(sale["completeTime"])
            stamp = datetime.fromisoformat(sale["timeStamp"])
            # Over 26 hours ago: before today in every shop's zone, so its day is closed.
            if timedelta(hours=26) < now - completed < timedelta(hours=46) and (
                now - stamp > timedelta(hours=1)
            ):
                return sale_id
        raise AssertionError("the simulator has no settled sale inside the window")

    def test_void_without_new_stamps_is_reversed_by_the_window(self):
        """Whether a void moves Lightspeed's change stamps is not documented: the correction
        window re-reads the sales completed inside it on every run, whatever the stamps."""
        sale_id = self.settled_sale()
        original = self.orders_of(str(sale_id))
        self.assertEqual(len(original), 1)
        self.simulator.admin("void_sale", sale_id=sale_id, keep_stamps=True)
        run = self.import_sales()
        self.assertEqual(run.updated_count, 1, self.errors())
        reversal = self.orders_of(str(sale_id)).filtered(lambda o: o.lightspeed_kind == "void")
        self.assertEqual(len(reversal), 1)
        self.assertAlmostEqual(reversal.amount_total, -original.amount_total, 2)

    def test_edit_without_new_stamps_is_corrected_by_the_window(self):
        sale_id = self.settled_sale()
        edited = self.simulator.admin(
            "edit_sale", sale_id=sale_id, line_index=0, unit_quantity=4, keep_stamps=True
        )
        self.assertEqual(self.import_sales().updated_count, 1, self.errors())
        orders = self.orders_of(str(sale_id))
        self.assertAlmostEqual(sum(orders.mapped("amount_total")), float(edited["total"]), 2)


@tagged("post_install", "-at_install")
class TestRegisterOverride(SaleImportCommon):
    """A register mapped to another point of sale and department books its sales there."""

    simulator_args = ("--seed", "31", "--sales", "60", "--days", "2")

    def test_register_override_lands_on_its_own_pos(self):
        shop = self.backend.shop_ids.filtered("import_enabled")[:1]
        register = self.backend.register_ids.filtered(lambda r: r.shop_id == shop)[:1]
        self.assertTrue(register, "the simulator has registers per shop")
        cash = shop._create_cash_payment_method()
        override = self.env["pos.config"].create(
            {
                "name": "Override till",
                "picking_type_id": shop.warehouse_id.pos_type_id.id,
                "payment_method_ids": [(6, 0, cash.ids)],
                "module_pos_hr": True,
            }
        )
        department = self.env["hr.department"].create({"name": "Bike repairs"})
        register.write({"pos_config_id": override.id, "department_id": department.id})
        run = self.import_sales()
        errors = self.env["lightspeed.sync.record"].search(
            [("backend_id", "=", self.backend.id), ("state", "=", "error")]
        )
        self.assertFalse(errors, errors.mapped("error_message"))
        self.assertGreater(run.created_count, 20)
        orders = self.env["pos.order"].search(
            [("lightspeed_backend_id", "=", self.backend.id), ("lightspeed_shop_id", "=", shop.id)]
        )
        of_register = orders.filtered(lambda o: o.lightspeed_register_id == register)
        self.assertTrue(of_register and orders - of_register, "both registers sold")
        self.assertEqual(of_register.session_id.config_id, override)
        self.assertEqual(set(of_register.mapped("lightspeed_department_id")), {department})
        self.assertNotIn(override, (orders - of_register).session_id.config_id)
        for order in of_register:
            self.assertEqual(
                order.session_id.lightspeed_business_date, order.lightspeed_business_date
            )


@tagged("post_install", "-at_install")
class TestSaleImportFailures(SaleImportCommon):
    simulator_args = ("--seed", "9", "--sales", "120", "--days", "2")

    def test_unmapped_payment_type_fails_then_retries(self):
        visa = self.backend.payment_type_ids.filtered(lambda p: p.name == "Visa")
        method = visa.payment_method_id
        visa.payment_method_id = False
        run = self.import_sales()
        failed = self.env["lightspeed.sync.record"].search(
            [("backend_id", "=", self.backend.id), ("state", "=", "error")]
        )
        self.assertTrue(failed)
        self.assertEqual(run.failed_count, len(failed))
        self.assertIn("Visa", failed[0].error_message)
        self.assertIn("Payment Types", failed[0].error_message)
        self.assertEqual(set(failed.mapped("attempt_count")), {1})
        self.assertFalse(
            self.env["pos.order"].search(
                [
                    ("lightspeed_backend_id", "=", self.backend.id),
                    ("lightspeed_sale_id", "in", failed.mapped("lightspeed_id")),
                ]
            )
        )
        visa.payment_method_id = method
        failed.action_retry()
        self.assertEqual(set(failed.mapped("state")), {"done"})
        self.assertTrue(all(self.orders_of(rec.lightspeed_id) for rec in failed))

    def test_unmapped_item_fails_then_retries(self):
        self.backend.create_missing_products = False
        self.import_sales()
        failed = self.env["lightspeed.sync.record"].search(
            [("backend_id", "=", self.backend.id), ("state", "=", "error")]
        )
        self.assertTrue(failed)
        self.assertIn("has no Odoo product", failed[0].error_message)
        self.backend.create_missing_products = True
        failed.action_retry()
        self.assertEqual(set(failed.mapped("state")), {"done"})
        items = self.env["lightspeed.item"].search([("backend_id", "=", self.backend.id)])
        self.assertTrue(items.product_id, "retrying created the products from the items")

    def test_bad_payloads_and_unknown_shops_are_errors(self):
        Record = self.env["lightspeed.sync.record"]
        broken = Record.create(
            {
                "backend_id": self.backend.id,
                "record_type": "sale",
                "lightspeed_id": "broken-1",
                "payload": {"ticketNumber": "x", "total": "abc"},
            }
        )
        unknown = Record.create(
            {
                "backend_id": self.backend.id,
                "record_type": "sale",
                "lightspeed_id": "999001",
                "payload": {"saleID": "999001", "shopID": "77", "completed": "true", "total": "1"},
            }
        )
        (broken | unknown).action_retry()
        self.assertEqual(broken.state, "error")
        self.assertIn("cannot read", broken.error_message)
        self.assertEqual(unknown.state, "error")
        self.assertIn("77", unknown.error_message)
        self.assertIn("Sync metadata", unknown.error_message)

    def test_failed_run_ends_with_its_reason_and_the_next_converges(self):
        """Lightspeed fails for good after the first page: the run ends "failed" with the
        reason (never left "running"), the backend shows it, and the next run converges."""
        self.simulator.admin("inject", kind="503", count=100, path_contains="after=")
        self.addCleanup(self.simulator.admin, "clear_injections")
        self.backend.sales_cursor = False
        Run = self.env["lightspeed.sync.run"]
        before = Run.search([("backend_id", "=", self.backend.id)])
        # (no assertRaises: it rolls back to a savepoint, and the failed run with it)
        error = None
        with self.assertLogs(CLIENT_LOGGER, "WARNING"):
            try:
                self.import_sales()
            except UserError as exc:
                error = exc
        self.assertIsNotNone(error, "the import raised")
        run = Run.search([("backend_id", "=", self.backend.id)]) - before
        self.assertEqual(run.state, "failed")
        self.assertTrue(run.finished_at)
        self.assertEqual(run.message, str(error.args[0]))
        self.assertTrue(run.message.startswith("Lightspeed error:"), run.message)
        self.assertEqual(self.backend.last_error, run.message)
        self.simulator.admin("clear_injections")
        self.import_sales()
        self.import_sales()
        records = self.env["lightspeed.sync.record"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(len(records), len(set(records.mapped("lightspeed_id"))))
        self.assertGreater(len(records), 100, "the rest was fetched on the next run")
        orders = self.env["pos.order"].search([("lightspeed_backend_id", "=", self.backend.id)])
        self.assertEqual(len(orders), len(set(orders.mapped("lightspeed_id"))), "no duplicates")
        self.assertEqual(
            set(records.filtered(lambda r: r.state == "done" and r.res_id).mapped("res_id")),
            set(orders.filtered(lambda o: o.lightspeed_kind in ("sale", "refund")).ids)
            | set(orders.filtered(lambda o: o.lightspeed_kind == "void").ids),
        )

    def test_cron_imports_connected_backends_only(self):
        self.env["lightspeed.backend"]._cron_import_sales()
        self.assertTrue(
            self.env["pos.order"].search_count([("lightspeed_backend_id", "=", self.backend.id)])
        )
        self.backend.action_disable()
        runs = self.env["lightspeed.sync.run"].search_count([("backend_id", "=", self.backend.id)])
        self.env["lightspeed.backend"]._cron_import_sales()
        self.assertEqual(
            self.env["lightspeed.sync.run"].search_count([("backend_id", "=", self.backend.id)]),
            runs,
            "a disabled backend is skipped",
        )

    def test_action_import_sales_reports(self):
        action = self.backend.action_import_sales()
        self.assertEqual(action["tag"], "display_notification")
        self.assertRegex(action["params"]["message"], r"^\d+ fetched: \d+ created, \d+ updated")


@tagged("post_install", "-at_install")
class TestSaleBackfillAcrossDst(SaleImportCommon):
    """Sales around the EU summer-time change (2026-03-29), imported by the backfill wizard.

    ``--dst-shop-tz Europe/Amsterdam`` puts shop 1 in Amsterdam too: two shops share the zone.
    """

    simulator_args = (
        "--seed", "3", "--sales", "150", "--days", "4", "--now", "2026-03-31T12:00:00Z",
        "--dst-shop-tz", "Europe/Amsterdam",
    )  # fmt: skip

    def test_backfill_lands_on_local_business_days(self):
        wizard = self.env["lightspeed.backfill.wizard"].create(
            {
                "backend_id": self.backend.id,
                "date_from": "2026-03-27",
                "date_to": "2026-03-31",
                "import_clock_ins": False,
            }
        )
        wizard.action_preview()
        self.assertGreater(wizard.preview_create_count, 50)
        self.assertFalse(
            self.env["pos.order"].search_count([("lightspeed_backend_id", "=", self.backend.id)]),
            "a dry run creates nothing",
        )
        # Five days: more than a few, so the import runs in the background (the scheduled
        # action, run here by hand), one business day per batch.
        action = wizard.action_run()
        self.assertEqual(action["res_model"], "lightspeed.backfill.request")
        request = self.env["lightspeed.backfill.request"].browse(action["res_id"])
        self.assertEqual((request.state, request.day_count), ("queued", 5))
        self.assertFalse(
            self.env["pos.order"].search_count([("lightspeed_backend_id", "=", self.backend.id)]),
            "nothing is imported in the request",
        )
        for _batch in range(5):
            self.env["lightspeed.backfill.request"]._cron_process_backfills()
        self.assertEqual((request.state, request.done_day_count), ("done", 5))
        self.assertEqual(len(request.run_ids), 5, "one sales run per business day")
        orders = self.env["pos.order"].search([("lightspeed_backend_id", "=", self.backend.id)])
        self.assertEqual(
            len(orders.filtered(lambda o: o.lightspeed_kind in ("sale", "refund"))),
            wizard.preview_create_count,
        )
        self.assertEqual(self.backend.sales_cursor, False, "a backfill leaves the cursor alone")
        dst_day = fields.Date.to_date("2026-03-29")
        for order in orders:
            tz = order.lightspeed_shop_id.get_zoneinfo()
            local = order.date_order.replace(tzinfo=timezone.utc).astimezone(tz)
            self.assertEqual(order.lightspeed_business_date, local.date(), order.lightspeed_id)
        amsterdam = orders.filtered(
            lambda o: (
                o.lightspeed_shop_id.timezone == "Europe/Amsterdam"
                and o.lightspeed_business_date == dst_day
            )
        )
        self.assertTrue(amsterdam, "the DST day has sales")
        for shop in amsterdam.lightspeed_shop_id:
            day_orders = amsterdam.filtered(lambda o, shop=shop: o.lightspeed_shop_id == shop)
            self.assertEqual(len(day_orders.session_id), 1, "one session for the 23-hour day")
        self.assertEqual(set(amsterdam.session_id.mapped("state")), {"closed"})
        self.assertEqual(set(amsterdam.session_id.move_id.mapped("date")), {dst_day})
        day_before = orders.filtered(
            lambda o: (
                o.lightspeed_shop_id.timezone == "Europe/Amsterdam"
                and o.lightspeed_business_date == fields.Date.to_date("2026-03-28")
            )
        )
        self.assertTrue(day_before)
        for group, offset in ((day_before, 1), (amsterdam, 2)):
            for order in group:
                local = order.date_order.replace(tzinfo=timezone.utc).astimezone(
                    order.lightspeed_shop_id.get_zoneinfo()
                )
                self.assertEqual(local.utcoffset(), timedelta(hours=offset))

    def test_backfill_overwrites_approved_days_only_when_asked(self):
        Wizard = self.env["lightspeed.backfill.wizard"]
        vals = {
            "backend_id": self.backend.id,
            "date_from": "2026-03-28",
            "date_to": "2026-03-28",
            "import_clock_ins": False,
        }
        Wizard.create(vals).action_run()
        department = self.departments["1"]
        day = self.env["lightspeed.weekly.balance.day"].search(
            [("date", "=", "2026-03-28"), ("department_id", "=", department.id)]
        )
        gross = day.balance_id.line_ids.filtered(
            lambda line: line.date == day.date and line.data_type == "gross_sales"
        )
        approved_figure = gross.actual
        self.assertTrue(approved_figure, "the imported day has figures")
        day.action_approve()
        # A sale of that day reaches Lightspeed late (e.g. an offline register syncing).
        added = self.simulator.admin(
            "add_sales", complete_time="2026-03-28T12:00:00+00:00", shop_id="1", lines=2
        )
        Wizard.create(vals).action_run()
        late = self.orders_of(str(added["sale_ids"][0]))
        self.assertTrue(late, "the late sale is imported")
        self.assertAlmostEqual(gross.actual, approved_figure, 2, msg="approved days are locked")
        messages = len(day.balance_id.message_ids)
        Wizard.create(dict(vals, overwrite_approved=True)).action_run()
        self.assertTrue(day.approved, "the day stays approved")
        self.assertAlmostEqual(gross.actual, approved_figure + late.amount_total, 2)
        self.assertGreater(len(day.balance_id.message_ids), messages, "logged in the chatter")
        self.assertIn("overwrite approved numbers", self.backend.message_ids[0].body)


@tagged("post_install", "-at_install")
class TestSaleImportUnderChaos(SaleImportCommon):
    """Every payload quirk the simulator knows (other stamp spelling, scientific notation,
    unknown keys, local offsets, null dates...), HTML 502 pages and 429s with Retry-After: the
    orders must equal what Lightspeed holds, sale by sale, as in a quiet import."""

    simulator_args = ("--seed", "5", "--sales", "260", "--days", "4", "--chaos", "all")

    def lightspeed_totals(self):
        """Net amount per sale from the simulator's canonical records (not through the
        connector's client): completed sales count, voided ones net to zero."""
        totals = {}
        for kind in ("normal", "refund", "exchange", "modified", "voided"):
            for sale_id in self.simulator.admin("find_sales", kind=kind, limit=100000)["sale_ids"]:
                sale = self.simulator.admin("get_sale", sale_id=sale_id)["sale"]
                voided = sale["voided"] == "true"
                totals[str(sale_id)] = Decimal(0) if voided else Decimal(sale["total"])
        return totals

    def test_orders_equal_lightspeed_through_faults(self):
        self.simulator.admin("reset_stats")
        self.simulator.admin("inject", kind="502html", count=2)
        self.simulator.admin("inject", kind="429", count=2, retry_after=1)
        self.addCleanup(self.simulator.admin, "clear_injections")
        with self.assertLogs(CLIENT_LOGGER, "WARNING") as logs:
            run = self.import_sales()
        self.assertIn("Lightspeed: HTTP 502, retry 2", "\n".join(logs.output))
        stats = self.simulator.stats()
        self.assertEqual(stats["injected"], 4, stats)
        self.assertEqual(stats["served_429"], 2, stats)
        self.assertEqual(run.state, "done")
        self.assertEqual(run.failed_count, 0, run.message)
        errors = self.env["lightspeed.sync.record"].search(
            [("backend_id", "=", self.backend.id), ("state", "=", "error")]
        )
        self.assertFalse(errors, errors.mapped("error_message"))
        actual = defaultdict(Decimal)
        for order in self.env["pos.order"].search(
            [("lightspeed_backend_id", "=", self.backend.id)]
        ):
            actual[order.lightspeed_sale_id] += Decimal(str(order.amount_total)).quantize(
                Decimal("0.01")
            )
        expected = self.lightspeed_totals()
        self.assertGreater(len(expected), 200)
        self.assertEqual(
            {sale: total for sale, total in actual.items() if total},
            {sale: total for sale, total in expected.items() if total},
        )
        self.assertEqual(self.import_sales().created_count, 0, "a re-run changes nothing")


@tagged("post_install", "-at_install")
class TestSaleDeposits(SaleImportCommon):
    """Gift-card top-ups and credit-account deposits are owed to the customer: they are booked
    on the backend's deposit product (a liability account), never as revenue."""

    simulator_args = ("--seed", "9", "--sales", "80", "--days", "3", "--deposits-share", "0.2")

    def deposits(self):
        """Lightspeed's deposit sales and their amounts, from the simulator's own records."""
        amounts = {}
        for sale_id in self.simulator.admin("find_sales", kind="deposit", limit=1000)["sale_ids"]:
            payments = self.simulator.admin("get_sale", sale_id=sale_id)["payments"]
            amounts[sale_id] = sum(
                -Decimal(p["amount"]) for p in payments if Decimal(p["amount"]) < 0
            )
        return amounts

    def test_deposits_need_the_product_then_land_on_the_liability(self):
        deposits = self.deposits()
        self.assertTrue(deposits, "the simulator made deposit sales")
        self.import_sales()
        records = self.env["lightspeed.sync.record"].search(
            [("backend_id", "=", self.backend.id), ("lightspeed_id", "in", list(deposits))]
        )
        self.assertEqual(set(records.mapped("state")), {"error"})
        record = records[:1]
        self.assertEqual(
            record.error_message,
            f"Sale {record.lightspeed_id} puts {deposits[record.lightspeed_id]} on a gift card "
            "or credit account. Set the deposit product on backend Simulated account (a service "
            "whose income account is a liability, e.g. Customer deposits), then retry.",
        )
        liability = self.env["account.account"].create(
            {"name": "Customer deposits", "code": "LSDEP", "account_type": "liability_current"}
        )
        product = self.env["product.product"].create(
            {
                "name": "Gift card and account deposits",
                "type": "service",
                "property_account_income_id": liability.id,
                "taxes_id": [(5, 0, 0)],
            }
        )
        self.backend.deposit_product_id = product
        records.action_retry()
        self.assertEqual(set(records.mapped("state")), {"done"})
        for sale_id, amount in deposits.items():
            order = self.orders_of(sale_id)
            self.assertEqual(len(order), 1)
            deposit_lines = order.lines.filtered(lambda line: line.product_id == product)
            self.assertAlmostEqual(sum(deposit_lines.mapped("price_subtotal_incl")), float(amount))
            self.assertAlmostEqual(order.amount_total, float(amount), 2)
            self.assertFalse(deposit_lines.tax_ids)
        # A closed day's session entry books its deposits on the liability account.
        self.env["pos.session"]._lightspeed_close_finished(self.backend)
        orders = self.env["pos.order"].search(
            [
                ("lightspeed_backend_id", "=", self.backend.id),
                ("lightspeed_sale_id", "in", list(deposits)),
                ("session_id.state", "=", "closed"),
            ]
        )
        self.assertTrue(orders, "some deposits fall on days already over")
        moves = orders.session_id.move_id
        credited = sum(
            self.env["account.move.line"]
            .search([("account_id", "=", liability.id), ("move_id", "in", moves.ids)])
            .mapped("balance")
        )
        expected = sum(
            deposits[sale_id]
            for sale_id in set(
                self.env["pos.order"]
                .search([("session_id", "in", orders.session_id.ids)])
                .mapped("lightspeed_sale_id")
            )
            if sale_id in deposits
        )
        self.assertAlmostEqual(-credited, float(expected), 2)


@tagged("post_install", "-at_install")
class TestSaleTips(SaleImportCommon):
    """Tips ride on card tenders (the tender's amount includes them): the order collects them
    on the backend's tip product (a liability), and the KPIs leave them out of sales."""

    simulator_args = ("--seed", "9", "--sales", "90", "--days", "3", "--tips-share", "0.3")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tips_payable = cls.env["account.account"].create(
            {"name": "Tips payable", "code": "LSTIP", "account_type": "liability_current"}
        )
        cls.tip_product = cls.env["product.product"].create(
            {
                "name": "Staff tips",
                "type": "service",
                "property_account_income_id": cls.tips_payable.id,
                "taxes_id": [(5, 0, 0)],
            }
        )

    def tipped_sales(self):
        """``{saleID: (total, {salePaymentID: tip})}`` from the simulator's own records."""
        found = {}
        for sale_id in self.simulator.admin("find_sales", kind="tipped", limit=1000)["sale_ids"]:
            record = self.simulator.admin("get_sale", sale_id=sale_id)
            tips = {
                p["salePaymentID"]: Decimal(p["tipAmount"])
                for p in record["payments"]
                if Decimal(p["tipAmount"]) and p["archived"] == "false"
            }
            found[sale_id] = (Decimal(record["sale"]["total"]), tips)
        return found

    def test_tips_need_the_product_then_land_on_the_liability_outside_the_kpis(self):
        tipped = self.tipped_sales()
        self.assertGreater(len(tipped), 10, "the simulator made tipped sales")
        self.import_sales()
        records = self.env["lightspeed.sync.record"].search(
            [("backend_id", "=", self.backend.id), ("lightspeed_id", "in", list(tipped))]
        )
        # a tipped sale voided before its import is skipped; every other one waits
        self.assertEqual(set(records.mapped("state")) - {"skipped"}, {"error"})
        records = records.filtered(lambda r: r.state == "error")
        imported = records.mapped("lightspeed_id")
        self.assertGreater(len(imported), 5, "tipped sales inside the import window")
        record = records[:1]
        _total, tips = tipped[record.lightspeed_id]
        self.assertEqual(
            record.error_message,
            f"Sale {record.lightspeed_id} carries {sum(tips.values())} of tips. Set the tip "
            "product on backend Simulated account (a service whose income account is a "
            "liability, e.g. Tips payable), then retry.",
        )
        self.backend.tip_product_id = self.tip_product
        records.action_retry()
        self.assertEqual(set(records.mapped("state")), {"done"})
        Fact = self.env["lightspeed.kpi.fact"]
        for sale_id in imported:
            total, tips = tipped[sale_id]
            order = self.orders_of(sale_id)
            self.assertEqual(len(order), 1, sale_id)
            tip_lines = order.lines.filtered(lambda line: line.product_id == self.tip_product)
            self.assertEqual(
                {line.lightspeed_line_id: line.price_subtotal_incl for line in tip_lines},
                {f"tip:{payment}": float(tip) for payment, tip in tips.items()},
            )
            self.assertFalse(tip_lines.tax_ids)
            self.assertAlmostEqual(order.amount_total, float(total + sum(tips.values())), 2)
            self.assertAlmostEqual(order.amount_paid, order.amount_total, 2)
            figures = Fact._prepare_order_figures(order)
            self.assertAlmostEqual(figures["gross_sales"], float(total), 2, sale_id)
        # A closed day's session entry credits the tips to the liability account.
        self.env["pos.session"]._lightspeed_close_finished(self.backend)
        closed = self.env["pos.order"].search(
            [
                ("lightspeed_backend_id", "=", self.backend.id),
                ("session_id.state", "=", "closed"),
            ]
        )
        expected = sum(
            sum(tipped[sale][1].values())
            for sale in set(closed.mapped("lightspeed_sale_id"))
            if sale in tipped
        )
        self.assertTrue(expected, "some tipped sales fall on days already over")
        credited = sum(
            self.env["account.move.line"]
            .search(
                [
                    ("account_id", "=", self.tips_payable.id),
                    ("move_id", "in", closed.session_id.move_id.ids),
                ]
            )
            .mapped("balance")
        )
        self.assertAlmostEqual(-credited, float(expected), 2)
        self.assertEqual(self.import_sales().created_count, 0, "a re-run changes nothing")

    def test_a_voided_tipped_sale_reverses_the_tip_outside_the_kpis(self):
        self.backend.tip_product_id = self.tip_product
        self.import_sales()
        tipped = self.tipped_sales()
        sale_id = next(sale for sale in tipped if self.orders_of(sale))
        total, tips = tipped[sale_id]
        self.simulator.admin("void_sale", sale_id=sale_id, reason="Wrong card")
        self.import_sales()
        reversal = self.orders_of(sale_id).filtered(lambda o: o.lightspeed_kind == "void")
        self.assertEqual(len(reversal), 1)
        self.assertAlmostEqual(reversal.amount_total, -float(total + sum(tips.values())), 2)
        self.assertEqual(
            sorted(reversal.lines.filtered("lightspeed_line_id").mapped("lightspeed_line_id")),
            sorted(f"tip:{payment}" for payment in tips),
        )
        figures = self.env["lightspeed.kpi.fact"]._prepare_order_figures(reversal)
        self.assertAlmostEqual(figures["gross_sales"], -float(total), 2)
