# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Pasted refresh tokens (headless setup) and write-only secrets.

The paste tests work on real, separate transactions (no registry test mode), as production
does: a backend created in one transaction is invisible to every other one until it commits,
which is exactly what broke ``create({..., "refresh_token": ...})`` in one call. Odoo's test
mode would hide that (every "new" cursor is nested in the test transaction), so these tests
commit and delete what they committed afterwards, as test_token_concurrency.py does.

- ``TestPastedTokenTransactions``: ``create``/``write`` in one real transaction each.
- ``TestPastedTokenXmlRpc``: ``execute_kw create`` over real XML-RPC on the running server.
- ``TestSecretsNeverShown``: the backend views, read the way the web client reads them.
"""

import hashlib
import json
import xmlrpc.client
from contextlib import contextmanager
from unittest.mock import patch

from lxml import etree

from odoo import SUPERUSER_ID, api
from odoo.exceptions import AccessError, UserError
from odoo.modules.registry import DummyRLock, Registry
from odoo.sql_db import db_connect
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import TransactionCase

from .common import (
    CLIENT_ID,
    CLIENT_SECRET,
    LightspeedCommon,
    LightspeedSimulator,
    pin_clock,
    pinned_args,
)

BACKEND_LOGGER = "odoo.addons.lightspeed_connector.models.lightspeed_backend"


def digest(refresh_token):
    return hashlib.sha256(refresh_token.encode()).hexdigest()


class RealTransactions:
    """Helpers for tests on committed rows; ``setUp`` registers their deletion.

    The simulator revokes a refresh token as soon as it is used (``--strict-rotation``), so a
    pasted token that was exchanged and then lost could never be used again.
    """

    @classmethod
    def start_simulator(cls, seed):
        args = pinned_args(
            ("--seed", str(seed), "--sales", "20", "--days", "2", "--strict-rotation")
        )
        pin_clock(cls, args)
        cls.simulator = LightspeedSimulator(*args)
        cls.addClassCleanup(cls.simulator.stop)

    def setUp(self):
        super().setUp()
        self.dbname = self.env.cr.dbname
        self.assertFalse(self.registry.in_test_mode(), "these tests need real transactions")
        # Post-install tests run while the loader holds the registry lock; the connector's own
        # transactions (and the HTTP server's) need it (test_token_concurrency.py does the same).
        self.startPatcher(patch.object(Registry, "_lock", DummyRLock()))
        self.backend_ids = []
        self.digests = []
        self.addCleanup(self._delete_committed_rows)

    @contextmanager
    def real_env(self):
        """An environment on a real connection that commits when the block succeeds."""
        cr = db_connect(self.dbname).cursor()
        try:
            yield api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            # These tests are about what real, separate transactions commit.
            cr.commit()  # pylint: disable=invalid-commit
        finally:
            cr.close()

    def _delete_committed_rows(self):
        with self.real_env() as env:
            for query in (
                "DELETE FROM mail_activity WHERE res_model = %(model)s AND res_id = ANY(%(ids)s)",
                "DELETE FROM mail_message WHERE model = %(model)s AND res_id = ANY(%(ids)s)",
                "DELETE FROM mail_followers WHERE res_model = %(model)s AND res_id = ANY(%(ids)s)",
                "DELETE FROM lightspeed_backend WHERE id = ANY(%(ids)s)",
                "DELETE FROM lightspeed_oauth_token WHERE pasted_digest = ANY(%(digests)s)",
            ):
                env.cr.execute(
                    query,
                    {
                        "model": "lightspeed.backend",
                        "ids": self.backend_ids,
                        "digests": self.digests,
                    },
                )

    def vals(self, **overrides):
        vals = {
            "name": "Pasted token",
            "api_url": self.simulator.url,
            "auth_url": self.simulator.url,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            # The account's taxes would be created, and committed, in the main company.
            "create_missing_taxes": False,
        }
        vals.update(overrides)
        return vals

    def fresh_token(self):
        """A refresh token nobody used yet, as an integrator would paste it."""
        token = self.simulator.admin("issue_token")["refresh_token"]
        self.digests.append(digest(token))
        return token

    def token_state(self, refresh_token):
        return self.simulator.admin("token_state", refresh_token=refresh_token)["state"]

    def create_committed(self, vals):
        with self.real_env() as env:
            backend = env["lightspeed.backend"].create(vals)
            self.backend_ids.append(backend.id)
            return backend.id

    def stored_pair(self, backend_id):
        with self.real_env() as env:
            env.cr.execute(
                "SELECT access_token, refresh_token FROM lightspeed_oauth_token "
                "WHERE backend_id = %s",
                [backend_id],
            )
            return env.cr.fetchone()

    def escrowed_refresh_token(self, pasted):
        with self.real_env() as env:
            env.cr.execute(
                "SELECT refresh_token FROM lightspeed_oauth_token "
                "WHERE backend_id IS NULL AND pasted_digest = %s",
                [digest(pasted)],
            )
            return [row[0] for row in env.cr.fetchall()]

    @contextmanager
    def access_tokens_expire_before_metadata(self):
        """The access token dies at Lightspeed right before the metadata sync of the save: the
        client gets a 401 and must refresh while nothing of the save is committed."""
        Backend = self.registry["lightspeed.backend"]
        original = Backend._sync_metadata
        simulator = self.simulator

        def _sync_metadata(backend, client):
            simulator.admin("expire_tokens")
            return original(backend, client)

        with patch.object(Backend, "_sync_metadata", _sync_metadata):
            yield

    def assert_connected_with_stored_pair(self, backend_id, pasted):
        with self.real_env() as env:
            backend = env["lightspeed.backend"].browse(backend_id)
            self.assertEqual(backend.state, "connected")
            self.assertEqual(backend.account_id, self.simulator.admin("state")["account_id"])
            self.assertTrue(backend.shop_ids, "the metadata was read in the same save")
            self.assertIn("Token stored, last refreshed on", backend.token_status)
        _access, refresh = self.stored_pair(backend_id)
        self.assertNotEqual(refresh, pasted, "the stored token is the rotated one")
        self.assertEqual(self.token_state(refresh), "active")
        self.assertEqual(self.token_state(pasted), "revoked")
        self.assertFalse(self.escrowed_refresh_token(pasted), "the escrow is dropped on commit")
        # A later, separate transaction works with what the save committed.
        with self.real_env() as env:
            client = env["lightspeed.backend"].browse(backend_id)._get_client()
            self.assertTrue(client.get_account().account_id)


@tagged("post_install", "-at_install")
class TestPastedTokenTransactions(RealTransactions, TransactionCase):
    """``create``/``write`` with a pasted refresh token, each in one real transaction."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_simulator(13)

    def test_create_with_token_in_one_call(self):
        pasted = self.fresh_token()
        backend_id = self.create_committed(self.vals(refresh_token=pasted))
        self.assert_connected_with_stored_pair(backend_id, pasted)

    def test_refresh_during_the_create_uses_the_pair_in_hand(self):
        pasted = self.fresh_token()
        refreshes = self.simulator.stats()["refreshes"]
        with self.access_tokens_expire_before_metadata():
            backend_id = self.create_committed(self.vals(refresh_token=pasted))
        stats = self.simulator.stats()
        self.assertEqual(stats["refreshes"], refreshes + 2, "the paste, then the 401")
        self.assertTrue(stats["served_401"])
        self.assert_connected_with_stored_pair(backend_id, pasted)

    def test_write_uses_the_values_being_saved(self):
        backend_id = self.create_committed(
            self.vals(
                api_url="http://127.0.0.1:9",
                auth_url="http://127.0.0.1:9",
                client_id="old-client",
                client_secret="old-secret",
            )
        )
        pasted = self.fresh_token()
        # The refresh token comes first on purpose: the new secret must be stored before it.
        with self.access_tokens_expire_before_metadata(), self.real_env() as env:
            env["lightspeed.backend"].browse(backend_id).write(
                {
                    "refresh_token": pasted,
                    "api_url": self.simulator.url,
                    "auth_url": self.simulator.url,
                    "client_id": CLIENT_ID,
                    "new_client_secret": CLIENT_SECRET,
                }
            )
        self.assert_connected_with_stored_pair(backend_id, pasted)
        with self.real_env() as env:
            self.assertEqual(
                env["lightspeed.backend"].browse(backend_id).client_secret, CLIENT_SECRET
            )

    def test_failure_after_the_exchange_keeps_the_new_pair(self):
        # An existing backend already imports the account: the new one is refused, but only
        # once Lightspeed has answered the refresh, which revoked the pasted token.
        existing_id = self.create_committed(self.vals(name="Already connected"))
        with self.real_env() as env:
            existing = env["lightspeed.backend"].browse(existing_id)
            code, _state = self.simulator.approve(existing.action_connect()["url"])
            existing._complete_authorization(code)
        pasted = self.fresh_token()
        with (
            self.assertRaises(UserError) as caught,
            self.assertLogs(BACKEND_LOGGER, "WARNING"),
            self.real_env() as env,
        ):
            env["lightspeed.backend"].create(self.vals(refresh_token=pasted))
        # Clearly reported: the cause, and that the new pair is safe.
        message = caught.exception.args[0]
        self.assertIn("already connected by backend Already connected", message)
        self.assertIn("save again with the same pasted refresh token", message)
        with self.real_env() as env:
            self.assertFalse(
                env["lightspeed.backend"].search([("name", "=", "Pasted token")]),
                "the failed create rolled back",
            )
        self.assertEqual(self.token_state(pasted), "revoked", "the pasted token is spent")
        [escrowed] = self.escrowed_refresh_token(pasted)
        self.assertEqual(self.token_state(escrowed), "active", "its successor was committed")
        # The integrator fixes the cause and saves again with the same pasted token.
        with self.real_env() as env:
            env["lightspeed.backend"].browse(existing_id).unlink()
        backend_id = self.create_committed(self.vals(refresh_token=pasted))
        self.assert_connected_with_stored_pair(backend_id, pasted)
        self.assertEqual(self.token_state(escrowed), "revoked", "the escrowed pair was used")


