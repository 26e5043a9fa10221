# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Browser smoke test: the main screens open in headless Chromium without a client error.

Imports a few days of simulated sales and clock-ins, then opens the backend form, the sync
records list and the weekly balance pivot with Odoo's own Chrome driver (``browser_js``), which
fails the test on any JavaScript exception or console error. Without Chromium (or the
``websocket-client`` package Odoo's driver needs) the test is skipped with the reason.

Select it alone with ``--test-tags /lightspeed_connector:TestBrowserSmoke`` or
``--test-tags lightspeed_browser``.
"""

import json
import unittest

from odoo.tests import HttpCase, tagged
from odoo.tests.common import _find_executable

from .common import CLIENT_ID, CLIENT_SECRET, LightspeedSimulator

# Waits for a selector, then signals success; a timeout is reported as a console error.
WAIT_FOR = """
(function (selector) {
    const started = Date.now();
    const tick = () => {
        if (document.querySelector(selector)) {
            setTimeout(() => console.log("test successful"), 500);
        } else if (Date.now() - started > 30000) {
            console.error("the view did not show data: " + selector);
        } else {
            setTimeout(tick, 100);
        }
    };
    tick();
})(%s);
"""


def browser_missing():
    """The reason the browser tests cannot run here, or None."""
    try:
        import websocket  # noqa: F401  pylint: disable=unused-import
    except ImportError:
        return "the websocket-client Python package is not installed"
    try:
        _find_executable()
    except unittest.SkipTest:
        return "no Chromium/Chrome on PATH (Debian: apt-get install chromium)"
    return None


@tagged("post_install", "-at_install", "lightspeed_browser")
class TestBrowserSmoke(HttpCase):
    @classmethod
    def setUpClass(cls):
        reason = browser_missing()
        if reason:
            raise unittest.SkipTest(f"browser smoke test skipped: {reason}")
        super().setUpClass()
        cls.env = cls.env(
            context=dict(cls.env.context, tracking_disable=True, lightspeed_no_commit=True)
        )
        cls.simulator = LightspeedSimulator("--seed", "7", "--sales", "80", "--days", "7")
        cls.addClassCleanup(cls.simulator.stop)
        backend = cls.env["lightspeed.backend"].create(
            {
                "name": "Smoke test account",
                "api_url": cls.simulator.url,
                "auth_url": cls.simulator.url,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "initial_import_days": 8,
                "create_missing_employees": True,
            }
        )
        code, _state = cls.simulator.approve(backend.action_connect()["url"])
        backend._complete_authorization(code)
        for shop in backend.shop_ids.filtered(lambda s: not s.remote_archived):
            warehouse = cls.env["stock.warehouse"].create(
                {"name": f"Smoke {shop.name}", "code": f"SM{shop.lightspeed_id}"}
            )
            department = cls.env["hr.department"].create({"name": f"Smoke {shop.name}"})
            shop.write(
                {
                    "warehouse_id": warehouse.id,
                    "department_id": department.id,
                    "import_enabled": True,
                }
            )
        backend.payment_type_ids.action_create_payment_methods()
        backend.action_import_sales()
        backend.action_import_clock_ins()
        cls.backend = backend

    def open_and_wait(self, path, selector):
        self.browser_js(path, WAIT_FOR % json.dumps(selector), login="admin", timeout=90)

    def test_imported_data_is_there(self):
        # The screens below must show real rows, not an empty state.
        self.assertTrue(self.backend.order_count, "the import created no POS order")
        self.assertTrue(
            self.env["lightspeed.weekly.balance.line"].search_count([("actual", "!=", 0)])
        )

    def test_backend_form(self):
        self.open_and_wait(
            f"/odoo/action-lightspeed_connector.lightspeed_backend_action/{self.backend.id}",
            ".o_form_view .o_form_sheet h1",
        )

    def test_sync_records_list(self):
        # The action opens on the "Errors" filter; the import had none, so the list is empty
        # and shows its help. Clearing the facet must list the imported records.
        self.browser_js(
            "/odoo/action-lightspeed_connector.lightspeed_sync_record_action",
            """
            const started = Date.now();
            const tick = () => {
                const facet = document.querySelector(".o_searchview_facet .o_facet_remove");
                if (facet) {
                    facet.click();
                } else if (document.querySelector(".o_list_view .o_data_row")) {
                    setTimeout(() => console.log("test successful"), 500);
                    return;
                }
                if (Date.now() - started > 30000) {
                    console.error("the sync records list shows no row");
                    return;
                }
                setTimeout(tick, 200);
            };
            tick();
            """,
            login="admin",
            timeout=90,
        )

    def test_weekly_balance_pivot(self):
        self.open_and_wait(
            "/odoo/action-lightspeed_connector.lightspeed_weekly_balance_line_action",
            ".o_pivot table tbody td.o_pivot_cell_value",
        )
