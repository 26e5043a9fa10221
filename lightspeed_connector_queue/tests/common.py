# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Test harness of the queue addon: a connected, mapped backend and a job runner in miniature.

Jobs are stored as production stores them (``with_delay``, identity keys, channels) and
performed by ``run_job``, which moves a job through the states the runner's
``/queue_job/runjob`` gives it (started → done, postponed or failed) inside the test
transaction. The job's own code runs as in production: queue_job gives it a cursor of its own
(``allow_commit``), a test cursor here, so the engine's commits are real savepoints and its
context has no ``lightspeed_no_commit``. The real runner is exercised by ``test_runner.py``.
"""

import traceback

from odoo import SUPERUSER_ID, api

from odoo.addons.lightspeed_connector.models.lightspeed_importer import error_text
from odoo.addons.lightspeed_connector.tests.common import LightspeedCommon
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job

SALES = "lightspeed.sale.importer"
CLOCK_INS = "lightspeed.clock_in.importer"


class QueueCommon(LightspeedCommon):
    """A connected backend whose shops are mapped and importing."""

    simulator_args = ("--seed", "61", "--sales", "240", "--days", "4")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        backend = cls.backend
        cls.departments = cls.connect_and_map_shops("LQ")
        backend.write({"initial_import_days": 5, "correction_window_days": 2})
        backend.payment_type_ids.action_create_payment_methods()
        cashier = cls.env["hr.employee"].create({"name": "Queue cashier"})
        backend.employee_ids.filtered(lambda e: not e.remote_archived)[:1].employee_id = cashier

    # === jobs === #

    def jobs(self, backend=None, method=None):
        """The Lightspeed jobs of ``backend`` (default: the test backend), oldest first."""
        backend = backend or self.backend
        domain = [("model_name", "=", "lightspeed.backend")]
        if method:
            domain.append(("method_name", "=", method))
        jobs = self.env["queue.job"].search(domain, order="id")
        return jobs.filtered(lambda job: job.records == backend)

    def run_job(self, job_record):
        """Perform one stored job the way the runner does; returns the job's new state."""
        # The job's cursor reads the database: what the test wrote must be there.
        self.env.flush_all()
        # The runner's request loads the job in a context of its own (the test's
        # ``lightspeed_no_commit`` must not leak into the job).
        job = Job.load(api.Environment(self.env.cr, SUPERUSER_ID, {}), job_record.uuid)
        job.set_started()
        job.store()
        try:
            job.perform()
        except RetryableJobError as exc:
            job.postpone(result=str(exc), seconds=exc.seconds)
            job.set_pending(reset_retry=False)
        except Exception as exc:  # noqa: BLE001 - every other error fails the job, as in the runner
            job.set_failed(
                exc_name=type(exc).__name__,
                exc_message=error_text(exc),
                exc_info=traceback.format_exc(),
            )
        else:
            job.set_done()
        job.store()
        self.env.invalidate_all()
        return job_record.state

    def run_jobs(self, jobs):
        return [self.run_job(job) for job in jobs]

    def runs(self, backend=None):
        """The import runs of ``backend`` (the metadata sync of the connection left out)."""
        return self.env["lightspeed.sync.run"].search(
            [("backend_id", "=", (backend or self.backend).id), ("stream", "!=", "metadata")],
            order="id",
        )

    def orders(self, backend=None):
        return self.env["pos.order"].search(
            [("lightspeed_backend_id", "=", (backend or self.backend).id)]
        )