@tagged("post_install", "-at_install")
class TestPastedTokenXmlRpc(RealTransactions, HttpCase):
    """The headless path itself: ``execute_kw create`` on the running server, which serves it
    in a real transaction of its own (no test mode), exactly as in production."""

    registry_test_mode = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_simulator(17)

    def setUp(self):
        super().setUp()
        # A test-enabled registry routes read-only RPCs (read) to a replica pool, which does
        # not exist here: use the main one, as production does without a replica.
        self.startPatcher(patch.object(self.registry, "_db_readonly", None))

    def execute(self, method, *args):
        with self.real_env() as env:
            uid = env.ref("base.user_admin").id
        return self.xmlrpc_object.execute_kw(
            self.dbname, uid, "admin", "lightspeed.backend", method, *args
        )

    def test_create_over_xmlrpc_connects(self):
        pasted = self.fresh_token()
        backend_id = self.execute("create", [self.vals(name="Headless", refresh_token=pasted)])
        self.backend_ids.append(backend_id)
        self.assert_connected_with_stored_pair(backend_id, pasted)
        with self.real_env() as env:
            backend = env["lightspeed.backend"].browse(backend_id)
            self.assertTrue(backend.register_ids and backend.payment_type_ids)
        self.assertTrue(self.execute("action_sync_metadata", [[backend_id]]))
        [read] = self.execute("read", [[backend_id]], {"fields": ["refresh_token", "state"]})
        self.assertFalse(read["refresh_token"], "the input reads empty over XML-RPC too")
        self.assertEqual(read["state"], "connected")

    def test_refused_token_is_reported_over_xmlrpc(self):
        with (
            self.assertRaises(xmlrpc.client.Fault) as caught,
            self.assertLogs("odoo.http", "WARNING"),  # how Odoo logs a UserError of an RPC
        ):
            self.execute("create", [self.vals(name="Headless", refresh_token="not-a-token")])
        self.assertIn("Lightspeed refused the pasted refresh token", caught.exception.faultString)
        with self.real_env() as env:
            self.assertFalse(env["lightspeed.backend"].search([("name", "=", "Headless")]))


