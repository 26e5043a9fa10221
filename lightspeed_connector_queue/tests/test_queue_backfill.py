# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The backfill wizard queues one job per shop, chunk of days and stream; the chunks converge
to Lightspeed's figures, in any order and run again, without a duplicate order."""

from collections import defaultdict
from datetime import timedelta, timezone
from decimal import Decimal

from odoo import fields
from odoo.tests import tagged

from odoo.addons.lightspeed_connector.tools import business_day_bounds

from .common import CLOCK_INS, SALES, QueueCommon


@tagged("post_install", "-at_install")
class TestQueueBackfill(QueueCommon):
    simulator_args = ("--seed", "63", "--sales", "300", "--days", "7")

    def wizard(self, **vals):
        today = fields.Date.context_today(self.backend)
        return self.env["lightspeed.backfill.wizard"].create(
            dict(
                {
                    "backend_id": self.backend.id,
                    "date_from": today - timedelta(days=6),
                    "date_to": today,
                    "chunk_days": 3,
                },
                **vals,
            )
        )

    def backfill_jobs(self):
        return self.jobs(method="_lightspeed_job_backfill")

    def test_backfill_is_queued_as_one_job_per_shop_chunk_and_stream(self):
        wizard = self.wizard()
        today = wizard.date_to
        chunks = list(wizard._chunks())
        self.assertEqual(
            chunks,
            [
                (today - timedelta(days=6), today - timedelta(days=4)),
                (today - timedelta(days=3), today - timedelta(days=1)),
                (today, today),
            ],
        )
        action = wizard.action_run()
        self.assertEqual(action["tag"], "display_notification")
        shops = self.backend.shop_ids.filtered("import_enabled")
        jobs = self.backfill_jobs()
        self.assertEqual(
            sorted(
                (job.args[0], job.kwargs["shop_ids"][0], job.kwargs["date_from"]) for job in jobs
            ),
            sorted(
                (importer, shop.id, start)
                for importer in (SALES, CLOCK_INS)
                for shop in shops
                for start, _end in chunks
            ),
        )
        self.assertEqual(
            {(job.kwargs["date_from"], job.kwargs["date_to"]) for job in jobs}, set(chunks)
        )
        self.assertEqual(set(jobs.mapped("priority")), {20}, "after the hourly imports")
        self.assertEqual(set(jobs.mapped("channel")), {"root.lightspeed.account_12345"})
        self.assertIn(f"{len(jobs)} job(s) queued", action["params"]["message"])
        self.assertFalse(self.runs(), "nothing ran in the request")
        # The same range again queues nothing new while the chunks wait.
        again = self.wizard().action_run()
        self.assertEqual(self.backfill_jobs(), jobs)
        self.assertIn("0 job(s) queued", again["params"]["message"])

    def test_chunks_converge_without_duplicate_orders(self):
        # The hourly import first, then a backfill over the same days, its chunks run in
        # reverse order: every sale is imported exactly once.
        self.backend.action_import_sales()
        self.assertEqual(self.run_jobs(self.jobs()), ["done"])
        hourly_orders = len(self.orders())
        self.assertGreater(hourly_orders, 50)
        wizard = self.wizard(import_clock_ins=False)
        wizard.action_run()
        jobs = self.backfill_jobs()
        self.assertEqual(self.run_jobs(jobs[::-1]), ["done"] * len(jobs))
        self.assert_converged(wizard.date_from, wizard.date_to)
        backfill_runs = self.runs().filtered(lambda run: run.run_type == "backfill")
        self.assertEqual(len(backfill_runs), len(jobs), "one ordinary engine run per job")
        self.assertEqual(backfill_runs.job_id, jobs)
        self.assertEqual(set(backfill_runs.mapped("state")), {"done"})
        # Every chunk recomputed the KPI figures of its days, sales or not.
        facts = self.env["lightspeed.kpi.fact"].search([("shop_id", "in", wizard._shops().ids)])
        self.assertTrue(facts)
        # Run again (e.g. requeued from the Jobs menu): nothing changes.
        before = len(self.orders())
        self.wizard(import_clock_ins=False).action_run()
        second = self.backfill_jobs() - jobs
        self.assertEqual(len(second), len(jobs))
        self.assertEqual(self.run_jobs(second), ["done"] * len(second))
        self.assertEqual(len(self.orders()), before)
        self.assertEqual(set(self.runs()[-len(second) :].mapped("created_count")), {0})
        self.assert_converged(wizard.date_from, wizard.date_to)

    def test_clock_in_chunks_import_the_shifts(self):
        self.backend.create_missing_employees = True
        wizard = self.wizard(import_sales=False)
        wizard.action_run()
        jobs = self.backfill_jobs()
        self.assertEqual(set(job.args[0] for job in jobs), {CLOCK_INS})
        self.assertEqual(self.run_jobs(jobs), ["done"] * len(jobs))
        runs = self.runs()
        self.assertEqual(set(runs.mapped("stream")), {"clock_in"})
        self.assertTrue(
            self.env["hr.attendance"].search_count(
                [("lightspeed_backend_id", "=", self.backend.id)]
            )
        )
        errors = self.env["lightspeed.sync.record"].search(
            [("backend_id", "=", self.backend.id), ("state", "=", "error")]
        )
        self.assertFalse(errors, errors.mapped("error_message"))

    def assert_converged(self, date_from, date_to):
        """Orders of the range equal Lightspeed's sales, sale by sale, none twice: the range
        is in each shop's business days (its time zone and the day cut-off)."""
        client = self.backend._get_client()
        shops = self.backend.shop_ids.filtered("import_enabled")
        cutoff = self.backend.day_cutoff_hour
        expected = {}
        for shop in shops:
            zone = shop.get_zoneinfo()
            start = business_day_bounds(date_from, zone, cutoff)[0]
            end = business_day_bounds(date_to, zone, cutoff)[1]
            for sale in client.iter_sales(
                shop_ids=[shop.lightspeed_id],
                completed_from=start.replace(tzinfo=timezone.utc),
                completed_to=end.replace(tzinfo=timezone.utc),
            ):
                if sale.completed:
                    expected[sale.sale_id] = Decimal(0) if sale.voided else sale.total
        orders = self.orders()
        keys = orders.mapped("lightspeed_id")
        self.assertEqual(len(keys), len(set(keys)), "no order twice")
        actual = defaultdict(Decimal)
        for order in orders.filtered(lambda o: o.lightspeed_sale_id in expected):
            actual[order.lightspeed_sale_id] += Decimal(str(order.amount_total)).quantize(
                Decimal("0.01")
            )
        self.assertEqual(
            {sale: total for sale, total in actual.items() if total},
            {sale: total for sale, total in expected.items() if total},
        )
        errors = self.env["lightspeed.sync.record"].search(
            [("backend_id", "=", self.backend.id), ("state", "in", ("error", "pending"))]
        )
        self.assertFalse(errors, errors.mapped("error_message"))
