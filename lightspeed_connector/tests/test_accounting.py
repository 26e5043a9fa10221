# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Books an accountant signs: taxes on tax accounts, one currency per company, points of sale
that cannot sell twice, each day's cash deposited, the business day on sessions.

Expected figures come from what Lightspeed (the simulator) and Odoo's own records say, never
from the connector's helpers."""

import unittest

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from .common import LightspeedCommon
from .test_browser_smoke import BrowserWaits, browser_missing
from .test_sale_import import SaleImportCommon

# The simulator's shops (lightspeed_simulator/data.py SHOP_SPECS): tax category -> time zone.
CATEGORY_ZONES = {"1": "America/New_York", "2": "Europe/Amsterdam", "3": "America/Vancouver"}
ZONE_COUNTRIES = {"America/New_York": "US", "Europe/Amsterdam": "NL", "America/Vancouver": "CA"}


def sales_tax_of_base(env):
    """The sales tax the template database has (generic chart: "15%" on Tax Received)."""
    return env["account.tax"].search(
        [
            ("company_id", "=", env.company.id),
            ("type_tax_use", "=", "sale"),
            ("lightspeed_created", "=", False),
        ],
        limit=1,
    )


@tagged("post_install", "-at_install")
class TestConnectorTaxes(SaleImportCommon):
    """Taxes the connector creates book their amounts on tax accounts, in the tax group of
    their rate and the country of their shops."""

    simulator_args = ("--seed", "11", "--sales", "90", "--days", "3")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template = sales_tax_of_base(cls.env)
        cls.tax_account = cls.template.invoice_repartition_line_ids.filtered(
            lambda ln: ln.repartition_type == "tax"
        ).account_id
        cls.import_run = cls.env["lightspeed.sale.importer"]._run(cls.backend)

    def test_created_taxes_copy_accounts_group_and_country(self):
        created = self.backend.tax_ids.filtered(lambda r: r.tax_id.lightspeed_created)
        self.assertTrue(created, "the simulator's rates need taxes the company does not have")
        self.assertEqual({row.tax_category_lightspeed_id for row in created}, set(CATEGORY_ZONES))
        for row in created:
            tax = row.tax_id
            for lines in (tax.invoice_repartition_line_ids, tax.refund_repartition_line_ids):
                tax_lines = lines.filtered(lambda ln: ln.repartition_type == "tax")
                self.assertEqual(tax_lines.account_id, self.tax_account, tax.name)
                self.assertEqual(len(lines.filtered(lambda ln: ln.repartition_type == "base")), 1)
            expected_country = ZONE_COUNTRIES[CATEGORY_ZONES[row.tax_category_lightspeed_id]]
            self.assertEqual(tax.country_id.code, expected_country, tax.name)
            self.assertEqual(tax.tax_group_id.country_id, tax.country_id, tax.name)
            self.assertIn(f"{row.rate:g}%", tax.tax_group_id.name, tax.name)
            self.assertEqual(tax.price_include, row.price_include)
            self.assertAlmostEqual(tax.amount, row.rate, places=4)
        self.assertFalse(self.backend.tax_issue_ids, "the data check finds nothing to fix")

    def test_session_entries_book_taxes_on_tax_accounts(self):
        self.assertEqual(self.import_run.failed_count, 0)
        sessions = self.env["pos.session"].search(
            [("lightspeed_shop_id.backend_id", "=", self.backend.id), ("state", "=", "closed")]
        )
        self.assertTrue(sessions)
        tax_lines = sessions.move_id.line_ids.filtered("tax_line_id")
        self.assertTrue(tax_lines)
        self.assertTrue(tax_lines.tax_line_id.filtered("lightspeed_created"))
        self.assertEqual(tax_lines.account_id, self.tax_account)
        self.assertFalse(tax_lines.filtered(lambda ln: ln.account_id.internal_group == "income"))
        for session in sessions:
            booked = sum(
                ln.credit - ln.debit for ln in session.move_id.line_ids.filtered("tax_line_id")
            )
            collected = sum(session.order_ids.mapped("amount_tax"))
            self.assertAlmostEqual(booked, collected, places=2, msg=session.name)

    def test_data_check_fixes_taxes_without_accounts(self):
        """A tax created the old way (no accounts, first tax group, company country) is listed
        and fixed on demand."""
        row = self.backend.tax_ids.filtered(
            lambda r: r.tax_category_lightspeed_id == "2" and r.slot == "tax1" and r.rate > 20
        )
        old = self.env["account.tax"].create(
            {
                "name": "BTW 21% (Lightspeed) incl. (old)",
                "amount": row.rate,
                "amount_type": "percent",
                "type_tax_use": "sale",
                "price_include_override": "tax_included",
                "company_id": self.company.id,
            }
        )
        self.assertEqual(old.country_id.code, "US", "what the connector used to do")
        row.tax_id = old
        self.assertEqual(self.backend.tax_issue_ids, old)
        self.assertEqual(self.backend.tax_issue_count, 1)
        self.backend.action_fix_tax_accounts()
        self.assertFalse(self.backend.tax_issue_ids)
        tax_lines = old.repartition_line_ids.filtered(lambda ln: ln.repartition_type == "tax")
        self.assertEqual(len(tax_lines), 2, "one for invoices, one for refunds")
        self.assertEqual(tax_lines.account_id, self.tax_account)
        self.assertEqual(old.country_id.code, "NL")
        self.assertEqual(old.tax_group_id.country_id.code, "NL")
        self.assertIn("21%", old.tax_group_id.name)


