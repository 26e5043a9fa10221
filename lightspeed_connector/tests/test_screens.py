# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What the screens show, checked on the server side: settings and a new backend computed on
first open, labels, Import all, run names and counts, the payload text, the weekly balance
grid and measures, the backfill preview in shop days and the background import.

The same screens in a real browser: test_browser_smoke.py."""

import json
from datetime import datetime, timedelta, timezone

from lxml import etree

from odoo import fields
from odoo.sql_db import db_connect
from odoo.tests import tagged

from .. import const
from ..tools import business_day_bounds
from .common import LightspeedCommon

SIM_NOW = datetime(2026, 3, 31, 12, 0)


@tagged("post_install", "-at_install")
class TestScreens(LightspeedCommon):
    simulator_args = (
        "--seed", "5", "--sales", "90", "--days", "6", "--now", "2026-03-31T12:00:00Z",
    )  # fmt: skip

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.base_url = cls.env["ir.config_parameter"].sudo().get_param("web.base.url")
        cls.redirect_uri = cls.base_url.rstrip("/") + const.CALLBACK_PATH

    def connect_mapped(self):
        departments = self.connect_and_map_shops("SC")
        self.backend.payment_type_ids.action_create_payment_methods()
        self.backend.create_missing_employees = True
        return departments

    def arch(self, model, view_type, xmlid=None):
        view_id = self.env.ref(xmlid).id if xmlid else False
        views = self.env[model].get_views([(view_id, view_type)])
        return etree.fromstring(views["views"][view_type]["arch"])

    # === SETTINGS AND BACKEND === #

    def test_settings_and_new_backend_compute_on_first_open(self):
        # What the web client asks when it opens the form of a new record.
        spec = {"company_id": {}, "lightspeed_callback_url": {}, "lightspeed_backend_count": {}}
        values = self.env["res.config.settings"].onchange({}, [], spec)["value"]
        self.assertEqual(values["lightspeed_callback_url"], self.redirect_uri)
        self.assertEqual(values["lightspeed_backend_count"], 0, "no backend is connected yet")
        self.connect()
        values = self.env["res.config.settings"].onchange({}, [], spec)["value"]
        self.assertEqual(values["lightspeed_backend_count"], 1)
        values = self.env["lightspeed.backend"].onchange(
            {}, [], {"company_id": {}, "name": {}, "redirect_uri": {}}
        )["value"]
        self.assertEqual(values["redirect_uri"], self.redirect_uri)

    def test_labels_are_written_for_people(self):
        labels = {
            name: field["string"]
            for name, field in self.env["lightspeed.backend"].fields_get().items()
        }
        self.assertEqual(labels["redirect_uri"], "Redirect URI")
        self.assertEqual(labels["token_expires_at"], "Token expires")
        self.assertEqual(labels["clock_in_window_days"], "Clock-in window (days)")
        self.assertEqual(labels["correction_window_days"], "Correction window (days)")
        settings = self.env["res.config.settings"].fields_get()
        self.assertEqual(
            settings["lightspeed_max_attempts"]["string"], "Automatic retries (attempts)"
        )
        arch = self.arch("res.config.settings", "form")
        strings = {node.get("string") for node in arch.iter("setting")}
        self.assertLessEqual(
            {"Correction window (days)", "First import (days)", "Clock-in window (days)"},
            strings,
        )

    def test_one_primary_button_per_state(self):
        arch = self.arch("lightspeed.backend", "form")
        primary = {
            (button.get("name"), button.get("invisible"))
            for button in arch.xpath("//header/button[contains(@class, 'btn-primary')]")
        }
        self.assertEqual(
            primary,
            {
                ("action_connect", "state in ('connected', 'disabled')"),
                ("action_import_all", "state != 'connected'"),
            },
        )
        # The single-stream imports are secondary, in the Import tab.
        singles = arch.xpath("//div[@name='single_imports']/button/@name")
        self.assertLessEqual(
            {
                "action_sync_metadata",
                "action_import_sales",
                "action_import_customers",
                "action_import_clock_ins",
            },
            set(singles),
        )
        box = arch.xpath("//div[@name='button_box']/button/@name")
        self.assertEqual(
            box[:4],
            [
                "action_open_orders",
                "action_open_sync_records",
                "action_open_sync_errors",
                "action_open_runs",
            ],
        )

    def test_import_all_runs_every_stream_and_respects_locks(self):
        self.connect_mapped()
        self.backend.initial_import_days = 2
        result = self.backend.action_import_all()
        params = result["params"]
        self.assertEqual(params["type"], "success", params["message"])
        lines = params["message"].split("\n")
        self.assertEqual(
            [line.split(":")[0] for line in lines],
            ["Metadata", "Customers", "Sales", "Clock-ins"],
        )
        runs = self.env["lightspeed.sync.run"].search([("backend_id", "=", self.backend.id)])
        self.assertLessEqual(
            {"metadata", "customer", "sale", "clock_in"}, set(runs.mapped("stream"))
        )
        self.assertEqual(self.backend.last_run_id, runs[:1])
        self.assertEqual(self.backend.last_run_state, "done")
        # Another worker holds the sales lock: the sales are refused, the others still run.
        cr = db_connect(self.env.cr.dbname).cursor()
        try:
            cr.execute(
                "SELECT pg_advisory_lock(hashtext(%s), %s)", ["lightspeed.sale", self.backend.id]
            )
            params = self.backend.action_import_all()["params"]
        finally:
            cr.execute(
                "SELECT pg_advisory_unlock(hashtext(%s), %s)",
                ["lightspeed.sale", self.backend.id],
            )
            cr.close()
        self.assertEqual(params["type"], "warning")
        lines = params["message"].split("\n")
        self.assertEqual(len(lines), 4)
        self.assertTrue(lines[2].startswith("Sales: A Sales import of backend"), lines[2])
        self.assertIn("is already running", lines[2])
        self.assertTrue(lines[3].startswith("Clock-ins: "), lines[3])

    # === RUNS AND SYNC RECORDS === #

    def test_runs_are_named_and_their_counts_add_up(self):
        self.connect_mapped()
        Importer = self.env["lightspeed.sale.importer"]
        window = {"date_from": SIM_NOW.date() - timedelta(days=3), "date_to": SIM_NOW.date()}
        first = Importer._run(self.backend, **window)
        second = Importer._run(self.backend, **window)
        for run in first | second:
            self.assertEqual(
                run.fetched_count,
                run.created_count
                + run.updated_count
                + run.skipped_count
                + run.unchanged_count
                + run.conflict_count
                + run.failed_count,
                run.message,
            )
        self.assertGreater(first.fetched_count, 20)
        self.assertEqual(second.unchanged_count, second.fetched_count, "nothing new")
        self.assertEqual(second.created_count, 0)
        first.started_at = datetime(2026, 12, 12, 13, 2)
        self.env.user.tz = "Europe/Amsterdam"
        first.invalidate_recordset(["display_name"])
        self.assertEqual(first.with_context(tz=False).display_name, "Sales import — 12 Dec 14:02")
        self.assertEqual(
            first.with_context(tz="America/New_York").display_name, "Sales import — 12 Dec 08:02"
        )
        first.run_type = "backfill"
        self.assertEqual(
            first.with_context(tz=False).display_name, "Historical import — 12 Dec 14:02"
        )
        arch = self.arch("lightspeed.sync.run", "form")
        self.assertEqual(
            {arch.get(key) for key in ("create", "edit", "delete")}, {"false"}, "read-only"
        )
        self.assertTrue(first.sync_record_count)

    def test_payload_is_pretty_printed_in_a_code_widget(self):
        self.connect_mapped()
        self.env["lightspeed.sale.importer"]._run(
            self.backend, date_from=SIM_NOW.date(), date_to=SIM_NOW.date()
        )
        record = self.env["lightspeed.sync.record"].search(
            [("backend_id", "=", self.backend.id), ("record_type", "=", "sale")], limit=1
        )
        self.assertTrue(record)
        self.assertEqual(json.loads(record.payload_text), record.payload)
        self.assertEqual(
            record.payload_text,
            json.dumps(record.payload, indent=2, sort_keys=True, ensure_ascii=False),
        )
        self.assertIn('\n  "saleID": ', record.payload_text)
        arch = self.arch("lightspeed.sync.record", "form")
        (node,) = arch.xpath("//field[@name='payload_text']")
        self.assertEqual((node.get("widget"), node.get("readonly")), ("code", "1"))
        (retry,) = arch.xpath("//header/button[@name='action_retry']")
        self.assertEqual(retry.get("invisible"), "state not in ('error', 'pending')")
        self.assertTrue(
            arch.xpath("//div[contains(@class, 'alert-info')][@invisible=\"state != 'skipped'\"]")
        )

    # === WEEKLY BALANCE === #

    def test_weekly_balance_grid_and_measures(self):
        departments = self.connect_mapped()
        self.env["lightspeed.sale.importer"]._run(
            self.backend, date_from=SIM_NOW.date() - timedelta(days=2), date_to=SIM_NOW.date()
        )
        department = departments["2"]
        balance = self.env["lightspeed.weekly.balance"].search(
            [("department_id", "=", department.id), ("week_start", "=", "2026-03-30")]
        )
        gross = balance.line_ids.filtered(
            lambda line: line.data_type == "gross_sales" and line.actual
        )
        self.assertTrue(gross)
        for line in balance.line_ids:
            expected = line.actual if line.data_type == "gross_sales" else 0.0
            self.assertEqual(line.actual_gross_sales, expected)
        grid = etree.fromstring(balance.figures_html)
        headers = [th.text for th in grid.xpath("//thead/tr/th")]
        self.assertEqual(
            headers,
            ["Field", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
             "Sunday", "Week"],
        )  # fmt: skip
        rows = grid.xpath("//tbody/tr")
        self.assertEqual(len(rows), len(balance.line_ids.field_id))
        gross_row = next(
            row for row in rows if row.xpath("string(th)") == gross.field_id[:1].display_name
        )
        cells = [cell.xpath("string(.)") for cell in gross_row.xpath("td")]
        day_cells = {line.date.weekday(): line for line in gross}
        for weekday, line in day_cells.items():
            self.assertEqual(cells[weekday], f"{line.actual:,.2f}")
        self.assertEqual(cells[7], f"{sum(gross.mapped('actual')):,.2f}")
        pivot = self.arch(
            "lightspeed.weekly.balance.line",
            "pivot",
            "lightspeed_connector.lightspeed_weekly_balance_line_view_pivot",
        )
        self.assertEqual(pivot.xpath("//field[@type='measure']/@name"), ["actual_gross_sales"])
        graph = self.arch(
            "lightspeed.weekly.balance.line",
            "graph",
            "lightspeed_connector.lightspeed_weekly_balance_line_view_graph",
        )
        self.assertEqual(graph.get("stacked"), "0")
        self.assertEqual(graph.xpath("//field[@type='measure']/@name"), ["actual_gross_sales"])
        sheet = balance.action_open_sheet()
        self.assertEqual(sheet["context"]["search_default_filter_gross_sales"], 1)

    # === BACKFILL WIZARD === #

    def wizard(self, **vals):
        return self.env["lightspeed.backfill.wizard"].create(
            dict(
                {
                    "backend_id": self.backend.id,
                    "date_from": "2026-03-29",
                    "date_to": "2026-03-30",
                },
                **vals,
            )
        )

    def expected_reads(self, first, last):
        """Sales and clock-ins of each shop's business days, read straight from the API."""
        client = self.backend._get_client()
        sales = hours = 0
        for shop in self.backend.shop_ids.filtered("import_enabled"):
            zone = shop.get_zoneinfo()
            start = business_day_bounds(first, zone)[0].replace(tzinfo=timezone.utc)
            end = business_day_bounds(last, zone)[1].replace(tzinfo=timezone.utc)
            sales += len(
                list(
                    client.iter_sales(
                        shop_ids=[shop.lightspeed_id], completed_from=start, completed_to=end
                    )
                )
            )
            hours += len(list(client.iter_employee_hours(start, end, shop_id=shop.lightspeed_id)))
        return sales, hours

    def test_backfill_preview_reads_shop_days(self):
        self.connect_mapped()
        wizard = self.wizard()
        wizard.action_preview()
        sales, hours = self.expected_reads(
            fields.Date.to_date("2026-03-29"), fields.Date.to_date("2026-03-30")
        )
        self.assertGreater(sales, 10)
        self.assertGreater(hours, 0)
        self.assertEqual((wizard.preview_sale_count, wizard.preview_clock_in_count), (sales, hours))
        self.assertIn(
            f"Read from Lightspeed for the business days 2026-03-29 to 2026-03-30 (each shop's "
            f"time zone): {sales} sales and {hours} clock-ins",
            wizard.preview,
        )
        self.assertIn(f"Clock-ins: {wizard.preview_clock_in_create_count} new", wizard.preview)
        self.assertIn("Gastown Vancouver (America/Vancouver): ", wizard.preview)
        arch = self.arch("lightspeed.backfill.wizard", "form")
        (dry_run,) = arch.xpath("//footer/button[@name='action_preview']")
        (run,) = arch.xpath("//footer/button[@name='action_run']")
        self.assertIn("btn-primary", dry_run.get("class"))
        self.assertNotIn("btn-primary", run.get("class") or "")
        (shops,) = arch.xpath("//field[@name='shop_ids']")
        self.assertEqual(shops.get("options"), "{'no_create': True}")
        # A short range runs now: the orders are there when the request returns.
        action = wizard.action_run()
        self.assertEqual(action["res_model"], "lightspeed.sync.run")
        self.assertEqual(
            self.env["pos.order"].search_count(
                [
                    ("lightspeed_backend_id", "=", self.backend.id),
                    ("lightspeed_kind", "in", ("sale", "refund")),
                ]
            ),
            wizard.preview_create_count,
        )

    def test_long_backfill_runs_in_the_background_with_progress(self):
        self.connect_mapped()
        cron = self.env.ref("lightspeed_connector.ir_cron_lightspeed_backfill")
        triggers_before = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        wizard = self.wizard(date_from="2026-03-26", date_to="2026-03-30", import_clock_ins=False)
        action = wizard.action_run()
        request = self.env["lightspeed.backfill.request"].browse(action["res_id"])
        self.assertEqual(action["res_model"], "lightspeed.backfill.request")
        self.assertEqual((request.state, request.day_count, request.progress), ("queued", 5, 0.0))
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]),
            triggers_before + 1,
            "the scheduled action is started at once",
        )
        self.assertFalse(request.run_ids, "nothing ran in the request")
        Request = self.env["lightspeed.backfill.request"]
        Request._cron_process_backfills()
        self.assertEqual(
            (request.state, request.done_day_count, request.progress), ("running", 1, 20.0)
        )
        self.assertEqual(len(request.run_ids), 1)
        self.assertEqual(request.run_ids.display_name.split(" — ")[0], "Historical import")
        for _batch in range(4):
            Request._cron_process_backfills()
        self.assertEqual((request.state, request.done_day_count), ("done", 5))
        self.assertEqual(request.message, "5 day(s) imported in 5 run(s).")
        self.assertEqual(
            request.action_open_runs()["domain"], [("backfill_request_id", "=", request.id)]
        )

    # === ATTENDANCES AND TAXES === #

    def test_tax_rows_say_their_class_and_attendances_show_shop(self):
        self.connect()
        taxes = self.backend.tax_ids
        visible = [
            (t.tax_category_lightspeed_id, t.tax_class_lightspeed_id, t.slot, t.name, t.rate)
            for t in taxes
        ]
        self.assertEqual(len(visible), len(set(visible)), "no two identical rows")
        overrides = taxes.filtered("tax_class_lightspeed_id")
        self.assertTrue(overrides, "the simulator has a tax-class override")
        for tax in overrides:
            self.assertEqual(
                tax.lightspeed_id.split("/class")[1].split("/")[0], tax.tax_class_lightspeed_id
            )
            self.assertEqual(
                tax.display_name, f"{tax.name} (tax class {tax.tax_class_lightspeed_id})"
            )
        arch = self.arch("lightspeed.tax", "list")
        self.assertTrue(arch.xpath("//field[@name='tax_class_lightspeed_id']"))
        arch = self.arch("hr.attendance", "list")
        for name in ("lightspeed_shop_id", "lightspeed_department_id"):
            (node,) = arch.xpath(f"//field[@name='{name}']")
            self.assertEqual(node.get("optional"), "show")
