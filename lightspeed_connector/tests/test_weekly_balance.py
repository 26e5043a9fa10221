# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Weekly balance: every POS data type against hand-computed figures, approval locking,
auto-confirm in two time zones, overwrite of approved days and totals against the orders."""

from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from lxml import etree

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tests.common import TransactionCase, new_test_user

from ..models.lightspeed_weekly_balance import KPI_MEASURE_TYPES
from ..tools import business_date

AMS_DAY = date(2026, 10, 25)  # Europe/Amsterdam leaves summer time: a 25-hour day
NYC_DAY = date(2026, 10, 20)


@tagged("post_install", "-at_install")
class TestWeeklyBalance(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        cls.backend = cls.env["lightspeed.backend"].create(
            {"name": "KPI account", "company_id": cls.company.id}
        )
        cls.dep_ams = cls.env["hr.department"].create({"name": "Amsterdam floor"})
        cls.dep_nyc = cls.env["hr.department"].create({"name": "New York floor"})
        cls.shop_ams = cls._shop("1", "Amsterdam", "Europe/Amsterdam", "KAMS", cls.dep_ams)
        cls.shop_nyc = cls._shop("2", "New York", "America/New_York", "KNYC", cls.dep_nyc)
        Register = cls.env["lightspeed.register"]
        cls.reg_1 = Register.create(
            {
                "backend_id": cls.backend.id,
                "lightspeed_id": "11",
                "name": "Till 1",
                "shop_id": cls.shop_ams.id,
            }
        )
        cls.reg_2 = Register.create(
            {
                "backend_id": cls.backend.id,
                "lightspeed_id": "12",
                "name": "Till 2",
                "shop_id": cls.shop_ams.id,
            }
        )
        cls.reg_nyc = Register.create(
            {
                "backend_id": cls.backend.id,
                "lightspeed_id": "21",
                "name": "Till NY",
                "shop_id": cls.shop_nyc.id,
            }
        )
        Tax = cls.env["account.tax"]
        cls.vat_incl = Tax.create(
            {
                "name": "VAT 21% incl.",
                "amount": 21.0,
                "amount_type": "percent",
                "type_tax_use": "sale",
                "price_include_override": "tax_included",
                "company_id": cls.company.id,
            }
        )
        cls.sales_tax = Tax.create(
            {
                "name": "Sales tax 10%",
                "amount": 10.0,
                "amount_type": "percent",
                "type_tax_use": "sale",
                "price_include_override": "tax_excluded",
                "company_id": cls.company.id,
            }
        )
        cls.product = cls.env["product.product"].create(
            {
                "name": "Sweater",
                "type": "consu",
                "list_price": 10.0,
                "taxes_id": [Command.clear()],
                "available_in_pos": True,
            }
        )
        cls.session_ams = cls._open_session(cls.shop_ams)
        cls.session_nyc = cls._open_session(cls.shop_nyc)
        P = cls.product
        # Amsterdam, prices include 21% VAT. Times are UTC; local time in the comment.
        cls.o1 = cls._order(
            cls.shop_ams,
            cls.reg_1,
            datetime(2026, 10, 24, 22, 30),  # 00:30 CEST
            [(P, 2, 12.10, 0, cls.vat_incl)],
        )
        cls.o2 = cls._order(
            cls.shop_ams,
            cls.reg_1,
            datetime(2026, 10, 25, 0, 30),  # 02:30 CEST
            [(P, 1, 24.20, 10, cls.vat_incl), (P, 3, 1.21, 0, cls.vat_incl)],
        )
        cls.o3 = cls._order(
            cls.shop_ams,
            cls.reg_2,
            datetime(2026, 10, 25, 1, 30),  # 02:30 CET
            [(P, 1, 12.10, 0, cls.vat_incl)],
        )
        cls.o4 = cls._order(
            cls.shop_ams,
            cls.reg_1,
            datetime(2026, 10, 25, 9, 15),  # 10:15
            [(P, -1, 12.10, 0, cls.vat_incl)],
            kind="refund",
        )
        cls.o5 = cls._order(
            cls.shop_ams,
            cls.reg_1,
            datetime(2026, 10, 25, 9, 40),  # 10:40
            [(P, 1, 24.20, 50, cls.vat_incl), (P, -1, 1.21, 0, cls.vat_incl)],
        )
        cls.o6 = cls._order(
            cls.shop_ams,
            cls.reg_2,
            datetime(2026, 10, 25, 10, 5),  # 11:05
            [(P, -1, 12.10, 0, cls.vat_incl)],
            kind="void",
        )
        # New York, 10% sales tax on top of the price.
        cls.n1 = cls._order(
            cls.shop_nyc,
            cls.reg_nyc,
            datetime(2026, 10, 20, 13, 5),  # 09:05
            [(P, 2, 10.00, 25, cls.sales_tax)],
        )
        cls.n2 = cls._order(
            cls.shop_nyc,
            cls.reg_nyc,
            datetime(2026, 10, 21, 3, 30),  # 23:30
            [(P, 1, 5.00, 0, None)],
        )
        cls.n3 = cls._order(
            cls.shop_nyc,
            cls.reg_nyc,
            datetime(2026, 10, 20, 14, 0),  # 10:00
            [(P, -1, 10.00, 0, cls.sales_tax)],
            kind="refund",
        )
        cls.ams_orders = cls.o1 | cls.o2 | cls.o3 | cls.o4 | cls.o5 | cls.o6
        cls.nyc_orders = cls.n1 | cls.n2 | cls.n3
        cls.Fact = cls.env["lightspeed.kpi.fact"]
        cls.fields = {
            name: cls.env.ref(f"lightspeed_connector.lightspeed_kpi_field_{name}")
            for name in KPI_MEASURE_TYPES  # the eight default fields, one per data type
        }

    # --- fixtures ---------------------------------------------------------------------

    @classmethod
    def _shop(cls, ls_id, name, tz, code, department):
        warehouse = cls.env["stock.warehouse"].create(
            {"name": f"WH {name}", "code": code, "company_id": cls.company.id}
        )
        return cls.env["lightspeed.shop"].create(
            {
                "backend_id": cls.backend.id,
                "lightspeed_id": ls_id,
                "name": name,
                "timezone": tz,
                "warehouse_id": warehouse.id,
                "department_id": department.id,
            }
        )

    @classmethod
    def _open_session(cls, shop):
        config = shop.pos_config_id
        config._check_before_creating_new_session()
        session = cls.env["pos.session"].create({"config_id": config.id})
        session.set_opening_control(0, "")
        session.update_stock_at_closing = True
        return session

    @classmethod
    def _order(cls, shop, register, when, lines, kind="sale"):
        """A paid order as the sales import creates it (lines: product, qty, unit price,
        discount %, tax)."""
        session = shop.pos_config_id.current_session_id
        currency = session.currency_id
        line_vals = []
        for product, qty, price, discount, tax in lines:
            taxes = tax or cls.env["account.tax"]
            res = taxes.compute_all(price * (1 - discount / 100.0), currency, qty, product=product)
            line_vals.append(
                {
                    "product_id": product.id,
                    "qty": qty,
                    "price_unit": price,
                    "discount": discount,
                    "tax_ids": [Command.set(taxes.ids)],
                    "price_subtotal": res["total_excluded"],
                    "price_subtotal_incl": res["total_included"],
                    "full_product_name": product.display_name,
                }
            )
        total = currency.round(sum(v["price_subtotal_incl"] for v in line_vals))
        untaxed = currency.round(sum(v["price_subtotal"] for v in line_vals))
        cls._seq = getattr(cls, "_seq", 0) + 1
        ref = f"LS-{cls._seq:04d}"
        order = cls.env["pos.order"].create(
            {
                "session_id": session.id,
                "date_order": when,
                "pos_reference": ref,
                "lines": [Command.create(v) for v in line_vals],
                "amount_tax": total - untaxed,
                "amount_total": total,
                "amount_paid": 0.0,
                "amount_return": 0.0,
                "lightspeed_backend_id": cls.backend.id,
                "lightspeed_id": ref,
                "lightspeed_sale_id": ref,
                "lightspeed_kind": kind,
                "lightspeed_shop_id": shop.id,
                "lightspeed_register_id": register.id,
                "lightspeed_department_id": shop.department_id.id,
                "lightspeed_business_date": business_date(when, shop.get_zoneinfo(), 0),
            }
        )
        order.add_payment(
            {
                "pos_order_id": order.id,
                "payment_method_id": shop.cash_payment_method_id.id,
                "amount": total,
                "payment_date": when,
            }
        )
        order._process_saved_order(False)
        return order

    def _refresh_all(self, **kwargs):
        self.Fact._refresh(self.shop_ams, [AMS_DAY], **kwargs)
        self.Fact._refresh(self.shop_nyc, [NYC_DAY], **kwargs)

    def _hourly(self, shop, day):
        """{data type: {hour: value}} summed over registers."""
        result = defaultdict(lambda: defaultdict(float))
        for fact in self.Fact.search([("shop_id", "=", shop.id), ("date", "=", day)]):
            result[fact.data_type][fact.hour] += fact.value
        return {key: {h: round(v, 2) for h, v in hours.items()} for key, hours in result.items()}

    def _line(self, department, day, field_name):
        return self.env["lightspeed.weekly.balance.line"].search(
            [
                ("department_id", "=", department.id),
                ("date", "=", day),
                ("field_id", "=", self.fields[field_name].id),
            ]
        )

    def _day(self, department, day):
        return self.env["lightspeed.weekly.balance.day"].search(
            [("department_id", "=", department.id), ("date", "=", day)]
        )

    # --- figures ----------------------------------------------------------------------

    def test_fixture_orders_are_paid_with_expected_business_days(self):
        self.assertEqual(set((self.ams_orders | self.nyc_orders).mapped("state")), {"paid"})
        self.assertEqual(set(self.ams_orders.mapped("lightspeed_business_date")), {AMS_DAY})
        self.assertEqual(self.n2.lightspeed_business_date, NYC_DAY, "23:30 New York time")
        self.assertAlmostEqual(sum(self.ams_orders.mapped("amount_total")), 48.40)
        self.assertAlmostEqual(self.o2.amount_total, 25.41)

    def test_every_data_type_tax_inclusive_shop_on_dst_day(self):
        self._refresh_all()
        got = self._hourly(self.shop_ams, AMS_DAY)
        # 02:00 holds two orders an hour apart in UTC (summer time ends at 03:00 CEST).
        self.assertEqual(got["gross_sales"], {"00": 24.20, "02": 37.51, "10": -1.21, "11": -12.10})
        self.assertEqual(got["net_sales"], {"00": 20.00, "02": 31.00, "10": -1.00, "11": -10.00})
        self.assertEqual(got["transactions"], {"00": 1, "02": 2, "10": 1, "11": -1})
        self.assertEqual(got["goods_sold"], {"00": 2, "02": 5, "10": 1, "11": -1})
        # Default fields kept per day (no hour): discounts, returns, returned goods.
        self.assertEqual(got["discounts"], {False: 14.52})
        self.assertEqual(got["returns"], {False: 13.31})
        self.assertEqual(got["goods_returned"], {False: 2})
        self.assertNotIn("visitors", got)
        by_register = defaultdict(float)
        for fact in self.Fact.search(
            [
                ("shop_id", "=", self.shop_ams.id),
                ("hour", "=", "02"),
                ("data_type", "=", "gross_sales"),
            ]
        ):
            by_register[fact.register_id] += fact.value
        self.assertAlmostEqual(by_register[self.reg_1], 25.41)
        self.assertAlmostEqual(by_register[self.reg_2], 12.10)

    def test_every_data_type_tax_exclusive_shop_new_york(self):
        self._refresh_all()
        got = self._hourly(self.shop_nyc, NYC_DAY)
        self.assertEqual(got["gross_sales"], {"09": 16.50, "10": -11.00, "23": 5.00})
        self.assertEqual(got["net_sales"], {"09": 15.00, "10": -10.00, "23": 5.00})
        self.assertEqual(got["transactions"], {"09": 1, "23": 1})
        self.assertEqual(got["goods_sold"], {"09": 2, "23": 1})
        self.assertEqual(got["discounts"], {False: 5.50})
        self.assertEqual(got["returns"], {False: 11.00})
        self.assertEqual(got["goods_returned"], {False: 1})

    def test_split_into_hours_is_a_field_option(self):
        self.fields["discounts"].split_hourly = True
        self.fields["gross_sales"].split_hourly = False
        self._refresh_all()
        got = self._hourly(self.shop_ams, AMS_DAY)
        self.assertEqual(got["discounts"], {"02": 2.42, "10": 12.10})
        self.assertEqual(got["gross_sales"], {False: 48.40})

    def test_transactions_refund_modes(self):
        Field = self.env["lightspeed.kpi.field"]
        modes = {
            mode: Field.create(
                {
                    "code": f"T-{mode}",
                    "name": mode,
                    "data_type": "transactions",
                    "refund_mode": mode,
                    "split_hourly": False,
                }
            )
            for mode in ("ignore", "count", "subtract")
        }
        self._refresh_all()
        expected = {
            self.shop_ams: {"ignore": 3, "count": 4, "subtract": 2},
            self.shop_nyc: {"ignore": 2, "count": 3, "subtract": 1},
        }
        for shop, values in expected.items():
            for mode, value in values.items():
                facts = self.Fact.search(
                    [("shop_id", "=", shop.id), ("field_id", "=", modes[mode].id)]
                )
                self.assertEqual(sum(facts.mapped("value")), value, f"{shop.name} {mode}")

    def test_weekly_balance_totals_equal_imported_orders(self):
        self._refresh_all()
        for department, day, orders in (
            (self.dep_ams, AMS_DAY, self.ams_orders),
            (self.dep_nyc, NYC_DAY, self.nyc_orders),
        ):
            lines = orders.lines
            expected = {
                "gross_sales": sum(orders.mapped("amount_total")),
                "net_sales": sum(o.amount_total - o.amount_tax for o in orders),
                "goods_sold": sum(
                    lines.filtered(
                        lambda ln: ln.qty > 0 or ln.order_id.lightspeed_kind == "void"
                    ).mapped("qty")
                ),
                "goods_returned": -sum(
                    lines.filtered(
                        lambda ln: ln.qty < 0 and ln.order_id.lightspeed_kind != "void"
                    ).mapped("qty")
                ),
            }
            for name, value in expected.items():
                self.assertAlmostEqual(
                    self._line(department, day, name).actual, value, 2, f"{department.name} {name}"
                )
            balance = self._day(department, day).balance_id
            self.assertEqual(balance.week_start.weekday(), 0)
            self.assertEqual(len(balance.day_ids), 7)
            week_gross = sum(
                balance.line_ids.filtered(lambda ln: ln.data_type == "gross_sales").mapped("actual")
            )
            self.assertAlmostEqual(week_gross, sum(orders.mapped("amount_total")), 2)
        self.assertEqual(self._day(self.dep_ams, AMS_DAY).balance_id.iso_week, "2026-W43")

    def test_refresh_is_idempotent_and_follows_new_orders(self):
        self._refresh_all()
        count = self.Fact.search_count([])
        self._refresh_all()
        self.assertEqual(self.Fact.search_count([]), count, "a second refresh changes nothing")
        self._order(
            self.shop_ams,
            self.reg_1,
            datetime(2026, 10, 25, 15, 0),
            [(self.product, 1, 12.10, 0, self.vat_incl)],
        )
        self.Fact._refresh(self.shop_ams, [AMS_DAY])
        self.assertAlmostEqual(self._line(self.dep_ams, AMS_DAY, "gross_sales").actual, 60.50)
        self.assertEqual(self._hourly(self.shop_ams, AMS_DAY)["gross_sales"]["16"], 12.10)

    # --- approval -----------------------------------------------------------------------

    def test_approved_day_is_locked(self):
        self._refresh_all()
        day = self._day(self.dep_ams, AMS_DAY)
        line = self._line(self.dep_ams, AMS_DAY, "gross_sales")
        line.budget = 50.0
        self.assertAlmostEqual(line.variance, -1.60)
        day.action_approve()
        self.assertTrue(day.approved)
        self.assertEqual(day.balance_id.state, "partial")
        with self.assertRaises(UserError):
            line.budget = 60.0
        facts_before = self.Fact.search([("shop_id", "=", self.shop_ams.id)])
        self._order(
            self.shop_ams,
            self.reg_1,
            datetime(2026, 10, 25, 15, 0),
            [(self.product, 1, 12.10, 0, self.vat_incl)],
        )
        skipped = self.Fact._refresh(self.shop_ams, [AMS_DAY])
        self.assertEqual(skipped, {(self.dep_ams.id, AMS_DAY)})
        self.assertEqual(self.Fact.search([("shop_id", "=", self.shop_ams.id)]), facts_before)
        self.assertAlmostEqual(line.actual, 48.40, msg="re-import must not change an approved day")
        with self.assertRaises(UserError):
            self.env["lightspeed.kpi.visitor"].create(
                {"shop_id": self.shop_ams.id, "date": AMS_DAY, "hour": "10", "visitors": 5}
            )
        # A user of the Lightspeed group may approve but not reopen.
        user = new_test_user(
            self.env,
            "kpi_user",
            groups="base.group_user,lightspeed_connector.group_lightspeed_user",
        )
        with self.assertRaises(UserError):
            day.with_user(user).action_reopen()
        day.action_reopen()
        self.assertTrue(day.reopened)
        self.Fact._refresh(self.shop_ams, [AMS_DAY])
        self.assertAlmostEqual(line.actual, 60.50)

    def test_overwrite_approved_numbers_is_logged(self):
        self._refresh_all()
        day = self._day(self.dep_ams, AMS_DAY)
        day.action_approve()
        self._order(
            self.shop_ams,
            self.reg_1,
            datetime(2026, 10, 25, 15, 0),
            [(self.product, 1, 12.10, 0, self.vat_incl)],
        )
        messages = day.balance_id.message_ids
        skipped = self.Fact._refresh(self.shop_ams, [AMS_DAY], overwrite_approved=True)
        self.assertFalse(skipped)
        self.assertTrue(day.approved, "the day stays approved")
        self.assertAlmostEqual(self._line(self.dep_ams, AMS_DAY, "gross_sales").actual, 60.50)
        new = day.balance_id.message_ids - messages
        self.assertEqual(len(new), 1)
        self.assertIn("overwrite approved numbers", new.body)
        self.assertIn("48.40", new.body)
        self.assertIn("60.50", new.body)

    def test_auto_confirm_at_configured_hour_in_two_time_zones(self):
        self.backend.write({"state": "connected"})
        self._refresh_all()
        Day = self.env["lightspeed.weekly.balance.day"]
        ICP = self.env["ir.config_parameter"]
        self.assertEqual(Day._auto_confirm_hour(), 5, "default 05:00")
        # 02:59 UTC is 04:59 in Amsterdam (CEST) and 22:59 on the 20th in New York.
        Day._cron_auto_confirm(now=datetime(2026, 10, 21, 2, 59))
        self.assertFalse(self._day(self.dep_ams, date(2026, 10, 20)).approved)
        self.assertTrue(self._day(self.dep_ams, date(2026, 10, 19)).approved)
        approved = Day._cron_auto_confirm(now=datetime(2026, 10, 21, 3, 0))  # 05:00 CEST
        ams = self._day(self.dep_ams, date(2026, 10, 20))
        self.assertIn(ams, approved)
        self.assertTrue(ams.approved and ams.auto_confirmed)
        nyc = self._day(self.dep_nyc, NYC_DAY)
        self.assertFalse(nyc.approved, "still 23:00 on the 20th in New York")
        Day._cron_auto_confirm(now=datetime(2026, 10, 21, 8, 59))  # 04:59 EDT
        self.assertFalse(nyc.approved)
        Day._cron_auto_confirm(now=datetime(2026, 10, 21, 9, 0))  # 05:00 EDT
        self.assertTrue(nyc.approved)
        # Another hour from the settings; a day reopened by hand is left alone.
        settings = self.env["res.config.settings"].create({"lightspeed_auto_confirm_hour": 7})
        settings.execute()
        self.assertEqual(ICP.get_param("lightspeed_connector.auto_confirm_hour"), "7")
        Day._cron_auto_confirm(now=datetime(2026, 10, 22, 10, 0))  # 06:00 EDT
        self.assertFalse(self._day(self.dep_nyc, date(2026, 10, 21)).approved)
        nyc.action_reopen()
        Day._cron_auto_confirm(now=datetime(2026, 10, 22, 11, 0))  # 07:00 EDT
        self.assertTrue(self._day(self.dep_nyc, date(2026, 10, 21)).approved)
        self.assertFalse(nyc.approved, "reopened by a manager")
        # Backends that are not connected (import behind) are not auto-confirmed.
        self.backend.write({"state": "reauth_needed"})
        self.assertFalse(Day._cron_auto_confirm(now=datetime(2026, 10, 25, 12, 0)))

    def test_approving_today_or_a_future_day_is_refused(self):
        # The day running in Amsterdam, read from the clock (the shop has no day cut-off).
        today = datetime.now(ZoneInfo("Europe/Amsterdam")).date()
        Balance = self.env["lightspeed.weekly.balance"]
        dates = [today - timedelta(days=1), today, today + timedelta(days=1), today + timedelta(7)]
        days = Balance._ensure_days({(self.dep_ams.id, d) for d in dates})
        for when in dates[1:]:
            day = days[(self.dep_ams.id, when)]
            with self.assertRaises(UserError) as caught:
                day.action_approve()
            self.assertEqual(
                caught.exception.args[0],
                f"{when} of Amsterdam floor cannot be approved yet: only a day that is over can "
                f"be approved (the business day running now is {today}), since later imports "
                "do not change an approved day.",
            )
            self.assertFalse(day.approved)
        yesterday = days[(self.dep_ams.id, dates[0])]
        yesterday.action_approve()
        self.assertTrue(yesterday.approved)

    def test_approving_asks_for_confirmation(self):
        arch = self.env["lightspeed.weekly.balance"].get_views([(False, "form")])["views"]["form"][
            "arch"
        ]
        (button,) = etree.fromstring(arch).xpath("//button[@name='action_approve']")
        self.assertEqual(
            button.get("confirm"),
            "Approve this day? Its figures are then final: later imports (late sales, voids and "
            "edits from Lightspeed) will not change this day unless a manager reopens it or a "
            "backfill overwrites approved numbers.",
        )

    def test_every_day_of_the_week_has_its_figure_lines(self):
        self._refresh_all()
        kpi_fields = self.env["lightspeed.kpi.field"].search(
            [("company_id", "in", [False, self.company.id])]
        )
        balance = self._day(self.dep_ams, AMS_DAY).balance_id
        self.assertEqual(len(balance.day_ids), 7)
        for day in balance.day_ids:
            self.assertEqual(day.line_ids.field_id, kpi_fields, str(day.date))
        monday = self._line(self.dep_ams, date(2026, 10, 19), "gross_sales")
        self.assertEqual(monday.actual, 0.0, "no sale that day")
        monday.budget = 250.0
        self.assertAlmostEqual(monday.variance, -250.0)
        # Next week's balances exist before it starts, with every line, for every shop's
        # department, so budgets are typed in ahead.
        balances = self.env["lightspeed.weekly.balance"]._plan_weeks(today=date(2026, 12, 2))
        self.assertEqual(
            {(b.department_id, b.week_start) for b in balances},
            {
                (dep, start)
                for dep in (self.dep_ams, self.dep_nyc)
                for start in (date(2026, 11, 30), date(2026, 12, 7))
            },
        )
        for balance in balances:
            self.assertEqual(len(balance.line_ids), 7 * len(kpi_fields))
        ahead = balances.filtered(lambda b: b.week_start == date(2026, 12, 7))[:1]
        ahead.line_ids[:1].budget = 10.0
        action = self.env["lightspeed.weekly.balance"].action_plan_next_week()
        self.assertEqual(action["res_model"], "lightspeed.weekly.balance")

    # --- visitors, drill-down, views ---------------------------------------------------

    def test_visitors_manual_and_csv_import(self):
        Visitor = self.env["lightspeed.kpi.visitor"]
        Visitor.create({"shop_id": self.shop_ams.id, "date": AMS_DAY, "hour": "10", "visitors": 40})
        result = Visitor.load(
            ["shop_id", "date", "hour", "visitors"],
            [["Amsterdam", "2026-10-25", "11", "25"], ["Amsterdam", "2026-10-25", "02", "3"]],
        )
        self.assertFalse(result["messages"], result["messages"])
        self.assertEqual(len(result["ids"]), 2)
        self.assertEqual(
            self._hourly(self.shop_ams, AMS_DAY)["visitors"], {"02": 3, "10": 40, "11": 25}
        )
        self.assertEqual(self._line(self.dep_ams, AMS_DAY, "visitors").actual, 68)
        Visitor.browse(result["ids"][0]).visitors = 30
        self.assertEqual(self._line(self.dep_ams, AMS_DAY, "visitors").actual, 73)

    def test_drill_down_to_orders(self):
        self._refresh_all()
        facts = self.Fact.search(
            [
                ("shop_id", "=", self.shop_ams.id),
                ("hour", "=", "02"),
                ("data_type", "=", "gross_sales"),
            ]
        )
        action = facts.action_open_orders()
        self.assertEqual(action["res_model"], "pos.order")
        self.assertEqual(set(action["domain"][0][2]), set((self.o2 | self.o3).ids))
        one = facts.filtered(lambda f: f.register_id == self.reg_2)
        self.assertEqual(one.action_open_orders()["domain"][0][2], self.o3.ids)
        line = self._line(self.dep_nyc, NYC_DAY, "gross_sales")
        self.assertEqual(set(line.action_open_orders()["domain"][0][2]), set(self.nyc_orders.ids))
        balance = line.balance_id
        self.assertEqual(
            set(balance.action_open_orders()["domain"][0][2]), set(self.nyc_orders.ids)
        )
        self.assertEqual(balance.action_open_sheet()["res_model"], "lightspeed.weekly.balance.line")
        self.assertEqual(line.action_open_hours()["res_model"], "lightspeed.kpi.fact")

    def test_defaults_views_menus_and_access(self):
        self.assertEqual(
            {f.data_type for f in self.fields.values()},
            {t for t, _label in self.env["lightspeed.kpi.field"]._fields["data_type"].selection},
        )
        self.assertEqual(self.fields["gross_sales"].display_name, "5266 Gross sales")
        for model, types in (
            ("lightspeed.kpi.fact", ["pivot", "graph", "list", "search"]),
            ("lightspeed.weekly.balance", ["list", "form", "search"]),
            ("lightspeed.weekly.balance.line", ["pivot", "graph", "list", "search"]),
            ("lightspeed.kpi.field", ["list", "form", "search"]),
            ("lightspeed.kpi.visitor", ["list", "search"]),
        ):
            views = self.env[model].get_views([(False, t) for t in types])["views"]
            self.assertEqual(set(views), set(types))
        pos_menu = self.env.ref("point_of_sale.menu_point_rep")
        names = self.env["ir.ui.menu"].search([("parent_id", "=", pos_menu.id)]).mapped("name")
        self.assertIn("Lightspeed Weekly Balance", names)
        arch = self.env["res.config.settings"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertTrue(
            etree.fromstring(arch).xpath("//field[@name='lightspeed_auto_confirm_hour']")
        )
        self._refresh_all()
        user = new_test_user(
            self.env,
            "kpi_reader",
            groups="base.group_user,lightspeed_connector.group_lightspeed_user,point_of_sale.group_pos_user",
        )
        line = self._line(self.dep_ams, AMS_DAY, "gross_sales").with_user(user)
        line.budget = 45.0
        self.assertTrue(line.balance_id.name)
        self.assertTrue(self.Fact.with_user(user).search_count([]))
        with self.assertRaises(AccessError):
            line.actual = 1.0
        with self.assertRaises(AccessError):
            line.day_id.approved = True
        self.env["lightspeed.kpi.visitor"].with_user(user).create(
            {"shop_id": self.shop_ams.id, "date": AMS_DAY, "hour": "09", "visitors": 12}
        )
        self.assertEqual(self._line(self.dep_ams, AMS_DAY, "visitors").actual, 12)
        line.day_id.action_approve()
        self.assertEqual(line.day_id.approved_by_id, user)
        with self.assertRaises(UserError):
            line.budget = 46.0
