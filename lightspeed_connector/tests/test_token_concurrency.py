# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Token behaviour across real, independent transactions.

Odoo's test cursor nests every "new" cursor inside the test transaction, which would hide the
very property under test (a rotated token survives the rollback of the import that asked for
it). These tests therefore work on committed rows through real database connections, exactly as
production workers do, and delete what they committed afterwards.
"""

import threading
from datetime import timedelta
from unittest.mock import patch

from odoo import SUPERUSER_ID, api, fields
from odoo.exceptions import UserError
from odoo.modules.registry import DummyRLock, Registry
from odoo.sql_db import db_connect
from odoo.tests import tagged
from odoo.tests.common import TransactionCase

from .common import CLIENT_ID, CLIENT_SECRET, LightspeedSimulator, pin_clock, pinned_args

CLIENT_LOGGER = "odoo.addons.lightspeed_connector.api.client"
BACKEND_LOGGER = "odoo.addons.lightspeed_connector.models.lightspeed_backend"


@tagged("post_install", "-at_install")
class TestTokenTransactions(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Strict rotation: a refresh token dies the moment it is used, as at Lightspeed, so a
        # second refresh with the same token would fail instead of passing unnoticed.
        args = pinned_args(("--seed", "11", "--sales", "40", "--days", "3", "--strict-rotation"))
        pin_clock(cls, args)
        cls.simulator = LightspeedSimulator(*args)
        cls.addClassCleanup(cls.simulator.stop)

    def setUp(self):
        super().setUp()
        self.dbname = self.env.cr.dbname
        self.simulator.admin("clear_injections")
        # This class does not enter the registry's test mode: ``registry.cursor()`` opens real
        # transactions here, as it does for a production worker.
        self.assertFalse(self.registry.in_test_mode())
        # Post-install tests run while the loader holds the registry lock; worker threads need
        # it to build an environment. Test mode (HttpCase) swaps it for a dummy the same way.
        self.startPatcher(patch.object(Registry, "_lock", DummyRLock()))
        with self.real_env() as env:
            backend = env["lightspeed.backend"].create(
                {
                    "name": "Committed backend",
                    "api_url": self.simulator.url,
                    "auth_url": self.simulator.url,
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                }
            )
            self.backend_id = backend.id
        self.addCleanup(self._delete_committed_rows)
        with self.real_env() as env:
            backend = env["lightspeed.backend"].browse(self.backend_id)
            code, _state = self.simulator.approve(backend.action_connect()["url"])
            backend._complete_authorization(code)

    def real_env(self):
        """An environment on a real connection that commits when the block succeeds."""
        test = self

        class _Ctx:
            def __enter__(self):
                self.cr = db_connect(test.dbname).cursor()
                return api.Environment(self.cr, SUPERUSER_ID, {"tracking_disable": True})

            def __exit__(self, exc_type, exc, tb):
                if exc_type is None:
                    # These tests are about what real, separate transactions commit.
                    self.cr.commit()  # pylint: disable=invalid-commit
                self.cr.close()
                return False

        return _Ctx()

    def _delete_committed_rows(self):
        with self.real_env() as env:
            env.cr.execute(
                "DELETE FROM mail_activity WHERE res_model = 'lightspeed.backend' AND res_id = %s",
                [self.backend_id],
            )
            env.cr.execute(
                "DELETE FROM mail_message WHERE model = 'lightspeed.backend' AND res_id = %s",
                [self.backend_id],
            )
            env.cr.execute("DELETE FROM lightspeed_backend WHERE id = %s", [self.backend_id])

    def stored_token(self):
        with self.real_env() as env:
            env.cr.execute(
                "SELECT access_token, refresh_token FROM lightspeed_oauth_token "
                "WHERE backend_id = %s",
                [self.backend_id],
            )
            return env.cr.fetchone()

    def backend_state(self):
        with self.real_env() as env:
            return env["lightspeed.backend"].browse(self.backend_id).state

    def test_rotation_survives_a_failed_sync(self):
        _access, refresh_before = self.stored_token()
        refreshes_before = self.simulator.stats()["refreshes"]
        self.simulator.admin("expire_tokens")
        self.simulator.admin("inject", kind="503", count=100, path_contains="Employee")
        with (
            self.assertRaises(UserError),
            self.assertLogs(CLIENT_LOGGER, "WARNING") as logs,
            self.real_env() as env,
        ):
            env["lightspeed.backend"].browse(self.backend_id).action_sync_metadata()
        self.assertIn("503", "\n".join(logs.output), "5xx answers are retried with a warning")
        _access, refresh_after = self.stored_token()
        self.assertEqual(self.simulator.stats()["refreshes"], refreshes_before + 1)
        self.assertNotEqual(refresh_after, refresh_before, "the rotated token was committed")
        self.simulator.admin("clear_injections")
        with self.real_env() as env:
            backend = env["lightspeed.backend"].browse(self.backend_id)
            # The old refresh token is dead at Lightspeed; the stored one works.
            self.assertEqual(backend.state, "connected")
            env.cr.execute(
                "UPDATE lightspeed_oauth_token SET expires_at = %s WHERE backend_id = %s",
                [fields.Datetime.now() - timedelta(minutes=5), self.backend_id],
            )
        with self.real_env() as env:
            client = env["lightspeed.backend"].browse(self.backend_id)._get_client()
            self.assertTrue(client.get_account().account_id)

    def test_two_workers_refresh_once(self):
        stale_access, _refresh = self.stored_token()
        with self.real_env() as env:
            stale = env["lightspeed.backend"].browse(self.backend_id)._read_token()
        self.assertEqual(stale.access_token, stale_access)
        refreshes_before = self.simulator.stats()["refreshes"]
        # The token endpoint answers after a second: the first worker holds the row lock for
        # that long, so the second one is certain to arrive while the refresh is in flight.
        self.simulator.admin("set_token_delay", seconds=1)
        self.addCleanup(self.simulator.admin, "set_token_delay", seconds=0)
        barrier = threading.Barrier(2)
        results, errors = [], []

        def worker():
            try:
                with self.real_env() as env:
                    backend = env["lightspeed.backend"].browse(self.backend_id)
                    barrier.wait(timeout=10)
                    results.append(backend._refresh_access_token(stale).access_token)
            except Exception as exc:  # reported below with the assertion
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        self.assertFalse(errors, errors)
        self.assertEqual(self.simulator.stats()["refreshes"], refreshes_before + 1)
        self.assertEqual(len(results), 2)
        self.assertEqual(results[0], results[1], "both workers use the one new token")
        self.assertNotEqual(results[0], stale_access)
        self.assertEqual(self.stored_token()[0], results[0])

    def test_revoked_token_needs_reauthorisation_and_keeps_mappings(self):
        with self.real_env() as env:
            backend = env["lightspeed.backend"].browse(self.backend_id)
            shop = backend.shop_ids[:1]
            department = env["hr.department"].create({"name": "Kept department"})
            shop.department_id = department
            shop_count = len(backend.shop_ids)
        self.simulator.admin("revoke_tokens")
        with (
            self.assertRaisesRegex(UserError, "re-authorise"),
            self.assertLogs(BACKEND_LOGGER, "WARNING"),
            self.real_env() as env,
        ):
            env["lightspeed.backend"].browse(self.backend_id).action_sync_metadata()
        self.assertEqual(self.backend_state(), "reauth_needed")
        with self.real_env() as env:
            backend = env["lightspeed.backend"].browse(self.backend_id)
            self.assertTrue(backend.activity_ids, "an administrator gets a to-do")
            self.assertIn("Connect to Lightspeed", backend.activity_ids[0].note)
            # Crons skip the backend while it waits.
            self.assertNotIn(
                backend, env["lightspeed.backend"].search([("state", "=", "connected")])
            )
        with self.real_env() as env:
            backend = env["lightspeed.backend"].browse(self.backend_id)
            code, _state = self.simulator.approve(backend.action_connect()["url"])
            backend._complete_authorization(code)
        with self.real_env() as env:
            backend = env["lightspeed.backend"].browse(self.backend_id)
            self.assertEqual(backend.state, "connected")
            self.assertEqual(len(backend.shop_ids), shop_count, "re-connecting keeps mappings")
            self.assertEqual(
                backend.shop_ids.filtered("department_id").department_id.name, "Kept department"
            )
            self.assertFalse(backend.activity_ids, "the to-do is closed on re-connect")
            department = backend.shop_ids.department_id
            backend.shop_ids.department_id = False
            department.unlink()

    def test_locked_authorising_user_stops_the_connection(self):
        self.simulator.admin("lock_employee")
        self.simulator.admin("expire_tokens")
        with (
            self.assertRaises(UserError),
            self.assertLogs(BACKEND_LOGGER, "WARNING"),
            self.real_env() as env,
        ):
            env["lightspeed.backend"].browse(self.backend_id).action_test_connection()
        self.assertEqual(self.backend_state(), "reauth_needed")
        self.simulator.admin("lock_employee", locked=False)