@tagged("post_install", "-at_install")
class TestTaxWithoutTemplate(SaleImportCommon):
    """A company with no sales tax on tax accounts: the connector creates no tax, and the
    sales say which tax to create or map."""

    simulator_args = ("--seed", "12", "--sales", "40", "--days", "2")

    def test_no_template_no_tax_and_a_clear_error(self):
        template = sales_tax_of_base(self.env)
        template.repartition_line_ids.filtered(
            lambda ln: ln.repartition_type == "tax"
        ).account_id = False
        rows = self.backend.tax_ids
        created = rows.tax_id.filtered("lightspeed_created")
        rows.tax_id = False
        created.unlink()
        rows._auto_match()
        self.assertFalse(rows.tax_id, "no template, no tax")
        row = rows.filtered(lambda r: r.tax_category_lightspeed_id == "1")
        self.assertEqual(
            row.missing_reason,
            "The connector did not create a tax for rate NY Sales Tax 8.875% (excluded from "
            f"price): company {self.company.name} has no sales tax with tax accounts to copy "
            "them from. Create a sales tax of 8.875%, excluded from price, with its tax "
            "accounts, for United States, and map it under Lightspeed > Mappings > Tax Rates "
            "(or run Sync metadata once the company has a sales tax with tax accounts).",
        )
        self.import_sales()
        shop = self.backend.shop_ids.filtered(lambda s: s.tax_category_lightspeed_id == "1")
        failed = self.env["lightspeed.sync.record"].search(
            [
                ("backend_id", "=", self.backend.id),
                ("state", "=", "error"),
                ("shop_id", "=", shop.id),
            ]
        )
        self.assertTrue(failed)
        taxed = failed.filtered(lambda r: "Tax rate" in r.error_message)[:1]
        self.assertEqual(
            taxed.error_message,
            f"Tax rate 8.875% (excluded) of sale {taxed.lightspeed_id} is not mapped to an Odoo "
            "tax: create a sales tax of 8.875%, excluded from price, with its tax accounts "
            "(country: United States), or pick one for rate NY Sales Tax under Lightspeed > "
            "Mappings > Tax Rates, then retry.\n" + row.missing_reason,
        )


