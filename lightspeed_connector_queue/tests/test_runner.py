# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Jobs through the real queue_job runner: an Odoo server of its own on the test database,
with ``--load=web,queue_job`` and the documented channel string, two runner slots.

It proves what needs real processes and commits: one account's jobs never overlap (the
simulator counts the requests each account has in flight) while two accounts run in parallel,
a 429 storm is retried by the runner after Retry-After, a revoked token fails its job and puts
the backend in *Re-authorisation needed*, and a backfill split into chunks converges with the
hourly import, with no order twice. The data is committed in a company of its own; the backends
are archived afterwards.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from unittest.mock import patch

from odoo import SUPERUSER_ID, api, fields
from odoo.modules.registry import DummyRLock, Registry
from odoo.sql_db import db_connect
from odoo.tests import tagged
from odoo.tests.common import TransactionCase
from odoo.tools import config

from odoo.addons.lightspeed_connector.tests.common import (
    CLIENT_ID,
    CLIENT_SECRET,
    LightspeedSimulator,
)
from odoo.addons.lightspeed_connector.tests.odoo_process import wait_until

from .common import CLOCK_INS, SALES

# The runner configuration documented in the README ("Scaling out"), with two slots.
CHANNELS = "root:2,root.lightspeed:2"


class RealEnv:
    """An environment on a connection of its own that commits when the block succeeds."""

    def __init__(self, dbname, context=None):
        self.dbname, self.context = dbname, context or {}

    def __enter__(self):
        self.cr = db_connect(self.dbname).cursor()
        return api.Environment(self.cr, SUPERUSER_ID, dict(self.context, tracking_disable=True))

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            # What the runner's server sees must be committed.
            # pylint: disable=invalid-commit
            self.cr.commit()
        self.cr.close()
        return False


