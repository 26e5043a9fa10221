# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Stock export: Odoo's free quantities reach Lightspeed's ItemShop counts of exporting shops,
change-driven; the full push previews then converges; Lightspeed's refusals are visible sync
records; importing Lightspeed's counts sets Odoo's quantities.

Shops 1 (Hudson Street) and 2 (Amsterdam) export, shop 3 (Gastown) does not. Writes are
checked on the simulator's side (its ``item_writes`` and ``item_stock`` hooks).
"""

from odoo.exceptions import UserError
from odoo.tests import tagged

from .. import const
from .test_item_import import ItemImportCommon


@tagged("post_install", "-at_install")
class TestStockExport(ItemImportCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.import_items()
        cls.shops = {s.lightspeed_id: s for s in cls.backend.shop_ids}
        cls.shops["1"].export_stock = True
        cls.shops["2"].export_stock = True

    def setUp(self):
        super().setUp()
        self.simulator.admin("reset_item_writes")

    def writes(self):
        return self.simulator.admin("item_writes")["writes"]

    def export(self):
        return self.env["lightspeed.stock.exporter"]._export(self.backend)

    def set_quantity(self, item_id, shop_id, quantity):
        """An inventory adjustment in the shop's warehouse."""
        location = self.shops[shop_id].warehouse_id.lot_stock_id
        quant = (
            self.env["stock.quant"]
            .with_context(inventory_mode=True)
            .create(
                {
                    "product_id": self.product(item_id).id,
                    "location_id": location.id,
                    "inventory_quantity": quantity,
                }
            )
        )
        quant.action_apply_inventory()

    def stock_records(self, state=None):
        domain = [("backend_id", "=", self.backend.id), ("record_type", "=", "stock")]
        if state:
            domain.append(("state", "=", state))
        return self.env["lightspeed.sync.record"].search(domain)

    def test_export_needs_the_inventory_write_scope(self):
        self.backend.scope = const.DEFAULT_SCOPE
        with self.assertRaises(UserError) as caught:
            self.export()
        self.assertEqual(
            str(caught.exception),
            "Backend Simulated account may only read items: add employee:inventory to its "
            "scopes (Technical tab) and connect again, then export.",
        )

    def test_switching_on_writes_nothing(self):
        self.assertFalse(self.shops["3"].export_stock, "off by default")
        self.assertTrue(self.shops["1"].stock_export_cursor)
        run = self.export()
        self.assertEqual(run.state, "done", run.message)
        self.assertEqual(self.writes(), [])
        self.assertEqual(run.request_count, 0, "products without a move cost nothing")

    def test_export_writes_the_moved_free_quantities_of_exporting_shops(self):
        self.set_quantity("3", "1", 7)
        self.set_quantity("4", "1", 11)
        self.set_quantity("4", "2", 2)
        self.set_quantity("5", "3", 9)  # shop 3 does not export
        run = self.export()
        self.assertEqual(run.state, "done", run.message)
        self.assertEqual(
            self.writes(),
            [
                {"itemID": "3", "itemShopID": "31", "shopID": "1", "qoh": 7},
                {"itemID": "4", "itemShopID": "41", "shopID": "1", "qoh": 11},
                {"itemID": "4", "itemShopID": "42", "shopID": "2", "qoh": 2},
            ],
        )
        self.assertEqual(run.request_count, 3)
        self.assertEqual(
            self.simulator.admin("item_stock", item_ids=["3", "4"], shop_id="1"),
            {"stock": {"3": 7, "4": 11}},
        )
        self.assertEqual(
            sorted(self.stock_records("done").mapped("lightspeed_id")), ["3/1", "4/1", "4/2"]
        )
        self.simulator.admin("reset_item_writes")
        second = self.export()
        self.assertEqual(self.writes(), [], "a second export writes nothing")
        self.assertEqual(second.request_count, 0)

    def test_free_quantity_leaves_reserved_stock_out(self):
        self.set_quantity("6", "1", 10)
        warehouse = self.shops["1"].warehouse_id
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": warehouse.out_type_id.id,
                "location_id": warehouse.lot_stock_id.id,
                "location_dest_id": self.env.ref("stock.stock_location_customers").id,
                "move_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "reserve",
                            "product_id": self.product("6").id,
                            "product_uom_qty": 4,
                            "location_id": warehouse.lot_stock_id.id,
                            "location_dest_id": self.env.ref("stock.stock_location_customers").id,
                        },
                    )
                ],
            }
        )
        picking.action_confirm()
        picking.action_assign()
        self.export()
        self.assertEqual(
            self.writes(), [{"itemID": "6", "itemShopID": "61", "shopID": "1", "qoh": 6}]
        )

    def test_refused_count_is_a_visible_error_record_then_retried(self):
        binding = self.binding("8")
        binding.item_shop_ids = dict(binding.item_shop_ids, **{"1": "91"})  # item 9's row
        self.set_quantity("8", "1", 5)
        run = self.export()
        self.assertEqual(run.failed_count, 1)
        record = self.stock_records("error")
        self.assertEqual(record.lightspeed_id, "8/1")
        self.assertEqual(record.shop_id, self.shops["1"])
        self.assertEqual(
            record.error_message,
            "Lightspeed refused the count 5 of item 8 in shop Hudson Street Cycles: ItemShop "
            "'91' does not belong to Item 8.",
        )
        self.assertEqual(self.writes(), [])
        binding.item_shop_ids = dict(binding.item_shop_ids, **{"1": "81"})
        run = self.export()
        self.assertEqual(run.failed_count, 0, run.message)
        self.assertEqual(record.state, "done")
        self.assertEqual(
            self.writes(), [{"itemID": "8", "itemShopID": "81", "shopID": "1", "qoh": 5}]
        )

    def test_full_push_previews_then_converges(self):
        counts = self.simulator.admin("item_stock", shop_id="2")["stock"]
        self.set_quantity("10", "2", counts["10"])  # already equal: not listed
        self.set_quantity("11", "2", counts["11"] + 3)
        wizard = self.env["lightspeed.stock.wizard"].create(
            {"backend_id": self.backend.id, "shop_id": self.shops["2"].id}
        )
        wizard.action_preview()
        storable = {
            b.lightspeed_id
            for b in self.env["lightspeed.item"].search([])
            if b.product_id.is_storable
        }
        odoo = {"10": counts["10"], "11": counts["11"] + 3}
        expected = sorted(
            (item_id, qoh, odoo.get(item_id, 0))
            for item_id, qoh in counts.items()
            if item_id in storable and qoh != odoo.get(item_id, 0)
        )
        self.assertGreater(len(expected), 20)
        self.assertEqual(
            sorted(
                (line.item_id.lightspeed_id, line.lightspeed_qty, line.odoo_qty)
                for line in wizard.line_ids
            ),
            expected,
        )
        self.assertEqual(self.writes(), [], "the preview writes nothing")
        wizard.action_push()
        after = self.simulator.admin("item_stock", shop_id="2")["stock"]
        for item_id, _qoh, odoo_qty in expected:
            self.assertEqual(after[item_id], odoo_qty, item_id)
        self.assertEqual(len(self.writes()), len(expected))
        again = self.env["lightspeed.stock.wizard"].create(
            {"backend_id": self.backend.id, "shop_id": self.shops["2"].id}
        )
        again.action_preview()
        self.assertFalse(again.line_ids, "converged")

    def test_import_lightspeed_stock_sets_odoo_quantities(self):
        counts = self.simulator.admin("item_stock", shop_id="3")["stock"]
        wizard = self.env["lightspeed.stock.wizard"].create(
            {"backend_id": self.backend.id, "shop_id": self.shops["3"].id}
        )
        wizard.action_import_stock()
        warehouse = self.shops["3"].warehouse_id
        for item_id in ("1", "2", "3", "61"):
            product = self.product(item_id).with_context(warehouse_id=warehouse.id)
            self.assertEqual(product.qty_available, counts[item_id], item_id)
        self.assertEqual(self.writes(), [])
