# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Browser test of the catalogue and stock screens: the items list shows the imported items,
the backend form has its *Catalogue and stock* tab and buttons, the shop form its export
switch (headless Chromium via ``browser_js``; skipped with
the reason without Chromium)."""

import unittest

from odoo.tests import HttpCase, tagged

from .common import CLIENT_ID, CLIENT_SECRET, LightspeedSimulator
from .test_browser_smoke import BrowserWaits, browser_missing


@tagged("post_install", "-at_install", "lightspeed_browser")
class TestItemViews(BrowserWaits, HttpCase):
    @classmethod
    def setUpClass(cls):
        reason = browser_missing()
        if reason:
            raise unittest.SkipTest(f"browser test skipped: {reason}")
        super().setUpClass()
        cls.env = cls.env(
            context=dict(cls.env.context, tracking_disable=True, lightspeed_no_commit=True)
        )
        cls.simulator = LightspeedSimulator(
            "--seed", "7", "--sales", "20", "--days", "2", "--now", "2026-03-31T12:00:00Z"
        )
        cls.addClassCleanup(cls.simulator.stop)
        backend = cls.env["lightspeed.backend"].create(
            {
                "name": "Catalogue screens",
                "api_url": cls.simulator.url,
                "auth_url": cls.simulator.url,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
            }
        )
        code, _state = cls.simulator.approve(backend.action_connect()["url"])
        backend._complete_authorization(code)
        cls.shop = backend.shop_ids.filtered(lambda s: s.lightspeed_id == "1")
        cls.shop.warehouse_id = cls.env["stock.warehouse"].create(
            {"name": "Screens shop 1", "code": "SCR1"}
        )
        backend.action_import_items()
        cls.backend = backend

    def test_items_were_imported(self):
        self.assertEqual(self.backend.item_count, 66)

    def test_items_list(self):
        self.open_and_wait(
            "/odoo/action-lightspeed_connector.lightspeed_item_action",
            ".o_list_view .o_data_row td[name='product_id']",
            "Road helmet #1",  # the simulator's item 1, as its product
        )

    def test_backend_form_catalogue_tab(self):
        self.open_and_wait(
            f"/odoo/action-lightspeed_connector.lightspeed_backend_action/{self.backend.id}",
            ".o_form_view button[name='action_import_items']",
            "Import items",
        )
        self.open_and_wait(
            f"/odoo/action-lightspeed_connector.lightspeed_backend_action/{self.backend.id}",
            ".o_notebook a[name='catalogue']",
            "Catalogue and stock",
        )

    def test_shop_form_export_switch(self):
        self.open_and_wait(
            f"/odoo/action-lightspeed_connector.lightspeed_shop_action/{self.shop.id}",
            ".o_form_view .o_field_widget[name='export_stock']",
        )
