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

# Waits for an element matching ``selector`` whose text contains ``text`` (every one of
# ``texts``), then signals success; a timeout is reported as a console error, which fails the
# test with what was expected.
WAIT_FOR = """
(function (selector, texts) {
    const started = Date.now();
    const found = () => [...document.querySelectorAll(selector)].some(
        (el) => texts.every((text) => el.textContent.includes(text))
    );
    const tick = () => {
        if (found()) {
            setTimeout(() => console.log("test successful"), 300);
        } else if (Date.now() - started > 30000) {
            console.error("not on screen: " + selector + " with " + JSON.stringify(texts));
        } else {
            setTimeout(tick, 100);
        }
    };
    tick();
})(%s, %s);
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


class BrowserWaits:
    """For HttpCase classes: open a page as admin and wait for one exact element and text."""

    def open_and_wait(self, path, selector, *texts):
        self.browser_js(
            path,
            WAIT_FOR % (json.dumps(selector), json.dumps(list(texts))),
            login="admin",
            timeout=90,
        )


@tagged("post_install", "-at_install", "lightspeed_browser")
class TestBrowserSmoke(BrowserWaits, HttpCase):
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

    def test_imported_data_is_there(self):
        # The screens below must show real rows, not an empty state.
        self.assertTrue(self.backend.order_count, "the import created no POS order")
        self.assertTrue(
            self.env["lightspeed.weekly.balance.line"].search_count([("actual", "!=", 0)])
        )

    def test_backend_form(self):
        # Connected: "Import all" is the primary button, the orders, sync records, errors and
        # last run are smart buttons in view (not under "More").
        path = f"/odoo/action-lightspeed_connector.lightspeed_backend_action/{self.backend.id}"
        self.open_and_wait(
            path,
            ".o_form_statusbar button.btn-primary[name='action_import_all']",
            "Import all",
        )
        self.open_and_wait(path, ".o_last_breadcrumb_item", "Smoke test account")
        for name, text in (
            ("action_open_orders", str(self.backend.order_count)),
            ("action_open_sync_records", "Sync records"),
            ("action_open_sync_errors", "Errors"),
            ("action_open_runs", "Done"),
        ):
            self.open_and_wait(path, f".o-form-buttonbox > button[name='{name}']", text)

    def test_settings_show_redirect_uri_and_accounts(self):
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        self.open_and_wait(
            "/odoo/action-lightspeed_connector.res_config_settings_action",
            "#lightspeed_redirect_uri_setting",
            base_url + "/lightspeed_connector/oauth/callback",
        )
        self.open_and_wait(
            "/odoo/action-lightspeed_connector.res_config_settings_action",
            "#lightspeed_accounts_setting",
            "1",
            "connected account(s)",
        )

    def test_overview_is_the_app_home(self):
        self.open_and_wait(
            "/odoo/action-lightspeed_connector.lightspeed_backend_overview_action",
            ".o_kanban_record",
            "Smoke test account",
            "Connected",
            "Last run",
            "error(s)",
        )

    def test_sync_records_list(self):
        # The action opens on the "Errors" filter; the import had none, so the list is empty
        # and shows its help. Clearing the facet must list the imported records.
        sale = self.env["lightspeed.sync.record"].search(
            [("backend_id", "=", self.backend.id), ("record_type", "=", "sale")], limit=1
        )
        self.browser_js(
            "/odoo/action-lightspeed_connector.lightspeed_sync_record_action",
            """
            const started = Date.now();
            const tick = () => {
                const facet = document.querySelector(".o_searchview_facet .o_facet_remove");
                const rows = [...document.querySelectorAll(".o_list_view .o_data_row")];
                if (facet) {
                    facet.click();
                } else if (rows.some((row) => row.textContent.includes(__SALE__))) {
                    setTimeout(() => console.log("test successful"), 300);
                    return;
                }
                if (Date.now() - started > 30000) {
                    console.error("the sync records list does not show the imported sale");
                    return;
                }
                setTimeout(tick, 200);
            };
            tick();
            """.replace("__SALE__", json.dumps(sale.lightspeed_id)),
            login="admin",
            timeout=90,
        )

    def test_sync_record_payload_is_readable(self):
        sale = self.env["lightspeed.sync.record"].search(
            [("backend_id", "=", self.backend.id), ("record_type", "=", "sale")], limit=1
        )
        self.open_and_wait(
            f"/odoo/action-lightspeed_connector.lightspeed_sync_record_action/{sale.id}",
            ".o_field_widget[name='payload_text'] .ace_content",
            '"saleID"',
            f'"{sale.lightspeed_id}"',
        )

    def test_skipped_record_is_info_without_retry(self):
        record = self.env["lightspeed.sync.record"].search(
            [("backend_id", "=", self.backend.id), ("record_type", "=", "sale")], limit=1
        )
        record._mark_skipped("Voided before it was imported: nothing to undo.")
        self.browser_js(
            f"/odoo/action-lightspeed_connector.lightspeed_sync_record_action/{record.id}",
            """
            const started = Date.now();
            const tick = () => {
                const info = document.querySelector(".o_form_view .alert-info");
                if (info && info.textContent.includes("Voided before it was imported")) {
                    if (document.querySelector(".o_form_view .alert-danger")) {
                        console.error("a skipped record shows a red error");
                    } else if (document.querySelector("button[name='action_retry']")) {
                        console.error("a skipped record offers Retry");
                    } else {
                        console.log("test successful");
                    }
                    return;
                }
                if (Date.now() - started > 30000) {
                    console.error("the skipped record's reason is not shown");
                    return;
                }
                setTimeout(tick, 100);
            };
            tick();
            """,
            login="admin",
            timeout=90,
        )

    def test_sync_run_form_is_named_and_read_only(self):
        run = self.env["lightspeed.sync.run"].search(
            [("backend_id", "=", self.backend.id), ("run_type", "=", "sale")], limit=1
        )
        self.assertRegex(run.display_name, r"^Sales import — \d{1,2} \w{3} \d{2}:\d{2}$")
        self.browser_js(
            f"/odoo/action-lightspeed_connector.lightspeed_sync_run_action/{run.id}",
            """
            const started = Date.now();
            const tick = () => {
                const title = document.querySelector(".o_form_view .oe_title h1");
                if (title && title.textContent.includes(__NAME__)) {
                    if (document.querySelector(".o_control_panel .o_form_button_create")) {
                        console.error("a run form offers New");
                    } else if (!document.querySelector(".o_form_view .o_form_readonly")) {
                        console.error("a run form is editable");
                    } else {
                        console.log("test successful");
                    }
                    return;
                }
                if (Date.now() - started > 30000) {
                    console.error("the run is not named " + __NAME__);
                    return;
                }
                setTimeout(tick, 100);
            };
            tick();
            """.replace("__NAME__", json.dumps(run.display_name)),
            login="admin",
            timeout=90,
        )

    def test_weekly_balance_pivot(self):
        # One measure, Gross sales, by day and department.
        self.open_and_wait(
            "/odoo/action-lightspeed_connector.lightspeed_weekly_balance_line_action",
            ".o_pivot table thead",
            "Gross sales",
        )
        self.open_and_wait(
            "/odoo/action-lightspeed_connector.lightspeed_weekly_balance_line_action",
            ".o_pivot table tbody td.o_pivot_cell_value",
        )

    def test_weekly_balance_figures_grid(self):
        balance = self.env["lightspeed.weekly.balance"].search(
            [("line_ids.actual", "!=", 0)], limit=1
        )
        self.open_and_wait(
            f"/odoo/action-lightspeed_connector.lightspeed_weekly_balance_action/{balance.id}",
            ".o_lightspeed_figures_grid",
            "Monday",
            "Sunday",
            "Gross sales",
            "Week",
        )

    def test_sales_analysis_by_business_day(self):
        shop = self.backend.shop_ids.filtered("import_enabled")[:1]
        self.open_and_wait(
            "/odoo/action-lightspeed_connector.report_pos_order_action",
            ".o_pivot table thead",
            shop.name,
        )
        day = (
            self.env["pos.order"]
            .search(
                [("lightspeed_shop_id", "=", shop.id)], order="lightspeed_business_date", limit=1
            )
            .lightspeed_business_date
        )
        self.open_and_wait(
            "/odoo/action-lightspeed_connector.report_pos_order_action",
            ".o_pivot table tbody th",
            day.strftime("%d %b %Y"),
        )
