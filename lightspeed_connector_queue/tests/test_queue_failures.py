# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What a job does when Lightspeed fails: retry transient errors with Lightspeed's back-off,
fail cleanly on a refused token, keep mapping errors on the sync records."""

from contextlib import contextmanager
from datetime import datetime
from unittest.mock import patch

import psycopg2

from odoo.sql_db import db_connect
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.lightspeed_connector.api import LightspeedClient

from .common import QueueCommon

CLIENT_LOGGER = "odoo.addons.lightspeed_connector.api.client"
BACKEND_LOGGER = "odoo.addons.lightspeed_connector.models.lightspeed_backend"


@tagged("post_install", "-at_install")
class TestQueueFailures(QueueCommon):
    def setUp(self):
        super().setUp()
        # The client's own back-off between its retries is not what is tested here.
        self.startPatcher(patch.object(LightspeedClient, "_backoff", lambda *args, **kw: None))
        self.addCleanup(self.simulator.admin, "clear_injections")

    def queue_sales(self):
        self.backend.action_import_sales()
        return self.jobs()[-1]

    def seconds_until(self, job):
        return (job.eta - datetime.now()).total_seconds()

    @contextmanager
    def held_lock(self, *key_sql):
        """Hold an advisory lock from another connection (another worker)."""
        cr = db_connect(self.env.cr.dbname).cursor()
        try:
            cr.execute(f"SELECT pg_advisory_lock({', '.join(key_sql[0])})", key_sql[1])
            # the lock's own connection (another worker): no data in it
            # pylint: disable=invalid-commit
            cr.commit()
            yield
        finally:
            cr.execute(f"SELECT pg_advisory_unlock({', '.join(key_sql[0])})", key_sql[1])
            # pylint: disable=invalid-commit
            cr.commit()
            cr.close()

    def test_rate_limit_is_retried_after_retry_after(self):
        """Lightspeed keeps answering 429: once the client's own retries are spent, the job is
        postponed by the Retry-After of the last answer, and the retry converges."""
        self.simulator.admin("inject", kind="429", count=5, retry_after=0)
        self.simulator.admin("inject", kind="429", count=1, retry_after=40)
        job = self.queue_sales()
        self.assertEqual(self.run_job(job), "pending")
        self.assertEqual(job.retry, 1)
        self.assertAlmostEqual(self.seconds_until(job), 40, delta=10)
        self.assertIn("rate limit", job.result)
        [failed] = self.runs()
        self.assertEqual(failed.state, "failed")
        self.assertIn("rate limit", failed.message)
        self.assertEqual(failed.job_id, job)
        self.assertEqual(self.simulator.stats()["injected"], 6)
        self.assertEqual(self.run_job(job), "done")
        done = self.runs() - failed
        self.assertEqual((done.state, done.job_id), ("done", job))
        self.assertEqual(job.lightspeed_sync_run_ids, failed | done, "a run per attempt")
        self.assertGreater(len(self.orders()), 50)

    def test_server_errors_follow_the_retry_pattern(self):
        self.simulator.admin("inject", kind="503", count=6)
        job = self.queue_sales()
        with mute_logger(CLIENT_LOGGER):
            self.assertEqual(self.run_job(job), "pending")
        self.assertEqual(job.retry, 1)
        # the job function's retry pattern: one minute after the first failure
        self.assertAlmostEqual(self.seconds_until(job), 60, delta=10)
        self.assertEqual(self.runs().state, "failed")
        self.assertEqual(self.run_job(job), "done")

    def test_network_errors_are_retried(self):
        url = self.backend.api_url
        self.backend.api_url = "http://127.0.0.1:9"  # nothing listens on the discard port
        job = self.queue_sales()
        with mute_logger(CLIENT_LOGGER):
            self.assertEqual(self.run_job(job), "pending")
        self.assertIn("unreachable", job.result)
        self.backend.api_url = url
        self.assertEqual(self.run_job(job), "done")

    def test_retries_end_as_a_failed_job(self):
        self.simulator.admin("inject", kind="503", count=1000)
        job = self.queue_sales()
        with mute_logger(CLIENT_LOGGER):
            states = [self.run_job(job) for _attempt in range(job.max_retries)]
        self.assertEqual(states, ["pending"] * (job.max_retries - 1) + ["failed"])
        self.assertIn("Max. retries", job.exc_message)
        self.assertEqual(len(job.lightspeed_sync_run_ids), job.max_retries)

    def test_mapping_errors_stay_on_sync_records(self):
        visa = self.backend.payment_type_ids.filtered(lambda p: p.name == "Visa")
        visa.payment_method_id = False
        job = self.queue_sales()
        self.assertEqual(self.run_job(job), "done", "the job itself did its work")
        errors = self.env["lightspeed.sync.record"].search(
            [("backend_id", "=", self.backend.id), ("state", "=", "error")]
        )
        self.assertTrue(errors)
        self.assertIn("Visa", errors[0].error_message)
        run = self.runs()
        self.assertEqual((run.state, run.failed_count), ("done", len(errors)))
        self.assertIn(f"{len(errors)} failed", job.result)

    def test_concurrent_updates_are_retried(self):
        """Two accounts' jobs collide on a shared row (a blacklisted number, a stock quant):
        the one that loses the race is retried."""
        job = self.queue_sales()
        Importer = type(self.env["lightspeed.sale.importer"])
        with patch.object(Importer, "_run", side_effect=psycopg2.errors.UniqueViolation()):
            self.assertEqual(self.run_job(job), "pending")
        self.assertEqual(job.retry, 1)
        self.assertIn("Concurrent insert", job.result)
        with patch.object(Importer, "_run", side_effect=psycopg2.errors.SerializationFailure()):
            self.assertEqual(self.run_job(job), "pending")
        self.assertEqual(job.retry, 1, "a serialization failure uses up no retry")
        self.assertIn("Concurrent update", job.result)
        self.assertEqual(self.run_job(job), "done")

    def test_busy_account_postpones_without_using_a_retry(self):
        """Another job of the account runs (say on another node): this one waits its turn."""
        job = self.queue_sales()
        key = (["hashtext('lightspeed.account')", "hashtext(%s)"], [self.backend.account_id])
        with self.held_lock(*key):
            self.assertEqual(self.run_job(job), "pending")
        self.assertEqual(job.retry, 0, "waiting is no failure")
        self.assertIn("Another job of Lightspeed account 12345", job.result)
        self.assertLess(self.seconds_until(job), 20)
        self.assertFalse(self.runs())
        self.assertEqual(self.run_job(job), "done")

    def test_busy_stream_skips_an_import_but_never_a_backfill_chunk(self):
        job = self.queue_sales()
        shop = self.backend.shop_ids.filtered("import_enabled")[:1]
        today = datetime.now().date()
        chunk, _created = self.backend._lightspeed_enqueue_backfill(
            "lightspeed.sale.importer", shop, today, today
        )
        key = (["hashtext(%s)", "%s"], ["lightspeed.sale", self.backend.id])
        with self.held_lock(*key):
            self.assertEqual(self.run_job(job), "done")
            self.assertIn("Skipped", job.result)
            self.assertEqual(self.run_job(chunk), "pending")
        self.assertEqual(chunk.retry, 0)
        self.assertEqual(self.run_job(chunk), "done")
        self.assertEqual(self.runs().mapped("run_type"), ["backfill"])


@tagged("post_install", "-at_install")
class TestQueueRevokedToken(QueueCommon):
    """A simulator of its own: revoking its tokens is for good."""

    simulator_args = ("--seed", "64", "--sales", "40", "--days", "2")

    def test_revoked_token_fails_the_job_cleanly(self):
        self.backend.action_import_sales()
        self.backend.action_import_clock_ins()
        sales_job, clock_in_job = self.jobs()
        self.simulator.admin("revoke_tokens")
        with self.assertLogs(BACKEND_LOGGER, "WARNING"):
            self.assertEqual(self.run_job(sales_job), "failed", sales_job.exc_info)
        self.assertEqual(self.backend.state, "reauth_needed")
        self.assertIn("Click Connect to Lightspeed to re-authorise it", sales_job.exc_message)
        self.assertEqual(sales_job.retry, 1, "not retried")
        [run] = self.runs()
        self.assertEqual((run.state, run.job_id), ("failed", sales_job))
        self.assertIn("re-authorise", run.message)
        self.assertTrue(self.backend.activity_ids, "an administrator gets a to-do")
        # The other waiting job of the backend fails with the same message, asking nothing.
        requests_before = self.simulator.stats()["api_requests"]
        self.assertEqual(self.run_job(clock_in_job), "failed")
        self.assertIn("re-authorise", clock_in_job.exc_message)
        self.assertEqual(self.simulator.stats()["api_requests"], requests_before)
        # Nothing more is queued while the backend waits for an administrator.
        self.env["lightspeed.backend"]._cron_import_sales()
        self.assertEqual(len(self.jobs()), 2)
