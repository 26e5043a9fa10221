# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Crons and buttons queue one job per backend and stream, in a channel per account."""

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.lightspeed_connector.tests.common import LightspeedSimulator

from .common import CLOCK_INS, SALES, QueueCommon


@tagged("post_install", "-at_install")
class TestQueueEnqueue(QueueCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A second Lightspeed account, connected, and a backend that is not connected.
        cls.other_simulator = LightspeedSimulator(
            "--seed", "62", "--sales", "20", "--days", "2", "--account-id", "67890"
        )
        cls.addClassCleanup(cls.other_simulator.stop)
        Backend = cls.env["lightspeed.backend"]
        cls.other = Backend.create(
            dict(
                cls._backend_vals(name="Other account"),
                api_url=cls.other_simulator.url,
                auth_url=cls.other_simulator.url,
            )
        )
        code, _state = cls.other_simulator.approve(cls.other.action_connect()["url"])
        cls.other._complete_authorization(code)
        cls.draft = Backend.create(cls._backend_vals(name="Never connected"))

    def test_cron_queues_one_job_per_backend_and_stream(self):
        Backend = self.env["lightspeed.backend"]
        Backend._cron_import_sales()
        Backend._cron_import_clock_ins()
        for backend in (self.backend, self.other):
            jobs = self.jobs(backend)
            self.assertEqual(sorted(job.args[0] for job in jobs), [CLOCK_INS, SALES])
            self.assertEqual(set(jobs.mapped("state")), {"pending"})
            self.assertEqual(set(jobs.mapped("channel")), {backend._lightspeed_job_channel()})
            self.assertEqual(
                sorted(jobs.mapped("identity_key")),
                [f"lightspeed:{backend.id}:clock_in", f"lightspeed:{backend.id}:sale"],
            )
        self.assertFalse(self.jobs(self.draft), "only connected backends are queued")
        self.assertFalse(self.runs(), "nothing ran in the cron thread")
        self.assertFalse(self.orders())
        # Duplicates are refused while the jobs wait: later ticks and the buttons reuse them.
        Backend._cron_import_sales()
        Backend._cron_import_clock_ins()
        action = self.backend.action_import_sales()
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn("already waiting", action["params"]["message"])
        self.assertEqual(len(self.jobs()), 2)
        self.assertEqual(len(self.jobs(self.other)), 2)

    def test_buttons_queue_and_refuse_a_backend_that_is_not_connected(self):
        action = (self.backend | self.other).action_import_clock_ins()
        self.assertIn("queued in channel root.lightspeed.account_", action["params"]["message"])
        self.assertEqual(len(self.jobs(self.backend) | self.jobs(self.other)), 2)
        self.assertTrue(
            self.backend.with_context(lightspeed_no_notification=True).action_import_clock_ins()
        )
        self.assertEqual(len(self.jobs()), 1)
        self.backend.action_import_customers()
        self.assertEqual(self.jobs()[-1].args[0], "lightspeed.customer.importer")
        self.env["lightspeed.backend"]._cron_import_customers()
        self.assertEqual(len(self.jobs()), 2, "the customers cron found the button's job")
        with self.assertRaisesRegex(UserError, "connect it to Lightspeed first"):
            self.draft.action_import_sales()

    def test_one_channel_per_account(self):
        parent = self.env.ref("lightspeed_connector_queue.channel_lightspeed")
        self.assertEqual(parent.complete_name, "root.lightspeed")
        names = {
            self.backend: self.backend._lightspeed_job_channel(),
            self.other: self.other._lightspeed_job_channel(),
        }
        self.assertEqual(names[self.backend], "root.lightspeed.account_12345")
        self.assertEqual(names[self.other], "root.lightspeed.account_67890")
        channels = self.env["queue.job.channel"].search(
            [("complete_name", "in", list(names.values()))]
        )
        self.assertEqual(len(channels), 2)
        self.assertEqual(set(channels.mapped("capacity")), {1}, "one job per account at a time")
        self.assertEqual(channels.parent_id, parent)
        # A backend of the same account in another company shares the channel (and the
        # account's rate limit); asking again creates nothing.
        company = self.env["res.company"].create({"name": "Lightspeed queue second company"})
        twin = self.env["lightspeed.backend"].create(
            self._backend_vals(
                name="Same account", company_id=company.id, account_id=self.backend.account_id
            )
        )
        self.assertEqual(twin._lightspeed_job_channel(), names[self.backend])
        self.assertEqual(self.backend._lightspeed_job_channel(), names[self.backend])
        for name in names.values():
            self.assertEqual(
                self.env["queue.job.channel"].search_count([("complete_name", "=", name)]), 1
            )

    def test_the_job_is_an_engine_run_linked_both_ways(self):
        self.backend.action_import_sales()
        [job] = self.jobs()
        self.assertEqual(job.method_name, "_lightspeed_job_import")
        self.assertEqual(self.run_job(job), "done")
        [run] = self.runs()
        self.assertEqual((run.stream, run.state), ("sale", "done"))
        self.assertGreater(run.created_count, 50)
        self.assertEqual(len(self.orders()), run.created_count)
        self.assertEqual(run.job_id, job)
        self.assertEqual(job.lightspeed_sync_run_ids, run)
        self.assertEqual(job.result, run.message)
        action = job.related_action_lightspeed_runs()
        self.assertEqual((action["res_model"], action["res_id"]), ("lightspeed.sync.run", run.id))
        # Once the job has run, the next tick queues a new one (the key is free again).
        self.env["lightspeed.backend"]._cron_import_sales()
        self.assertEqual(len(self.jobs()), 2)
        self.assertEqual(self.run_job(self.jobs()[-1]), "done")
        self.assertEqual(self.runs()[-1].created_count, 0, "the second run finds nothing new")

    def test_no_delay_context_runs_the_import_at_once(self):
        """queue_job's own switch (context ``queue_job__no_delay``): the job runs in the
        request, as without this addon."""
        self.backend.with_context(queue_job__no_delay=True).action_import_clock_ins()
        self.env.invalidate_all()
        self.assertFalse(self.jobs())
        self.assertEqual(self.runs().mapped("stream"), ["clock_in"])
        self.assertEqual(self.runs().state, "done")

    def test_jobs_of_a_backend_that_is_no_longer_connected_do_nothing(self):
        self.backend.action_import_sales()
        [job] = self.jobs()
        self.backend.action_disable()
        self.assertEqual(self.run_job(job), "done")
        self.assertIn("is not connected", job.result)
        self.assertFalse(self.runs())

    def test_only_import_adapters_can_be_queued(self):
        importers = self.env["lightspeed.backend"]._lightspeed_importers()
        self.assertEqual(importers["sale"], SALES)
        self.assertEqual(importers["clock_in"], CLOCK_INS)
        self.assertEqual(importers["metadata"], "lightspeed.metadata.importer")
        self.assertEqual(importers["customer"], "lightspeed.customer.importer")
        with self.assertRaisesRegex(UserError, "not a Lightspeed import adapter"):
            self.backend._lightspeed_enqueue("res.partner")
        with self.assertRaisesRegex(UserError, "not a Lightspeed import adapter"):
            self.backend._lightspeed_job_import("lightspeed.importer")
