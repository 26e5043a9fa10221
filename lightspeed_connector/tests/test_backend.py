# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import LightspeedCommon, LightspeedSimulator


@tagged("post_install", "-at_install")
class TestBackend(LightspeedCommon):
    def test_connect_discovers_account_and_metadata(self):
        self.connect()
        backend = self.backend
        self.assertEqual(backend.state, "connected")
        self.assertTrue(backend.account_id)
        self.assertEqual(backend.authorized_user_id, self.env.user)
        self.assertTrue(backend.lightspeed_user_id, "the approving Lightspeed user is kept")
        self.assertFalse(backend.sudo().oauth_state, "a state is single-use")
        self.assertGreaterEqual(len(backend.shop_ids), 3)
        self.assertTrue(backend.register_ids)
        self.assertTrue(backend.payment_type_ids)
        self.assertTrue(backend.tax_ids)
        self.assertTrue(
            backend.employee_ids.filtered("remote_archived"),
            "archived employees are read too, so old sales still resolve",
        )
        zones = set(backend.shop_ids.mapped("timezone"))
        self.assertGreater(len(zones), 1, "the simulated shops live in several time zones")
        token = backend._token_record()
        self.assertTrue(token.refresh_token and token.access_token and token.expires_at)
        run = self.env["lightspeed.sync.run"].search([("backend_id", "=", backend.id)])
        self.assertEqual(run.run_type, "metadata")
        self.assertEqual(run.state, "done")
        self.assertGreater(run.request_count, 0)

    def test_metadata_sync_twice_updates_and_never_duplicates(self):
        self.connect()
        backend = self.backend
        shop = backend.shop_ids.filtered(lambda s: not s.remote_archived)[:1]
        shop.write({"warehouse_id": self.warehouse.id, "department_id": self.department.id})
        self.assertTrue(shop.pos_config_id, "a warehouse gets the shop its own point of sale")
        config = shop.pos_config_id
        self.assertEqual(config.picking_type_id, self.warehouse.pos_type_id)
        self.assertTrue(shop.cash_payment_method_id.journal_id.type == "cash")
        self.assertIn(shop.cash_payment_method_id, config.payment_method_ids)
        before = {
            model: self.env[model].search_count([("backend_id", "=", backend.id)])
            for model in (
                "lightspeed.shop",
                "lightspeed.register",
                "lightspeed.employee",
                "lightspeed.payment.type",
                "lightspeed.tax",
            )
        }
        shop.name = "Renamed in Odoo"
        backend.action_sync_metadata()
        after = {
            model: self.env[model].search_count([("backend_id", "=", backend.id)])
            for model in before
        }
        self.assertEqual(before, after)
        self.assertNotEqual(shop.name, "Renamed in Odoo", "Lightspeed owns the shop name")
        self.assertEqual(shop.warehouse_id, self.warehouse, "mapping choices survive a re-sync")
        self.assertEqual(shop.pos_config_id, config)
        self.assertEqual(shop.department_id, self.department)

    def test_payment_methods_follow_the_mapping(self):
        self.connect()
        shop = self.backend.shop_ids.filtered(lambda s: not s.remote_archived)[:1]
        shop.warehouse_id = self.warehouse
        non_cash = self.backend.payment_type_ids.filtered(lambda p: not p.is_cash)
        self.assertTrue(non_cash)
        non_cash.action_create_payment_methods()
        for ptype in non_cash:
            self.assertTrue(ptype.payment_method_id)
            self.assertFalse(ptype.payment_method_id.is_cash_count)
            self.assertIn(ptype.payment_method_id, shop.pos_config_id.payment_method_ids)
        cash = self.backend.payment_type_ids.filtered("is_cash")[:1]
        self.assertEqual(cash._resolve_payment_method(shop), shop.cash_payment_method_id)

    def test_taxes_matched_by_rate_and_inclusion(self):
        self.connect()
        for tax in self.backend.tax_ids:
            self.assertTrue(tax.tax_id, f"{tax.name} should be matched or created")
            self.assertAlmostEqual(tax.tax_id.amount, tax.rate, places=4)
            self.assertEqual(tax.tax_id.price_include, tax.price_include)
        self.assertTrue(
            self.backend.tax_ids.filtered("price_include"),
            "the simulator has a tax-inclusive shop",
        )

    def test_employee_matching(self):
        lightspeed = self.env["lightspeed.employee"]
        # Prepare Odoo employees that match two simulated ones by email and by name.
        self.connect()
        rows = self.backend.employee_ids.filtered(lambda e: not e.remote_archived)
        by_email = rows.filtered("email")[:1]
        by_name = (rows - by_email)[:1]
        (by_email | by_name).write({"employee_id": False})
        emp_email = self.env["hr.employee"].create(
            {"name": "Someone else", "work_email": by_email.email.upper()}
        )
        emp_name = self.env["hr.employee"].create({"name": by_name.name})
        (by_email | by_name)._auto_match()
        self.assertEqual(by_email.employee_id, emp_email)
        self.assertEqual(by_name.employee_id, emp_name)
        self.assertEqual(by_email.mapping_state, "mapped")
        others = rows - by_email - by_name
        others.write({"employee_id": False})
        others[:1].action_ignore()
        self.assertEqual(others[:1].mapping_state, "ignored")
        self.backend.create_missing_employees = True
        others._auto_match()
        self.assertFalse(others[:1].employee_id, "ignored employees are never created")
        self.assertTrue(all(others[1:].mapped("employee_id")))
        self.assertEqual(
            lightspeed.search_count(
                [("backend_id", "=", self.backend.id), ("mapping_state", "=", "unmapped")]
            ),
            len(self.backend.employee_ids.filtered(lambda e: e.mapping_state == "unmapped")),
        )

    def test_onboarding_lists_next_steps(self):
        self.assertIn("Connect to Lightspeed", self.backend.onboarding_todo)
        self.connect()
        todo = self.backend.onboarding_todo
        self.assertIn("choose a warehouse", todo)
        self.assertIn("Enable the import", todo)
        for shop in self.backend.shop_ids.filtered(lambda s: not s.remote_archived):
            warehouse = self.env["stock.warehouse"].create(
                {"name": f"WH {shop.lightspeed_id}", "code": f"L{shop.lightspeed_id}"}
            )
            shop.write(
                {
                    "warehouse_id": warehouse.id,
                    "department_id": self.department.id,
                    "import_enabled": True,
                }
            )
        self.backend.payment_type_ids.action_create_payment_methods()
        self.backend.employee_ids.filtered(lambda e: not e.employee_id).action_ignore()
        self.backend.tax_ids.filtered(lambda t: not t.tax_id).unlink()
        self.backend.invalidate_recordset(["onboarding_todo"])
        self.assertFalse(self.backend.onboarding_todo, self.backend.onboarding_todo)

    def test_enable_import_needs_mapping(self):
        self.connect()
        shop = self.backend.shop_ids[:1]
        with self.assertRaises(UserError):
            shop.import_enabled = True

    def test_code_exchange_errors_are_clear(self):
        action = self.backend.action_connect()
        code, _state = self.simulator.approve(action["url"])
        self.backend._complete_authorization(code)
        with self.assertRaisesRegex(
            UserError,
            r"^Lightspeed refused the request: .*\(HTTP 400, invalid_grant\)\. Check the client "
            r"ID and secret",
        ):
            # A code is single-use: the second exchange is refused with invalid_grant.
            self.backend._complete_authorization(code)

    def test_pasted_refresh_token_is_validated(self):
        with self.assertRaisesRegex(UserError, r"^Lightspeed refused the pasted refresh token"):
            self.backend.refresh_token = "not-a-real-token"
        self.assertFalse(self.backend._token_record().refresh_token)
        other = self.env["lightspeed.backend"].create(self._backend_vals(name="Other"))
        self.connect(other)
        pasted = self.stored_refresh_token(other)
        other.unlink()  # the other backend hands its token over, as an integrator would
        self.backend.refresh_token = pasted
        self.assertEqual(self.backend.state, "connected")
        self.assertNotEqual(
            self.stored_refresh_token(), pasted, "a pasted token is rotated on validation"
        )
        self.assertTrue(self.backend.shop_ids)

    def test_secrets_are_system_only(self):
        self.connect()
        manager = new_test_user(
            self.env,
            login="ls_manager",
            groups="base.group_user,lightspeed_connector.group_lightspeed_manager",
        )
        backend = self.backend.with_user(manager)
        self.assertEqual(backend.name, self.backend.name)
        self.assertTrue(backend.has_refresh_token)
        self.assertEqual(backend.client_secret_status, "set", "the status is not a secret")
        for field in (
            "access_token",
            "refresh_token",
            "client_secret",
            "new_client_secret",
            "oauth_state",
        ):
            self.assertNotIn(field, backend.fields_get())
            with self.assertRaises(AccessError):
                backend.read([field])
        with self.assertRaises(AccessError):
            self.env["lightspeed.oauth.token"].with_user(manager).search([])
        # A Lightspeed administrator can still run everything that needs the secrets.
        backend.action_sync_metadata()
        self.assertTrue(self.backend.sudo().client_secret)

    def test_secret_inputs_read_empty_even_for_the_superuser(self):
        self.connect()
        token = self.backend._token_record()
        self.assertTrue(token.refresh_token and token.access_token)
        for backend in (self.backend, self.backend.sudo()):
            backend.invalidate_recordset()
            [values] = backend.read(["access_token", "refresh_token", "new_client_secret"])
            self.assertEqual(set(values.values()) - {backend.id}, {False})
        self.assertTrue(self.backend.sudo().client_secret, "the code still reads the secret")
        self.assertEqual(self.backend._read_token().refresh_token, token.refresh_token)

    def test_pasted_client_secret_replaces_the_stored_one(self):
        self.backend.new_client_secret = "  rotated-secret "
        self.assertEqual(self.backend.sudo().client_secret, "rotated-secret")
        self.assertFalse(self.backend.new_client_secret)
        self.backend.write({"new_client_secret": False, "refresh_token": "", "access_token": ""})
        self.assertEqual(self.backend.sudo().client_secret, "rotated-secret", "empty keeps it")
        self.assertFalse(self.backend.has_refresh_token)
        self.assertEqual(self.backend.token_status, "No token stored")
        self.backend.client_secret = False
        self.assertEqual(self.backend.client_secret_status, "not_set")

    def test_handed_over_escrow_is_never_redeemed_again(self):
        pasted = self.simulator.admin("issue_token")["refresh_token"]
        self.backend.refresh_token = pasted
        stored = self.stored_refresh_token()
        Token = self.env["lightspeed.oauth.token"]
        # What is left when the drop after the commit did not run (always, in test mode).
        escrow = Token.search([("backend_id", "=", False), ("refresh_token", "=", stored)])
        self.assertTrue(escrow, "the escrow holds the pair handed over to the backend")
        other_company = self.env["res.company"].create({"name": "Second retail company"})
        other = self.env["lightspeed.backend"].create(
            self._backend_vals(name="Same token again", company_id=other_company.id)
        )
        with self.assertRaisesRegex(UserError, "refused the pasted refresh token"):
            other.refresh_token = pasted
        self.assertEqual(self.stored_refresh_token(), stored)
        self.assertEqual(
            self.simulator.admin("token_state", refresh_token=stored)["state"],
            "active",
            "the first backend's pair was not taken from it",
        )

    def test_keep_alive_drops_stale_escrows(self):
        Token = self.env["lightspeed.oauth.token"]
        now = fields.Datetime.now()
        self.env["lightspeed.oauth.token"].create(
            {"backend_id": self.backend.id, "refresh_token": "r0", "pasted_digest": "handed"}
        )
        escrows = Token.create(
            [
                {"refresh_token": "r1", "pasted_digest": "fresh", "refreshed_at": now},
                {
                    "refresh_token": "r2",
                    "pasted_digest": "dead",
                    "refreshed_at": now - timedelta(days=31),
                },
                {"refresh_token": "r3", "pasted_digest": "handed", "refreshed_at": now},
            ]
        )
        self.env["lightspeed.backend"]._drop_stale_escrows()
        self.assertEqual(escrows.exists().mapped("pasted_digest"), ["fresh"])
        self.assertTrue(self.backend._token_record(), "backends' rows are never escrows")

    def test_logs_never_contain_tokens(self):
        with self.assertLogs("odoo.addons.lightspeed_connector", level="DEBUG") as logs:
            self.connect()
            self.backend.sudo()._refresh_access_token(None)
        token = self.backend._token_record()
        output = "\n".join(logs.output)
        self.assertNotIn(token.refresh_token, output)
        self.assertNotIn(token.access_token, output)
        self.assertNotIn(self.backend.sudo().client_secret, output)

    def test_multi_company_isolation(self):
        other_company = self.env["res.company"].create(
            {"name": "Other retail company", "country_id": self.env.ref("base.be").id}
        )
        other_backend = self.env["lightspeed.backend"].create(
            self._backend_vals(name="Other company account", company_id=other_company.id)
        )
        self.connect()
        self.connect(other_backend)
        self.assertEqual(other_backend.shop_ids.company_id, other_company)
        user = new_test_user(
            self.env,
            login="ls_user_main",
            groups="base.group_user,lightspeed_connector.group_lightspeed_user",
            company_id=self.company.id,
            company_ids=[(6, 0, self.company.ids)],
        )
        Backend = self.env["lightspeed.backend"].with_user(user)
        self.assertEqual(Backend.search([]), self.backend)
        self.assertFalse(
            self.env["lightspeed.shop"]
            .with_user(user)
            .search([("company_id", "=", other_company.id)])
        )
        with self.assertRaises(AccessError):
            other_backend.with_user(user).read(["name"])


