# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Orders Analysis by Lightspeed business day agrees with the weekly balance, shop-day by
shop-day; grouped by the viewer's calendar day (Odoo's "Order Date") it would not."""

from collections import defaultdict

from lxml import etree

from odoo import fields
from odoo.tests import tagged

from .common import LightspeedCommon

# Vancouver's afternoon sales fall after midnight in Amsterdam: the viewer's day and the shop's
# business day differ for them.
VIEWER_TZ = "Europe/Amsterdam"


@tagged("post_install", "-at_install")
class TestBusinessDayReport(LightspeedCommon):
    # With tips and gift-card top-ups: order lines that are not sales, for either report.
    simulator_args = (
        "--seed", "11", "--sales", "160", "--days", "4", "--now", "2026-11-12T12:00:00Z",
        "--tips-share", "0.3", "--deposits-share", "0.05",
    )  # fmt: skip

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.departments = cls.connect_and_map_shops("BD")
        cls.backend.payment_type_ids.action_create_payment_methods()
        liability = cls.env["account.account"].create(
            {"name": "Tips and deposits", "code": "LSBD", "account_type": "liability_current"}
        )
        for field in ("tip_product_id", "deposit_product_id"):
            cls.backend[field] = cls.env["product.product"].create(
                {
                    "name": field,
                    "type": "service",
                    "property_account_income_id": liability.id,
                    "taxes_id": [(5, 0, 0)],
                }
            )
        cls.env["lightspeed.sale.importer"]._run(
            cls.backend,
            date_from=fields.Date.to_date("2026-11-07"),
            date_to=fields.Date.to_date("2026-11-12"),
        )
        cls.env.user.tz = VIEWER_TZ
        cls.shop_of_department = {
            cls.backend.shop_ids.filtered(lambda s, lid=lid: s.lightspeed_id == lid): department
            for lid, department in cls.departments.items()
        }

    def balance_gross(self):
        """Gross sales per (shop, business day), read from the weekly balance lines."""
        lines = self.env["lightspeed.weekly.balance.line"].search(
            [
                ("department_id", "in", [d.id for d in self.departments.values()]),
                ("data_type", "=", "gross_sales"),
                ("actual", "!=", 0),
            ]
        )
        shops = {department: shop for shop, department in self.shop_of_department.items()}
        return {(shops[line.department_id].id, line.date): round(line.actual, 2) for line in lines}

    def report_gross(self, day_field, kind="sale"):
        """Total price per (shop, day) from Orders Analysis, as its pivot groups it (Sales
        Analysis opens on goods and services: ``kind`` sale)."""
        Report = self.env["report.pos.order"].with_context(tz=VIEWER_TZ)
        groups = Report._read_group(
            [
                ("state", "!=", "cancel"),
                ("lightspeed_shop_id", "!=", False),
                ("lightspeed_line_kind", "=", kind),
            ],
            ["lightspeed_shop_id", f"{day_field}:day"],
            ["price_total:sum"],
        )
        totals = defaultdict(float)
        for shop, day, total in groups:
            day = day.date() if hasattr(day, "date") else day
            totals[(shop.id, day)] += total
        return {key: round(value, 2) for key, value in totals.items() if round(value, 2)}

    def test_orders_analysis_equals_weekly_balance_per_shop_day(self):
        balance = self.balance_gross()
        self.assertEqual(
            {
                shop.lightspeed_id
                for shop in self.env["lightspeed.shop"].browse(
                    {shop_id for shop_id, _day in balance}
                )
            },
            {"1", "2", "3"},
            "every shop has sales in the weekly balance",
        )
        self.assertGreaterEqual(len(balance), 12)
        by_business_day = self.report_gross("lightspeed_business_date")
        self.assertEqual(by_business_day, balance)

    def test_tips_and_deposits_are_their_own_line_kinds(self):
        """What the orders collected beyond their sales shows apart, equal to Lightspeed's
        tips and top-ups of the imported sales."""
        imported = set(
            self.env["pos.order"]
            .search([("lightspeed_backend_id", "=", self.backend.id)])
            .mapped("lightspeed_sale_id")
        )
        expected = {"tip": 0.0, "deposit": 0.0}
        for kind, simulator_kind in (("tip", "tipped"), ("deposit", "deposit")):
            found = self.simulator.admin("find_sales", kind=simulator_kind, limit=1000)
            for sale_id in set(found["sale_ids"]) & imported:
                record = self.simulator.admin("get_sale", sale_id=sale_id)
                for payment in record["payments"]:
                    if kind == "tip":
                        expected[kind] += float(payment["tipAmount"])
                    elif float(payment["amount"]) < 0:
                        expected[kind] -= float(payment["amount"])
        self.assertTrue(expected["tip"] and expected["deposit"], expected)
        for kind, amount in expected.items():
            total = sum(self.report_gross("lightspeed_business_date", kind).values())
            self.assertAlmostEqual(total, amount, 2, kind)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "lightspeed_connector.report_pos_order_action"
        )
        self.assertIn("'search_default_filter_lightspeed_sales': 1", action["context"])
        # Odoo OR-s the filters of one group: the line-kind filter needs a group of its own,
        # or "From Lightspeed" would let the tips back in.
        search = self.env["report.pos.order"].get_views([(False, "search")])["views"]["search"]
        arch = etree.fromstring(search["arch"])
        groups, current = [], []
        for node in arch:
            if node.tag == "separator":
                groups.append(current)
                current = []
            elif node.tag == "filter":
                current.append(node.get("name"))
        groups.append(current)
        [kind_group] = [g for g in groups if "filter_lightspeed_sales" in g]
        self.assertEqual(kind_group, ["filter_lightspeed_sales"])

    def test_viewer_calendar_day_would_disagree(self):
        """The data crosses a local midnight: Odoo's own grouping differs on some shop-days,
        so the test above would fail if the report grouped by order date."""
        balance = self.balance_gross()
        by_order_date = self.report_gross("date")
        differing = {key for key in balance.keys() | by_order_date.keys()
                     if balance.get(key) != by_order_date.get(key)}  # fmt: skip
        self.assertTrue(differing)
        gastown = self.backend.shop_ids.filtered(lambda s: s.lightspeed_id == "3")
        self.assertIn(gastown.id, {shop_id for shop_id, _day in differing})
        # Period totals agree: the same orders, only their days differ.
        self.assertAlmostEqual(sum(balance.values()), sum(by_order_date.values()), places=2)

    def test_sales_analysis_opens_grouped_by_business_day_and_shop(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "lightspeed_connector.report_pos_order_action"
        )
        self.assertEqual(action["res_model"], "report.pos.order")
        self.assertIn("'search_default_group_lightspeed_business_date': 1", action["context"])
        # A business day per row, a shop per column.
        pivot = self.env["report.pos.order"].get_views(
            [(self.env.ref("lightspeed_connector.report_pos_order_view_pivot").id, "pivot")]
        )["views"]["pivot"]["arch"]
        self.assertEqual(
            etree.fromstring(pivot).xpath("//field[@type='col']/@name"), ["lightspeed_shop_id"]
        )
        menu = self.env.ref("lightspeed_connector.lightspeed_report_pos_order_menu")
        self.assertEqual(menu.action, self.env.ref("lightspeed_connector.report_pos_order_action"))
        sessions = self.env["ir.actions.act_window"]._for_xml_id(
            "lightspeed_connector.pos_session_action_lightspeed"
        )
        self.assertIn("'search_default_group_lightspeed_shop': 2", sessions["context"])
        groups = self.env["pos.session"]._read_group(
            [("lightspeed_shop_id", "!=", False)],
            ["lightspeed_business_date:day", "lightspeed_shop_id"],
            ["__count"],
        )
        self.assertTrue(groups)
        self.assertTrue(all(count == 1 for _day, _shop, count in groups), groups)