def field_spec(node):
    """``{name: spec}`` of the fields of a view node; x2many subviews give nested specs."""
    spec = {}
    for child in node.iterchildren(tag=etree.Element):
        if child.tag != "field":
            spec.update(field_spec(child))
            continue
        subfields = field_spec(child)
        spec[child.get("name")] = {"fields": subfields} if subfields else {}
    return spec


@tagged("post_install", "-at_install")
class TestSecretsNeverShown(LightspeedCommon):
    """What the web client reads for the backend views never carries a secret."""

    def setUp(self):
        super().setUp()
        self.connect()
        self.admin = self.env.ref("base.user_admin")
        self.assertTrue(self.admin.has_group("base.group_system"))

    def secrets(self):
        self.env["lightspeed.oauth.token"].invalidate_model()
        token = self.backend._token_record()
        values = [token.access_token, token.refresh_token, self.backend.sudo().client_secret]
        self.assertTrue(all(values), "a connected backend has all three")
        return values

    def assert_no_secret(self, payload, secrets, what):
        text = json.dumps(payload, default=str)
        for secret in secrets:
            self.assertNotIn(secret, text, f"{what} shows a secret")

    def view_spec(self, backend, view_type):
        """The view and the ``web_read`` specification the web client builds from its arch."""
        view = backend.get_views([(False, view_type)])["views"][view_type]
        return view, field_spec(etree.fromstring(view["arch"]))

    def test_form_and_list_never_show_secrets(self):
        secrets = self.secrets()
        for user_backend in (self.backend.with_user(self.admin), self.backend.sudo()):
            for view_type in ("form", "list"):
                view, spec = self.view_spec(user_backend, view_type)
                self.assert_no_secret(view, secrets, f"the {view_type} arch")
                self.assert_no_secret(
                    user_backend.web_read(spec), secrets, f"web_read of the {view_type}"
                )
                self.assert_no_secret(
                    user_backend.read(list(spec)), secrets, f"read of the {view_type}"
                )
        _view, spec = self.view_spec(self.backend.with_user(self.admin), "form")
        self.assertNotIn("client_secret", spec, "the stored secret is never rendered")
        self.assertLessEqual(
            {"new_client_secret", "client_secret_status", "refresh_token", "token_status"},
            set(spec),
        )
        [values] = self.backend.with_user(self.admin).web_read(spec)
        self.assertFalse(values["refresh_token"])
        self.assertFalse(values["new_client_secret"])
        self.assertEqual(values["client_secret_status"], "set")
        self.assertIn("Token stored, last refreshed on", values["token_status"])

    def test_new_record_form_shows_no_secret(self):
        secrets = self.secrets()
        Backend = self.env["lightspeed.backend"].with_user(self.admin)
        _view, spec = self.view_spec(Backend, "form")
        result = Backend.onchange({}, [], spec)
        self.assert_no_secret(result, secrets, "a new form")

    def test_saving_the_form_never_reads_a_secret_back(self):
        backend = self.backend.with_user(self.admin)
        _view, spec = self.view_spec(backend, "form")
        pasted = self.simulator.admin("issue_token")["refresh_token"]
        # As the form saves: only the changed fields, then the record is read back.
        result = backend.web_save(
            {"new_client_secret": f"  {CLIENT_SECRET}  ", "refresh_token": pasted}, spec
        )
        self.assertEqual(self.backend.sudo().client_secret, CLIENT_SECRET, "stored, stripped")
        self.assertEqual(self.backend.state, "connected")
        self.assertNotEqual(self.stored_refresh_token(), pasted)
        self.assert_no_secret(result, [*self.secrets(), pasted], "the saved form")
        # An empty input keeps what is stored.
        backend.web_save({"new_client_secret": False, "refresh_token": False}, spec)
        self.assertEqual(self.backend.sudo().client_secret, CLIENT_SECRET)
        self.assertTrue(self.backend.has_refresh_token)

    def test_new_record_saved_from_the_form(self):
        Backend = self.env["lightspeed.backend"].with_user(self.admin)
        _view, spec = self.view_spec(Backend, "form")
        self.backend.unlink()  # one backend per account and company
        pasted = self.simulator.admin("issue_token")["refresh_token"]
        [result] = Backend.web_save(
            {
                "name": "From the form",
                "api_url": self.simulator.url,
                "auth_url": self.simulator.url,
                "client_id": CLIENT_ID,
                "new_client_secret": CLIENT_SECRET,
                "refresh_token": pasted,
            },
            spec,
        )
        backend = Backend.browse(result["id"])
        self.assertEqual(backend.state, "connected")
        self.assert_no_secret(result, [*self.secrets_of(backend), pasted], "the created form")

    def secrets_of(self, backend):
        token = backend.sudo()._token_record()
        return [token.access_token, token.refresh_token, backend.sudo().client_secret]

    def test_only_system_administrators_write_secrets(self):
        manager = new_test_user(
            self.env,
            login="ls_secret_manager",
            groups="base.group_user,lightspeed_connector.group_lightspeed_manager",
        )
        backend = self.backend.with_user(manager)
        [values] = backend.read(["token_status", "client_secret_status", "has_refresh_token"])
        self.assertEqual(values["client_secret_status"], "set")
        self.assertIn("Token stored", values["token_status"])
        for field in ("new_client_secret", "refresh_token", "access_token", "client_secret"):
            with self.assertRaises(AccessError):
                backend.write({field: "x"})
        _view, spec = self.view_spec(backend, "form")
        self.assertFalse(
            set(spec) & {"new_client_secret", "refresh_token", "access_token", "client_secret"},
            "a Lightspeed manager's form has no secret input at all",
        )
