# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from lxml import etree

from odoo.modules.neutralize import get_neutralization_queries
from odoo.tests import tagged
from odoo.tests.common import TransactionCase


@tagged("post_install", "-at_install")
class TestFoundation(TransactionCase):
    def test_listed_in_apps(self):
        module = self.env["ir.module.module"].search([("name", "=", "lightspeed_connector")])
        self.assertEqual(module.state, "installed")
        self.assertTrue(module.application, "must show in the Apps menu")
        self.assertEqual(module.latest_version, "18.0.1.0.0")
        self.assertEqual(module.license, "LGPL-3")

    def test_settings_block_renders(self):
        arch = self.env["res.config.settings"].get_views([(False, "form")])["views"]["form"]["arch"]
        app = etree.fromstring(arch).xpath("//app[@name='lightspeed_connector']")
        self.assertEqual(len(app), 1, "the Lightspeed settings app must be in the form")
        field_names = {node.get("name") for node in app[0].iter("field")}
        self.assertIn("lightspeed_correction_window_days", field_names)
        self.assertIn("lightspeed_callback_url", field_names)
        settings = self.env["res.config.settings"].create({"lightspeed_correction_window_days": 5})
        settings.execute()
        self.assertEqual(
            self.env["ir.config_parameter"].get_param(
                "lightspeed_connector.correction_window_days"
            ),
            "5",
        )
        backend = self.env["lightspeed.backend"].create({"name": "New"})
        self.assertEqual(backend.correction_window_days, 5, "settings give the defaults")
        self.assertTrue(settings.lightspeed_callback_url.endswith("/oauth/callback"))

    def test_menus_and_groups(self):
        root = self.env.ref("lightspeed_connector.lightspeed_root_menu")
        names = set(self.env["ir.ui.menu"].search([("id", "child_of", root.id)]).mapped("name"))
        for expected in ("Backends", "Shops", "Employees", "Sync Records", "Runs", "Reporting"):
            self.assertIn(expected, names)
        manager = self.env.ref("lightspeed_connector.group_lightspeed_manager")
        user = self.env.ref("lightspeed_connector.group_lightspeed_user")
        self.assertIn(user, manager.implied_ids)
        self.assertIn(manager, self.env.ref("base.group_system").implied_ids)

    def test_every_model_has_access_rules(self):
        models = self.env["ir.model"].search([("model", "=like", "lightspeed.%")])
        # Abstract models (the mapping mixin, importer services) have no table to protect.
        for model in models.filtered(lambda m: not self.env[m.model]._abstract):
            self.assertTrue(model.access_ids, f"{model.model} has no access rule")

    def test_neutralize_wipes_tokens(self):
        backend = self.env["lightspeed.backend"].create(
            {"name": "Prod", "client_id": "id", "client_secret": "secret"}
        )
        self.env["lightspeed.oauth.token"].create(
            {"backend_id": backend.id, "access_token": "a", "refresh_token": "r"}
        )
        backend.write({"state": "connected"})
        self.env.flush_all()
        for query in get_neutralization_queries(["lightspeed_connector"]):
            self.env.cr.execute(query)
        self.env.invalidate_all()
        token = backend._token_record()
        self.assertFalse(token.refresh_token)
        self.assertFalse(token.access_token)
        self.assertEqual(backend.state, "disabled")
        self.assertFalse(backend.sudo().client_secret)
