# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A new administrator's first hour, in headless Chromium: the web tour
``lightspeed_connector_admin_tour`` (static/tests/tours/lightspeed_connector_admin_tour.js).

Settings show the OAuth redirect URI; the administrator creates a backend, connects it (the
browser really goes to the simulator's authorize page, which approves and sends it back to
Odoo's callback), maps a shop to a warehouse (its point of sale follows), maps a payment type
by hand and creates the other payment methods, imports everything, opens a sync record and
reads its payload, and opens Sales Analysis by business day. The test then checks what the
clicks left in the database against the simulator's own figures.

Select it alone with ``--test-tags /lightspeed_connector:TestAdminTour`` or
``--test-tags lightspeed_browser``.
"""

import json
import unittest
from datetime import datetime, time, timedelta, timezone

from odoo.tests import HttpCase, tagged

from .. import const
from .common import CLIENT_ID, CLIENT_SECRET, LightspeedSimulator
from .test_browser_smoke import browser_missing

TOUR = "lightspeed_connector_admin_tour"
# The shop the administrator maps (``--shops 1``: the account has only this one).
SHOP_NAME = "Hudson Street Cycles"
WAREHOUSE_NAME = "Hudson Street Store"
DEPARTMENT_NAME = "Hudson Street staff"
CARD_METHOD_NAME = "Card terminal"
# Sale kinds that become orders on a first import (open, archived and voided sales do not).
IMPORTED_KINDS = ("normal", "refund", "exchange", "modified", "deposit")


def simulator_now():
    """Yesterday 23:00 UTC: the simulated sales (two days up to then) are always inside the
    first import's window (three days back from now, the default, which the tour keeps),
    whatever the time of day the test runs at."""
    today = datetime.now(timezone.utc).date()
    return datetime.combine(today, time(0, 0)) - timedelta(hours=1)


@tagged("post_install", "-at_install", "lightspeed_browser")
class TestAdminTour(HttpCase):
    @classmethod
    def setUpClass(cls):
        reason = browser_missing()
        if reason:
            raise unittest.SkipTest(f"admin tour skipped: {reason}")
        super().setUpClass()
        cls.redirect_uri = cls.base_url() + const.CALLBACK_PATH
        # The simulator sends the browser back to this Odoo, as Lightspeed does to the
        # redirect URI registered with the API client.
        cls.simulator = LightspeedSimulator(
            "--seed", "21", "--sales", "40", "--days", "1", "--shops", "1",
            "--now", simulator_now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "--redirect-uri", cls.redirect_uri,
        )  # fmt: skip
        cls.addClassCleanup(cls.simulator.stop)
        # Lightspeed "is" the simulator here: new backends point at it, as they point at
        # Lightspeed's cloud in production (the administrator does not type these URLs).
        defaults = cls.env["ir.default"]
        defaults.set("lightspeed.backend", "api_url", cls.simulator.url)
        defaults.set("lightspeed.backend", "auth_url", cls.simulator.url)
        # What the company has before the connector: a warehouse for the shop and a card
        # terminal payment method.
        cls.warehouse = cls.env["stock.warehouse"].create({"name": WAREHOUSE_NAME, "code": "HUDS"})
        cls.department = cls.env["hr.department"].create({"name": DEPARTMENT_NAME})
        bank = cls.env["account.journal"].create(
            {"name": "Card settlements", "type": "bank", "code": "CRDT"}
        )
        cls.card_method = cls.env["pos.payment.method"].create(
            {"name": CARD_METHOD_NAME, "journal_id": bank.id}
        )

    def expected_order_count(self):
        """Orders a first import creates, from the simulator's own records."""
        return sum(
            len(self.simulator.admin("find_sales", kind=kind, limit=100000)["sale_ids"])
            for kind in IMPORTED_KINDS
        )

    def test_admin_tour(self):
        expected_orders = self.expected_order_count()
        self.assertGreater(expected_orders, 20)
        params = {
            "redirectUri": self.redirect_uri,
            "clientId": CLIENT_ID,
            "clientSecret": CLIENT_SECRET,
            "shopName": SHOP_NAME,
            "warehouseName": WAREHOUSE_NAME,
            "departmentName": DEPARTMENT_NAME,
            "cardMethodName": CARD_METHOD_NAME,
            "expectedOrders": expected_orders,
        }
        options = {"stepDelay": 0, "keepWatchBrowser": False, "debug": False, "startUrl": "/odoo"}
        # The tour reads its parameters from localStorage: it outlives the page loads of the
        # OAuth round trip, and every page of the tour can read it.
        code = (
            f"localStorage.setItem('lightspeed_connector_tour', {json.dumps(json.dumps(params))});"
            f" odoo.startTour({TOUR!r}, {json.dumps(options)});"
        )
        self.start_tour("/odoo", TOUR, login="admin", code=code, timeout=300)

        backend = self.env["lightspeed.backend"].search([("name", "=", "Hudson Street account")])
        self.assertEqual(len(backend), 1, "the tour created one backend")
        self.assertEqual(backend.state, "connected")
        self.assertEqual(backend.account_id, self.simulator.admin("state")["account_id"])
        self.assertEqual(backend.api_url, self.simulator.url)
        shop = backend.shop_ids
        self.assertEqual(shop.mapped("name"), [SHOP_NAME])
        self.assertEqual(shop.warehouse_id, self.warehouse)
        self.assertEqual(shop.pos_config_id.name, f"Lightspeed {SHOP_NAME}")
        self.assertEqual(shop.department_id, self.department)
        self.assertTrue(shop.import_enabled)
        self.assertTrue(backend.create_missing_employees)
        types = {t.name: t for t in backend.payment_type_ids}
        self.assertEqual(types["Visa"].payment_method_id, self.card_method)
        self.assertEqual(types["Mastercard"].payment_method_id.name, "Mastercard")
        self.assertFalse(
            backend.payment_type_ids.filtered(lambda t: not t.is_cash and not t.payment_method_id),
            "every non-cash payment type is mapped",
        )
        orders = self.env["pos.order"].search([("lightspeed_backend_id", "=", backend.id)])
        self.assertEqual(len(orders), expected_orders)
        self.assertEqual(orders.lightspeed_shop_id, shop)
        errors = self.env["lightspeed.sync.record"].search(
            [("backend_id", "=", backend.id), ("state", "=", "error")]
        )
        self.assertFalse(errors, errors.mapped("error_message"))
        self.assertTrue(
            self.env["hr.attendance"].search_count([("lightspeed_backend_id", "=", backend.id)]),
            "clock-ins were imported for the shop's staff",
        )