@tagged("post_install", "-at_install")
class TestCurrencyPerCompany(LightspeedCommon):
    """One currency per company: shops are mapped only where Lightspeed's currency is the
    company's."""

    simulator_args = ("--seed", "13", "--sales", "10", "--days", "2")

    def test_account_currency_is_read(self):
        self.connect()
        # The simulated account's default currency (lightspeed_simulator/server.py).
        self.assertEqual(self.backend.lightspeed_currency_code, "USD")
        self.assertEqual(self.backend.lightspeed_currency_id, self.env.ref("base.USD"))
        self.assertFalse(self.backend.currency_mismatch)
        self.assertEqual(set(self.backend.shop_ids.currency_id.mapped("name")), {"USD"})

    def test_shop_in_another_currency_is_refused(self):
        self.connect()
        # As if the account kept its amounts in euros (a Dutch Lightspeed account).
        self.backend.lightspeed_currency_code = "EUR"
        shop = self.backend.shop_ids.filtered(lambda s: not s.remote_archived)[:1]
        warehouse = self.env["stock.warehouse"].create({"name": "WH EUR", "code": "LSEU"})
        with self.assertRaises(UserError) as caught:
            shop.write({"warehouse_id": warehouse.id, "import_enabled": True})
        self.assertEqual(
            caught.exception.args[0],
            f"Shop {shop.name} sells in EUR, but backend {self.backend.name} books into "
            f"company {self.company.name}, whose currency is {self.company.currency_id.name}: "
            "map this shop in a company whose currency is EUR.",
        )
        self.assertFalse(shop.pos_config_id, "nothing was created for the refused shop")
        self.assertTrue(self.backend.currency_mismatch)

    def test_account_in_another_company_currency_is_refused(self):
        """The same Lightspeed account (USD) connected from a euro company."""
        eur = self.env.ref("base.EUR")
        eur.active = True
        company = self.env["res.company"].create({"name": "LS Europe", "currency_id": eur.id})
        self.env.user.company_ids |= company
        backend = self.env["lightspeed.backend"].create(
            self._backend_vals(name="Europe", company_id=company.id)
        )
        self.connect(backend)
        self.assertEqual(backend.lightspeed_currency_id.name, "USD")
        shop = backend.shop_ids.filtered(lambda s: not s.remote_archived)[:1]
        warehouse = self.env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        with self.assertRaises(UserError) as caught:
            shop.warehouse_id = warehouse
        self.assertEqual(
            caught.exception.args[0],
            f"Shop {shop.name} sells in USD, but backend Europe books into company LS Europe, "
            "whose currency is EUR: map this shop in a company whose currency is USD.",
        )


