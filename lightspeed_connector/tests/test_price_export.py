# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Price and cost export: one master per field, so a field is never both imported and
exported; Odoo's values reach Lightspeed's Default price and defaultCost, once."""

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .test_item_import import ItemImportCommon


@tagged("post_install", "-at_install")
class TestPriceExport(ItemImportCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.items = cls.lightspeed_items()
        cls.import_items()

    def setUp(self):
        super().setUp()
        self.simulator.admin("reset_item_writes")

    def writes(self):
        return self.simulator.admin("item_writes")["writes"]

    def export(self):
        return self.env["lightspeed.price.exporter"]._export(self.backend)

    def test_export_needs_odoo_as_master(self):
        with self.assertRaises(ValidationError) as caught:
            self.backend.export_prices = True
        self.assertEqual(
            str(caught.exception),
            "Backend Simulated account: the price export needs Odoo as the price master "
            "(otherwise the item import would overwrite what it exports).",
        )
        with self.assertRaises(ValidationError) as caught:
            self.backend.export_costs = True
        self.assertEqual(
            str(caught.exception),
            "Backend Simulated account: the cost export needs Odoo as the cost master "
            "(otherwise the item import would overwrite what it exports).",
        )

    def test_odoo_price_master_exports_and_is_not_imported_back(self):
        self.backend.write({"price_master": "odoo", "export_prices": True})
        run = self.export()
        self.assertEqual(run.state, "done", run.message)
        self.assertEqual(self.writes(), [], "equal prices: nothing to write")
        self.product("14").list_price = 99.5
        self.product("15").standard_price = 3.0  # cost stays Lightspeed's: not exported
        run = self.export()
        self.assertEqual(self.writes(), [{"itemID": "14", "price": "Default", "amount": "99.50"}])
        self.assertEqual(run.request_count, 1)
        self.simulator.admin("reset_item_writes")
        self.export()
        self.assertEqual(self.writes(), [], "a second export writes nothing")
        # the write moved the item's stamp: the next import reads it and changes nothing
        run = self.import_items()
        self.assertEqual((run.updated_count, run.failed_count), (0, 0), run.message)
        self.assertAlmostEqual(self.product("14").list_price, 99.5, 2)
        # a price changed in Lightspeed is not imported while Odoo is the master
        self.simulator.admin("edit_item", item_id="16", price="1.25", default_cost="0.5")
        self.addCleanup(
            self.simulator.admin,
            "edit_item",
            item_id="16",
            price=str(self.items["16"].default_price),
            default_cost=str(self.items["16"].default_cost),
        )
        self.import_items()
        self.assertAlmostEqual(
            self.product("16").list_price, float(self.items["16"].default_price), 2
        )
        self.assertAlmostEqual(self.product("16").standard_price, 0.5, 2, "cost: Lightspeed's")

    def test_odoo_cost_master_exports_costs(self):
        self.backend.write({"cost_master": "odoo", "export_costs": True})
        self.addCleanup(
            self.simulator.admin,
            "edit_item",
            item_id="20",
            default_cost=str(self.items["20"].default_cost),
        )
        self.product("20").standard_price = 12.0
        run = self.export()
        self.assertEqual(run.updated_count, 1, run.message)
        self.assertEqual(self.writes(), [{"itemID": "20", "defaultCost": "12"}])
        record = self.env["lightspeed.sync.record"].search(
            [("record_type", "=", "price"), ("lightspeed_id", "=", "20")]
        )
        self.assertEqual(record.state, "done")