class OdooServer:
    """``odoo server`` with queue_job's runner, on the test database and a free port."""

    def __init__(self, dbname, workdir):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.log = Path(workdir, "odoo-runner.log")
        args = [sys.executable, "-m", "odoo", "server", "-d", dbname, f"--db-filter=^{dbname}$"]
        args += [f"--addons-path={config['addons_path']}", "--load=web,queue_job"]
        args += ["--workers=0", "--max-cron-threads=0", "--http-interface=127.0.0.1"]
        args += [f"--http-port={port}", "--limit-time-real=900", "--limit-memory-soft=0"]
        args += [f"--logfile={self.log}", "--log-level=info"]
        for key in ("db_host", "db_port", "db_user", "db_password", "data_dir"):
            if config.get(key):
                args.append(f"--{key.replace('_dir', '-dir')}={config[key]}")
        env = dict(os.environ, ODOO_QUEUE_JOB_CHANNELS=CHANNELS, PYTHONUNBUFFERED="1")
        env.pop("ODOO_QUEUE_JOB_MAX_CAPACITY", None)
        self.process = subprocess.Popen(
            args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )

    def tail(self, lines=60):
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@tagged("post_install", "-at_install")
class TestQueueRunner(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dbname = cls.env.cr.dbname
        # Post-install tests run while the loader holds the registry lock.
        cls.startClassPatcher(patch.object(Registry, "_lock", DummyRLock()))
        cls.simulators = {}
        for name, account, sales in (
            ("a", "41001", "300"),
            ("b", "41002", "160"),
            ("c", "41003", "20"),
        ):
            simulator = LightspeedSimulator(
                "--seed",
                account[-2:],
                "--sales",
                sales,
                "--days",
                "4",
                "--account-id",
                account,
                "--bucket-size",
                "100000",
                "--burst-limit",
                "100000",
            )
            cls.addClassCleanup(simulator.stop)
            cls.simulators[name] = simulator
        with RealEnv(cls.dbname) as env:
            # Committed: a name of its own for each run of the suite on the same database.
            company = env["res.company"].create(
                {"name": f"Lightspeed queue runner tests {uuid.uuid4().hex[:8]}"}
            )
            env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
            cls.company_id = company.id
        cls.backend_ids = {}
        for name, simulator in cls.simulators.items():
            with RealEnv(cls.dbname, {"allowed_company_ids": [cls.company_id]}) as env:
                cls.backend_ids[name] = (
                    env["lightspeed.backend"]
                    .create(
                        {
                            "name": f"Runner {name.upper()}",
                            "company_id": cls.company_id,
                            "api_url": simulator.url,
                            "auth_url": simulator.url,
                            "client_id": CLIENT_ID,
                            "client_secret": CLIENT_SECRET,
                            "initial_import_days": 5,
                            "correction_window_days": 1,
                            "create_missing_employees": True,
                        }
                    )
                    .id
                )
            with RealEnv(cls.dbname, {"allowed_company_ids": [cls.company_id]}) as env:
                cls._connect_and_map(env["lightspeed.backend"].browse(cls.backend_ids[name]), name)
        cls.addClassCleanup(cls._archive_backends)

    @classmethod
    def _connect_and_map(cls, backend, name):
        env = backend.env
        code, _state = cls.simulators[name].approve(backend.action_connect()["url"])
        backend._complete_authorization(code)
        for shop in backend.shop_ids.filtered(lambda s: not s.remote_archived):
            code = f"Q{name.upper()}{shop.lightspeed_id}"
            warehouse = env["stock.warehouse"].create(
                {"name": f"Runner {code}", "code": code, "company_id": cls.company_id}
            )
            department = env["hr.department"].create(
                {"name": f"Runner {code}", "company_id": cls.company_id}
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
    def _archive_backends(cls):
        with RealEnv(cls.dbname) as env:
            env["lightspeed.backend"].browse(list(cls.backend_ids.values())).write(
                {"state": "disabled", "active": False}
            )

    # === helpers === #

    def query(self, sql, params=()):
        with RealEnv(self.dbname) as env:
            env.cr.execute(sql, params)
            return env.cr.fetchall()

    def job_rows(self, uuids):
        return self.query(
            "SELECT uuid, state, retry, date_started, date_done, exc_message, records "
            "FROM queue_job WHERE uuid IN %s",
            [tuple(uuids)],
        )

    # === the test === #

    def test_real_runner(self):
        ids = self.backend_ids
        uuids = defaultdict(list)
        with RealEnv(self.dbname, {"allowed_company_ids": [self.company_id]}) as env:
            backends = {name: env["lightspeed.backend"].browse(ids[name]) for name in ids}
            for name in ("a", "b"):
                for importer in (SALES, CLOCK_INS):
                    job, _created = backends[name]._lightspeed_enqueue(importer)
                    uuids[name].append(job.uuid)
            job, _created = backends["c"]._lightspeed_enqueue(SALES)
            uuids["c"].append(job.uuid)
            # A backfill of account A over the days the hourly import reads, two days a job.
            today = fields.Date.context_today(backends["a"])
            wizard = env["lightspeed.backfill.wizard"].create(
                {
                    "backend_id": ids["a"],
                    "date_from": today - timedelta(days=3),
                    "date_to": today,
                    "chunk_days": 2,
                    "import_clock_ins": False,
                }
            )
            wizard.action_run()
            chunks = env["queue.job"].search([("method_name", "=", "_lightspeed_job_backfill")])
            chunks = chunks.filtered(lambda job: job.records.id == ids["a"])
            self.assertEqual(
                len(chunks), 2 * len(backends["a"].shop_ids.filtered("import_enabled"))
            )
            uuids["a"] += chunks.mapped("uuid")
        # Account B: a 429 storm outlasting the client's own retries (the last one asks for
        # 2 s); account C: its tokens are revoked.
        self.simulators["b"].admin("inject", kind="429", count=5, retry_after=0)
        self.simulators["b"].admin("inject", kind="429", count=1, retry_after=2)
        self.simulators["c"].admin("revoke_tokens")
        for simulator in self.simulators.values():
            simulator.admin("reset_stats")
        all_uuids = [uuid for name in uuids for uuid in uuids[name]]
        workdir = tempfile.mkdtemp(prefix="lightspeed-runner-")
        self.addCleanup(shutil.rmtree, workdir, ignore_errors=True)
        server = OdooServer(self.dbname, workdir)
        self.addCleanup(server.stop)

        def finished():
            if server.process.poll() is not None:
                raise AssertionError(f"the Odoo server stopped:\n{server.tail()}")
            rows = self.job_rows(all_uuids)
            return all(row[1] in ("done", "failed") for row in rows) and rows

        try:
            rows = wait_until(finished, timeout=600, interval=1, what="every job to finish")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.job_rows(all_uuids)}\n{server.tail()}") from exc
        server.stop()
        by_uuid = {row[0]: row for row in rows}

        # A and B: every job done; C: failed with the re-authorisation message.
        for name in ("a", "b"):
            self.assertEqual(
                {by_uuid[uuid][1] for uuid in uuids[name]},
                {"done"},
                f"{name}: {[by_uuid[uuid][5] for uuid in uuids[name]]}\n{server.tail()}",
            )
        [(_uuid, state, _retry, _s, _d, message, _r)] = [by_uuid[uuid] for uuid in uuids["c"]]
        self.assertEqual(state, "failed")
        self.assertIn("Click Connect to Lightspeed to re-authorise it", message)
        self.assertEqual(
            self.query("SELECT state FROM lightspeed_backend WHERE id = %s", [ids["c"]]),
            [("reauth_needed",)],
        )
        # One request at a time per account, the accounts in parallel.
        for name in ("a", "b"):
            self.assertEqual(self.simulators[name].stats()["api_max_in_flight"], 1, name)
        spans = {
            name: [(by_uuid[uuid][3], by_uuid[uuid][4]) for uuid in uuids[name]]
            for name in ("a", "b")
        }
        self.assertTrue(
            any(
                a_start < b_end and b_start < a_end
                for a_start, a_end in spans["a"]
                for b_start, b_end in spans["b"]
            ),
            f"accounts A and B never ran at the same time: {spans}",
        )
        # B's 429 storm: a failed run, then the runner retried the job after Retry-After.
        rate_limited = self.query(
            "SELECT j.uuid, j.retry, r.state FROM lightspeed_sync_run r "
            "JOIN queue_job j ON j.id = r.job_id "
            "WHERE r.backend_id = %s AND r.message ILIKE %s",
            [ids["b"], "%rate limit%"],
        )
        self.assertTrue(rate_limited, "the 429 storm failed a run")
        [(uuid, retry, run_state)] = rate_limited
        self.assertEqual((by_uuid[uuid][1], run_state), ("done", "failed"))
        self.assertGreaterEqual(retry, 1)
        # Every job ran as engine runs linked to it.
        runs = self.query(
            "SELECT r.backend_id, j.uuid FROM lightspeed_sync_run r "
            "LEFT JOIN queue_job j ON j.id = r.job_id "
            "WHERE r.backend_id IN %s AND r.stream != 'metadata'",
            [tuple(ids.values())],
        )
        self.assertTrue(all(uuid for _backend, uuid in runs), "every run links to its job")
        self.assertEqual({uuid for _backend, uuid in runs}, set(all_uuids))
        self.assert_converged(ids["a"], self.simulators["a"])
        self.assert_converged(ids["b"], self.simulators["b"])

    def assert_converged(self, backend_id, simulator):
        """Orders equal Lightspeed's sales, sale by sale, none twice, no error record."""
        with RealEnv(self.dbname) as env:
            backend = env["lightspeed.backend"].browse(backend_id)
            client = backend._get_client()
            since = datetime.now(timezone.utc) - timedelta(days=backend.initial_import_days)
            expected = {}
            for sale in client.iter_sales(
                shop_ids=backend.shop_ids.filtered("import_enabled").mapped("lightspeed_id"),
                completed_from=since,
            ):
                if sale.completed:
                    expected[sale.sale_id] = Decimal(0) if sale.voided else sale.total
        rows = self.query(
            "SELECT lightspeed_sale_id, lightspeed_id, amount_total FROM pos_order "
            "WHERE lightspeed_backend_id = %s",
            [backend_id],
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
            "WHERE backend_id = %s AND record_type = 'sale' AND state IN ('error', 'pending')",
            [backend_id],
        )
        self.assertEqual(errors, [])


# Last, and alone with its committed data (Odoo's test metaclass resets the attribute in the
# class body).
TestQueueRunner.test_sequence = 100
