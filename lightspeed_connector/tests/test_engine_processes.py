# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The engine's promises with real OS processes on committed data: one run per backend and
stream at a time, and a run killed with SIGKILL is marked interrupted while the next converges.

The data lives in a company of its own and is committed (other processes must see it); the
backend is archived afterwards so that no later test or cron touches it.
"""

from collections import defaultdict
from decimal import Decimal
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import DummyRLock, Registry
from odoo.sql_db import db_connect
from odoo.tests import tagged
from odoo.tests.common import TransactionCase

from .common import CLIENT_ID, CLIENT_SECRET, LightspeedSimulator
from .odoo_process import OdooProcess, wait_until

IMPORT_BUTTON = """
backend = env["lightspeed.backend"].browse({backend_id})
try:
    backend.action_import_sales()
    result({{"ok": True}})
except Exception as exc:
    result({{"ok": False, "error": str(exc.args[0] if exc.args else exc)}})
"""
IMPORT_CRON = """
env["lightspeed.backend"]._cron_import_sales()
result({{"ok": True}})
"""


class RealEnv:
    """An environment on a connection of its own that commits when the block succeeds."""

    def __init__(self, dbname):
        self.dbname = dbname

    def __enter__(self):
        self.cr = db_connect(self.dbname).cursor()
        return api.Environment(self.cr, SUPERUSER_ID, {"tracking_disable": True})

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            # These tests are about what separate processes see: the setup must be committed.
            # pylint: disable=invalid-commit
            self.cr.commit()
        self.cr.close()
        return False


# Not "standard": it commits documents that reference the addon's own products, which would
# make an uninstall in the same database fail. `.ci/run` runs it with `--test-tags
# lightspeed_processes` in a database of its own, after the uninstall check.
@tagged("post_install", "-at_install", "-standard", "lightspeed_processes")
class TestEngineProcesses(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dbname = cls.env.cr.dbname
        cls.simulator = LightspeedSimulator("--seed", "23", "--sales", "900", "--days", "4")
        cls.addClassCleanup(cls.simulator.stop)
        # Post-install tests run while the loader holds the registry lock (see
        # test_token_concurrency.py).
        cls.startClassPatcher(patch.object(Registry, "_lock", DummyRLock()))
        with RealEnv(cls.dbname) as env:
            cls.backend_id = cls._committed_backend(env)
        with RealEnv(cls.dbname) as env:
            cls._connect_and_map(env["lightspeed.backend"].browse(cls.backend_id))
        cls.addClassCleanup(cls._archive_backend)

    @classmethod
    def _committed_backend(cls, env):
        company = env["res.company"].create({"name": "Lightspeed process tests"})
        env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
        env = env(context=dict(env.context, allowed_company_ids=company.ids))
        backend = env["lightspeed.backend"].create(
            {
                "name": "Process tests",
                "company_id": company.id,
                "api_url": cls.simulator.url,
                "auth_url": cls.simulator.url,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "initial_import_days": 10,
                "correction_window_days": 2,
            }
        )
        return backend.id

    @classmethod
    def _connect_and_map(cls, backend):
        """Connect (the token is saved in a transaction of its own: the backend row must be
        committed) and give every shop a warehouse and a department."""
        company = backend.company_id
        env = backend.env(context=dict(backend.env.context, allowed_company_ids=company.ids))
        backend = backend.with_env(env)
        code, _state = cls.simulator.approve(backend.action_connect()["url"])
        backend._complete_authorization(code)
        for shop in backend.shop_ids.filtered(lambda s: not s.remote_archived):
            warehouse = env["stock.warehouse"].create(
                {
                    "name": f"PT {shop.name}",
                    "code": f"PT{shop.lightspeed_id}",
                    "company_id": company.id,
                }
            )
            department = env["hr.department"].create(
                {"name": f"PT {shop.name}", "company_id": company.id}
            )
            shop.write(
                {
                    "warehouse_id": warehouse.id,
                    "department_id": department.id,
                    "import_enabled": True,
                }
            )
        backend.payment_type_ids.action_create_payment_methods()

    @classmethod
    def _archive_backend(cls):
        with RealEnv(cls.dbname) as env:
            env["lightspeed.backend"].browse(cls.backend_id).write(
                {"state": "disabled", "active": False}
            )

    # === helpers === #

    def query(self, sql, params=()):
        with RealEnv(self.dbname) as env:
            env.cr.execute(sql, params)
            return env.cr.fetchall()

    def runs(self):
        return self.query(
            "SELECT id, state, message FROM lightspeed_sync_run "
            "WHERE backend_id = %s AND stream = 'sale' ORDER BY id",
            [self.backend_id],
        )

    def order_count(self):
        return self.query(
            "SELECT count(*) FROM pos_order WHERE lightspeed_backend_id = %s", [self.backend_id]
        )[0][0]

    def start(self, script, log_level="warn"):
        process = OdooProcess(self.dbname, script.format(backend_id=self.backend_id), log_level)
        # A failed test must not leave an import running under the next tests.
        self.addCleanup(process.kill)
        return process

    def assert_converged(self):
        """Orders equal Lightspeed's sales, sale by sale; no error record, no duplicate."""
        with RealEnv(self.dbname) as env:
            backend = env["lightspeed.backend"].browse(self.backend_id)
            client = backend._get_client()
            expected = {}
            shops = backend.shop_ids.filtered("import_enabled")
            for sale in client.iter_sales(shop_ids=shops.mapped("lightspeed_id")):
                if sale.completed:
                    expected[sale.sale_id] = Decimal(0) if sale.voided else sale.total
        rows = self.query(
            "SELECT lightspeed_sale_id, lightspeed_id, amount_total FROM pos_order "
            "WHERE lightspeed_backend_id = %s",
            [self.backend_id],
        )
        keys = [key for _sale, key, _total in rows]
        self.assertEqual(len(keys), len(set(keys)), "no order twice")
        actual = defaultdict(Decimal)
        for sale_id, _key, total in rows:
            actual[sale_id] += Decimal(str(total)).quantize(Decimal("0.01"))
        self.assertEqual(
            {sale: total for sale, total in actual.items() if total},
            {sale: total for sale, total in expected.items() if total},
        )
        errors = self.query(
            "SELECT lightspeed_id, error_message FROM lightspeed_sync_record "
            "WHERE backend_id = %s AND state IN ('error', 'pending')",
            [self.backend_id],
        )
        self.assertEqual(errors, [])

    # === tests === #

    def test_1_second_import_is_refused_or_skipped_while_one_runs(self):
        first = self.start(IMPORT_BUTTON)
        wait_until(
            lambda: (
                first.check_alive() and any(state == "running" for _id, state, _msg in self.runs())
            ),
            what="the first import to start its run",
        )
        button = self.start(IMPORT_BUTTON)
        cron = self.start(IMPORT_CRON)
        [refused] = button.wait()
        self.assertFalse(refused["ok"])
        self.assertIn("is already running", refused["error"])
        self.assertIn("Process tests", refused["error"])
        runs_during = self.runs()
        cron.wait()
        self.assertEqual(len(self.runs()), len(runs_during), "the cron skipped the backend")
        [done] = first.wait()
        self.assertTrue(done["ok"], done)
        self.assertEqual([state for _id, state, _msg in self.runs()], ["done"])
        self.assert_converged()

    def test_2_killed_import_is_interrupted_and_the_next_converges(self):
        # Something left to import: the first test imported everything.
        self.simulator.admin("add_sales", count=600)
        before = self.order_count()
        victim = self.start(IMPORT_BUTTON)
        wait_until(
            lambda: victim.check_alive() and self.order_count() >= before + 150,
            what="a first chunk of committed orders",
        )
        victim.kill()
        dead_id, state, _msg = self.runs()[-1]
        self.assertEqual(state, "running", "SIGKILL left the run as it was")
        [done] = self.start(IMPORT_BUTTON).wait()
        self.assertTrue(done["ok"], done)
        states = {run_id: (state, msg) for run_id, state, msg in self.runs()}
        self.assertEqual(states[dead_id][0], "interrupted")
        self.assertIn("stopped before it finished", states[dead_id][1])
        self.assertEqual(states[max(states)][0], "done")
        self.assert_converged()

    def waiting_on(self, event_type, event=None):
        """Backends of this database waiting on a lock of that kind (``Lock``/``advisory``)."""
        sql = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = %s"
        params = [self.dbname, event_type]
        if event:
            sql += " AND wait_event = %s"
            params.append(event)
        return self.query(sql, params)[0][0]

    def test_3_chunk_refused_for_a_concurrent_write_is_redone(self):
        """A row the import is about to write is written by another transaction that commits
        after the import began: PostgreSQL refuses the import's write (could not serialize
        access). The engine redoes that chunk instead of failing the run."""
        with RealEnv(self.dbname) as env:
            visa = env["lightspeed.payment.type"].search(
                [("backend_id", "=", self.backend_id), ("lightspeed_id", "=", "5")]
            )
            method = visa.payment_method_id
            visa.payment_method_id = False  # Visa sales fail until it is mapped again
        self.simulator.admin("add_sales", count=120)
        [done] = self.start(IMPORT_BUTTON).wait()
        self.assertTrue(done["ok"], done)
        failed = self.query(
            "SELECT id FROM lightspeed_sync_record WHERE backend_id = %s AND state = 'error'",
            [self.backend_id],
        )
        self.assertTrue(failed, "Visa sales wait for their payment method")
        with RealEnv(self.dbname) as env:
            env["lightspeed.payment.type"].browse(visa.id).payment_method_id = method
        other = db_connect(self.dbname).cursor()
        try:
            # Another transaction writes the first failed record and keeps its row locked.
            other.execute(
                "UPDATE lightspeed_sync_record SET attempt_count = attempt_count WHERE id = %s",
                [failed[0][0]],
            )
            retry = self.start(IMPORT_BUTTON, log_level="info")  # the redo is logged
            wait_until(
                lambda: retry.check_alive() and self.waiting_on("Lock"),
                what="the import to wait for the locked sync record",
            )
            # pylint: disable=invalid-commit
            other.commit()  # committed after the import's snapshot: its write is refused
        finally:
            other.close()
        [done] = retry.wait()
        self.assertTrue(done["ok"], done)
        self.assertIn("redoing it (attempt 2 of 5)", retry.stderr)
        self.assertEqual(self.runs()[-1][1], "done")
        self.assert_converged()

    def test_4_sales_of_one_company_are_booked_one_import_at_a_time(self):
        """Booking sales moves the company's stock and closing posts in its journals: the
        imports of one company process their chunks and close their days one after the other
        (the second waits) instead of PostgreSQL refusing one of them."""
        company_id = self.query(
            "SELECT company_id FROM lightspeed_backend WHERE id = %s", [self.backend_id]
        )[0][0]
        self.simulator.admin("add_sales", count=40)
        before = self.order_count()
        holder = db_connect(self.dbname).cursor()
        try:
            # Another import of the company is booking its sales: it holds the lock.
            holder.execute(
                "SELECT pg_advisory_lock(hashtext('lightspeed.company'), %s)", [company_id]
            )
            waiting = self.start(IMPORT_BUTTON)
            wait_until(
                lambda: waiting.check_alive() and self.waiting_on("Lock", "advisory"),
                what="the import to wait for the company's lock",
            )
            staged = self.query(
                "SELECT count(*) FROM lightspeed_sync_record WHERE backend_id = %s "
                "AND state = 'pending'",
                [self.backend_id],
            )[0][0]
            self.assertGreaterEqual(staged, 40, "it fetched and staged the new sales meanwhile")
            self.assertEqual(self.order_count(), before, "it books nothing while it waits")
            self.assertEqual(self.runs()[-1][1], "running", "it waits, it did not fail")
        finally:
            holder.execute(
                "SELECT pg_advisory_unlock(hashtext('lightspeed.company'), %s)", [company_id]
            )
            holder.close()
        [done] = waiting.wait()
        self.assertTrue(done["ok"], done)
        self.assertEqual(self.runs()[-1][1], "done")
        self.assert_converged()


# Last: the committed data (another company, the same simulated catalogue) must not be seen by
# the tests that run in a transaction. (Odoo's test metaclass resets the attribute in the class
# body.)
TestEngineProcesses.test_sequence = 100