@tagged("post_install", "-at_install")
class TestImportedPointsOfSale(SaleImportCommon):
    """Points of sale of Lightspeed shops do not sell, imported orders are read-only, and
    every closed session deposits its cash."""

    simulator_args = ("--seed", "14", "--sales", "120", "--days", "3")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.import_run = cls.env["lightspeed.sale.importer"]._run(cls.backend)
        cls.shops = cls.backend.shop_ids.filtered("import_enabled")
        cls.orders = cls.env["pos.order"].search([("lightspeed_backend_id", "=", cls.backend.id)])

    def selling_refused(self, config):
        return (
            f"{config.name} receives the sales of a Lightspeed shop: sell in Lightspeed. Its "
            "sessions are opened and closed by the import, one per business day, and cannot be "
            "used to sell from Odoo."
        )

    def test_selling_screen_is_refused(self):
        for shop in self.shops:
            config = shop.pos_config_id
            self.assertTrue(config.lightspeed_imported)
            with self.assertRaises(UserError) as caught:
                config.open_ui()
            self.assertEqual(caught.exception.args[0], self.selling_refused(config))
        session = self.env["pos.session"].search(
            [("lightspeed_shop_id.backend_id", "=", self.backend.id), ("state", "=", "opened")],
            limit=1,
        )
        self.assertTrue(session, "today's business day is open")
        for call in (
            session.open_frontend_cb,
            lambda: session.load_data([]),
            lambda: self.env["pos.order"].sync_from_ui([{"session_id": session.id}]),
        ):
            with self.assertRaises(UserError) as caught:
                call()
            self.assertEqual(caught.exception.args[0], self.selling_refused(session.config_id))
        imported = self.env["pos.config"].search([("lightspeed_imported", "=", True)])
        self.assertFalse(self.shops.pos_config_id - imported)
        other = self.env["pos.config"].create({"name": "Real till"})
        self.assertFalse(other.lightspeed_imported)
        self.assertNotIn(other, self.env["pos.config"].search([("lightspeed_imported", "=", True)]))
        kanban = self.env["pos.config"].get_views([(False, "kanban")])["views"]["kanban"]["arch"]
        self.assertIn("action_lightspeed_sessions", kanban)

    def test_imported_order_is_read_only(self):
        order = self.orders.filtered(
            lambda o: o.lightspeed_kind == "sale" and o.state == "paid" and o.payment_ids
        )[:1]
        self.assertTrue(order, "today's open session holds paid orders")
        self.assertFalse(order.has_refundable_lines, "no Return Products button")

        def refused(action):
            return (
                f"{order.display_name} was imported from Lightspeed and cannot be changed in Odoo "
                f"({action}). Make the change in Lightspeed (a return, a void or an edit of the "
                "sale); the next import books it."
            )

        cases = [
            ("return products", order.refund),
            ("invoice", order.action_pos_order_invoice),
            ("payments", lambda: order.payment_ids[:1].write({"amount": 1.0})),
            ("payments", lambda: order.payment_ids[:1].unlink()),
            (
                "new payment",
                lambda: self.env["pos.payment"].create(
                    {
                        "pos_order_id": order.id,
                        "payment_method_id": order.payment_ids[:1].payment_method_id.id,
                        "amount": 1.0,
                    }
                ),
            ),
            (
                "new order line",
                lambda: order.write(
                    {
                        "lines": [
                            Command.create(
                                {
                                    "product_id": order.lines[:1].product_id.id,
                                    "qty": 1,
                                    "price_unit": 1.0,
                                    "price_subtotal": 1.0,
                                    "price_subtotal_incl": 1.0,
                                }
                            )
                        ]
                    }
                ),
            ),
            ("order lines", lambda: order.lines[:1].write({"qty": 99})),
            ("order lines", lambda: order.lines[:1].unlink()),
        ]
        for action, call in cases:
            with self.assertRaises(UserError, msg=action) as caught:
                call()
            self.assertEqual(caught.exception.args[0], refused(action))
        form = self.env["pos.order"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("lightspeed_backend_id", form)

    def test_corrections_still_come_from_lightspeed(self):
        """The import still books a void of an imported sale as a reversal order."""
        sale_id = self.simulator.admin("find_sales", kind="normal", limit=200)["sale_ids"][-1]
        original = self.orders_of(str(sale_id))
        self.assertEqual(len(original), 1)
        self.simulator.admin("void_sale", sale_id=sale_id, reason="Wrong customer")
        run = self.import_sales()
        self.assertEqual(run.failed_count, 0)
        reversal = self.orders_of(str(sale_id)).filtered(lambda o: o.lightspeed_kind == "void")
        self.assertEqual(len(reversal), 1)
        self.assertAlmostEqual(reversal.amount_total, -original.amount_total, places=2)
        self.assertEqual(reversal.lines.refunded_orderline_id, original.lines)

    def test_closed_sessions_deposit_their_cash(self):
        account = self.company.transfer_account_id
        self.assertEqual(self.backend.cash_transfer_account_id, account)
        sessions = self.env["pos.session"].search(
            [("lightspeed_shop_id.backend_id", "=", self.backend.id)], order="id"
        )
        closed = sessions.filtered(lambda s: s.state == "closed")
        self.assertTrue(closed)
        deposited = 0
        for session in sessions:
            self.assertEqual(session.cash_register_balance_start, 0.0, "each day starts empty")
        for session in closed:
            cash = sum(
                payment.amount
                for payment in session.order_ids.payment_ids
                if payment.payment_method_id.is_cash_count
            )
            deposits = session.statement_line_ids.filtered(
                lambda st: "Cash deposit" in (st.payment_ref or "")
            )
            if not round(cash, 2):
                self.assertFalse(deposits)
                continue
            deposited += 1
            self.assertEqual(len(deposits), 1, session.name)
            self.assertAlmostEqual(deposits.amount, -cash, places=2)
            self.assertEqual(deposits.date, session.lightspeed_business_date)
            self.assertEqual(
                deposits.payment_ref,
                f"{session.name} - Cash deposit of {session.lightspeed_business_date}",
            )
            counterpart = deposits.move_id.line_ids.filtered(lambda ln: ln.account_id == account)
            self.assertAlmostEqual(counterpart.balance, cash, places=2)
            self.assertEqual(session.cash_register_balance_end_real, 0.0)
        self.assertTrue(deposited, "the simulated shops take cash")
        for shop in self.shops:
            journal = shop.cash_payment_method_id.journal_id
            cash_lines = self.env["account.move.line"].search(
                [
                    ("journal_id", "=", journal.id),
                    ("account_id", "=", journal.default_account_id.id),
                    ("parent_state", "=", "posted"),
                ]
            )
            self.assertAlmostEqual(
                sum(cash_lines.mapped("balance")), 0.0, places=2, msg="the drawer is emptied"
            )

    def test_sessions_show_the_business_day(self):
        session = self.env["pos.session"].search(
            [("lightspeed_shop_id.backend_id", "=", self.backend.id), ("state", "=", "closed")],
            limit=1,
        )
        day = str(session.lightspeed_business_date)
        views = self.env["pos.session"].get_views([(False, "list"), (False, "form")])["views"]
        for view in ("list", "form"):
            self.assertIn('name="lightspeed_business_date"', views[view]["arch"])
        report = self.env["ir.actions.report"]
        data = {
            "date_start": False,
            "date_stop": False,
            "config_ids": session.config_id.ids,
            "session_ids": session.ids,
        }
        html, _format = report._render_qweb_html("point_of_sale.sale_details_report", [], data=data)
        self.assertIn(f"Business day: <span>{day}</span>", html.decode())


@tagged("post_install", "-at_install", "lightspeed_browser")
class TestImportedPosScreens(BrowserWaits, HttpCase):
    """The POS dashboard offers no selling screen for a Lightspeed shop, and the session list
    shows the business day (headless Chromium; skipped without it)."""

    @classmethod
    def setUpClass(cls):
        reason = browser_missing()
        if reason:
            raise unittest.SkipTest(f"browser test skipped: {reason}")
        super().setUpClass()
        backend = cls.env["lightspeed.backend"].create({"name": "Screens"})
        warehouse = cls.env["stock.warehouse"].create({"name": "WH Screens", "code": "LSSC"})
        cls.shop = cls.env["lightspeed.shop"].create(
            {
                "backend_id": backend.id,
                "lightspeed_id": "1",
                "name": "Screens shop",
                "timezone": "Europe/Amsterdam",
                "warehouse_id": warehouse.id,
            }
        )
        session = cls.env["pos.session"].create(
            {
                "config_id": cls.shop.pos_config_id.id,
                "lightspeed_shop_id": cls.shop.id,
                "lightspeed_business_date": "2026-11-30",
            }
        )
        session.set_opening_control(0, "")

    def test_dashboard_offers_imported_sessions_instead_of_selling(self):
        self.assertTrue(self.shop.pos_config_id.lightspeed_imported)
        self.open_and_wait(
            "/odoo/action-point_of_sale.action_pos_config_kanban",
            "button[name='action_lightspeed_sessions']",
        )

    def test_session_list_shows_the_business_day(self):
        self.open_and_wait(
            "/odoo/action-point_of_sale.action_pos_session",
            ".o_list_view td[name='lightspeed_business_date']",
            "11/30/2026",
        )