@tagged("post_install", "-at_install")
class TestOAuthCallback(HttpCase):
    """The browser side of the code flow, through the real controller."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.simulator = LightspeedSimulator("--seed", "7", "--sales", "50", "--days", "3")
        cls.addClassCleanup(cls.simulator.stop)
        cls.backend = cls.env["lightspeed.backend"].create(
            {
                "name": "Callback",
                "api_url": cls.simulator.url,
                "auth_url": cls.simulator.url,
                "client_id": "odoo-test-client",
                "client_secret": "odoo-test-secret",
            }
        )

    def test_callback_connects(self):
        self.authenticate("admin", "admin")
        action = self.backend.action_connect()
        code, state = self.simulator.approve(action["url"])
        response = self.url_open(
            f"/lightspeed_connector/oauth/callback?code={code}&state={state}",
            allow_redirects=False,
        )
        self.assertIn(response.status_code, (302, 303))
        self.assertIn(f"/{self.backend.id}", response.headers["Location"])
        self.assertEqual(self.backend.state, "connected")
        self.assertTrue(self.backend.shop_ids)

    def test_callback_rejects_unknown_state(self):
        self.authenticate("admin", "admin")
        self.backend.action_connect()
        response = self.url_open(
            "/lightspeed_connector/oauth/callback?code=abc&state=forged", allow_redirects=False
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.backend.state, "draft")

    def test_callback_reports_denial(self):
        self.authenticate("admin", "admin")
        self.backend.action_connect()
        state = self.backend.sudo().oauth_state
        response = self.url_open(
            f"/lightspeed_connector/oauth/callback?error=access_denied"
            f"&error_description=The+user+denied&state={state}",
            allow_redirects=False,
        )
        self.assertIn(response.status_code, (302, 303))
        self.assertEqual(self.backend.state, "draft")
        self.assertIn("denied", self.backend.last_error)

    def test_methods_callable_over_xmlrpc(self):
        code, _state = self.simulator.approve(self.backend.action_connect()["url"])
        self.backend._complete_authorization(code)
        uid = self.env.ref("base.user_admin").id
        db = self.env.cr.dbname
        call = self.xmlrpc_object.execute_kw
        self.assertTrue(
            call(
                db, uid, "admin", "lightspeed.backend", "action_sync_metadata", [[self.backend.id]]
            )
        )
        fields = call(
            db, uid, "admin", "lightspeed.backend", "fields_get", [], {"attributes": ["type"]}
        )
        for name in (
            "state",
            "api_url",
            "auth_url",
            "client_id",
            "client_secret",
            "account_id",
            "access_token",
            "refresh_token",
            "token_expires_at",
            "company_id",
            "active",
        ):
            self.assertIn(name, fields)
        result = call(
            db, uid, "admin", "lightspeed.backend", "action_import_sales", [[self.backend.id]]
        )
        self.assertEqual(result["tag"], "display_notification")
        result = call(
            db, uid, "admin", "lightspeed.backend", "action_import_clock_ins", [[self.backend.id]]
        )
        self.assertEqual(result["params"]["title"], "Clock-ins imported")
        run = self.env["lightspeed.sync.run"].search(
            [("backend_id", "=", self.backend.id), ("run_type", "=", "clock_in")]
        )
        self.assertEqual(run.state, "done", "the clock-in import ran over XML-RPC")
