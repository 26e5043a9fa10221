# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Catalogue: Lightspeed items become Odoo products (references, barcodes, prices, costs,
categories, types, archived state, matrix variants), a second run changes nothing, and the
sales import books on the same products, whichever met the item first.

The simulator's catalogue (lightspeed_simulator/data.py, items.py): items 1-60 (50-54 labour
and 60 a gift card: non-inventory; 55-59 archived; UPC on even ids, EAN on multiples of 3),
matrix 1 "Club jersey" (items 61-64, Color x Size) and matrix 2 "Trail helmet" (65-66, Size).
"""

from decimal import Decimal

from odoo.tests import tagged

from .. import const
from .test_sale_import import SaleImportCommon

NOW = ("--now", "2026-03-31T12:00:00Z")


class ItemImportCommon(SaleImportCommon):
    simulator_args = ("--seed", "11", "--sales", "60", "--days", "3", *NOW)

    @classmethod
    def _backend_vals(cls, **overrides):
        # the exports write items: the inventory write scope on top of the default ones
        vals = super()._backend_vals(**overrides)
        vals.setdefault("scope", f"{const.DEFAULT_SCOPE} employee:inventory")
        return vals

    @classmethod
    def lightspeed_items(cls):
        """The catalogue as Lightspeed holds it, read independently of the importer."""
        client = cls.backend._get_client()
        return {i.item_id: i for i in client.iter_items(relations=["Category"])}

    @classmethod
    def import_sales(cls):
        """Every sale of the simulated days (the simulator's clock is pinned)."""
        return cls.env["lightspeed.sale.importer"]._run(
            cls.backend, date_from="2026-03-27", date_to="2026-03-31"
        )

    @classmethod
    def import_items(cls):
        return cls.env["lightspeed.item.importer"]._run(cls.backend)

    def binding(self, item_id):
        return self.env["lightspeed.item"].search(
            [("backend_id", "=", self.backend.id), ("lightspeed_id", "=", str(item_id))]
        )

    def product(self, item_id):
        return self.binding(item_id).product_id.with_context(active_test=False)

    def item_records(self, state=None):
        domain = [("backend_id", "=", self.backend.id), ("record_type", "=", "item")]
        if state:
            domain.append(("state", "=", state))
        return self.env["lightspeed.sync.record"].search(domain)


@tagged("post_install", "-at_install")
class TestItemImport(ItemImportCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.items = cls.lightspeed_items()
        cls.first_run = cls.import_items()
        cls.products_after_first = cls.env["product.product"].with_context(active_test=False)
        cls.products_after_first = cls.products_after_first.search([]).ids
        cls.write_dates = {
            b.lightspeed_id: b.product_id.write_date
            for b in cls.env["lightspeed.item"].search([("backend_id", "=", cls.backend.id)])
        }
        cls.second_run = cls.import_items()

    def test_first_run_binds_every_item(self):
        run = self.first_run
        self.assertEqual(run.state, "done", run.message)
        self.assertEqual(run.fetched_count, 66)
        self.assertEqual(run.created_count, 66)
        self.assertEqual(run.failed_count, 0)
        self.assertEqual(len(self.item_records("done")), 66)
        self.assertEqual(
            sorted(self.env["lightspeed.item"].search([]).mapped("lightspeed_id"), key=int),
            [str(n) for n in range(1, 67)],
        )
        # archived items are read on the first run (archived=true)
        self.assertTrue(self.binding("57"))

    def test_references_barcodes_prices_costs(self):
        for item_id, item in self.items.items():
            product = self.product(item_id)
            self.assertEqual(product.default_code, item.custom_sku or item.system_sku, item_id)
            self.assertEqual(product.barcode or "", item.upc or item.ean, item_id)
            self.assertAlmostEqual(product.standard_price, float(item.default_cost), 2)
            if not item.item_matrix_id:
                self.assertAlmostEqual(product.list_price, float(item.default_price), 2)
        # hand-checked rows of the generated catalogue
        self.assertEqual(self.product("6").barcode, "000000000006")  # UPC wins over EAN
        self.assertEqual(self.product("3").barcode, "8710000000003")  # EAN only
        self.assertFalse(self.product("1").barcode)
        self.assertEqual(self.product("7").default_code, "SKU-0007")
        self.assertEqual(self.items["62"].default_price, Decimal("45"))
        self.assertAlmostEqual(self.product("62").lst_price, 45.0, 2)
        self.assertAlmostEqual(self.product("62").standard_price, 20.25, 2)

    def test_categories_types_archived(self):
        gloves = self.product("10")
        self.assertEqual(gloves.categ_id.complete_name, "Lightspeed / Apparel / Gloves")
        self.assertEqual(gloves.pos_categ_ids.mapped("name"), ["Gloves"])
        self.assertEqual(gloves.pos_categ_ids.parent_id.name, "Apparel")
        self.assertEqual(gloves.pos_categ_ids.parent_id.parent_id.name, "Lightspeed")
        self.assertEqual(self.product("60").categ_id.complete_name, "Lightspeed")
        for item_id in ("50", "54", "60"):
            self.assertEqual(self.product(item_id).type, "service", item_id)
            self.assertFalse(self.product(item_id).is_storable, item_id)
        self.assertEqual(self.product("3").type, "consu")
        self.assertTrue(self.product("3").is_storable)
        self.assertTrue(self.product("3").available_in_pos)
        for item_id in ("55", "59"):
            self.assertFalse(self.product(item_id).active, item_id)
            self.assertFalse(self.product(item_id).product_tmpl_id.active, item_id)
        self.assertTrue(self.product("54").active)

    def test_taxes_from_the_tax_mapping(self):
        shop = self.backend.shop_ids.sorted("id").filtered("import_enabled")[:1]
        mapped = self.env["lightspeed.tax"].search(
            [
                ("backend_id", "=", self.backend.id),
                ("lightspeed_id", "=", f"{shop.tax_category_lightspeed_id}/tax1"),
            ]
        )
        self.assertTrue(mapped.tax_id)
        self.assertEqual(self.product("3").taxes_id, mapped.tax_id)
        self.assertFalse(self.product("60").taxes_id, "the gift card is sold without tax")

    def test_matrix_items_are_variants_of_one_template(self):
        jersey = self.product("61").product_tmpl_id
        self.assertEqual(jersey.name, "Club jersey")
        self.assertEqual(jersey.lightspeed_matrix_lightspeed_id, "1")
        self.assertEqual(
            sorted(jersey.product_variant_ids.ids),
            sorted(self.product(i).id for i in ("61", "62", "63", "64")),
        )
        combos = {
            self.binding(i).lightspeed_id: sorted(
                self.product(i).product_template_attribute_value_ids.mapped(
                    lambda v: f"{v.attribute_id.name}: {v.name}"
                )
            )
            for i in ("61", "62", "63", "64")
        }
        self.assertEqual(
            combos,
            {
                "61": ["Color: Red", "Size: S"],
                "62": ["Color: Red", "Size: M"],
                "63": ["Color: Blue", "Size: S"],
                "64": ["Color: Blue", "Size: M"],
            },
        )
        self.assertEqual(self.product("63").default_code, "JER-BLUE-S")
        helmet = self.product("65").product_tmpl_id
        self.assertEqual(helmet.name, "Trail helmet")
        self.assertEqual(helmet.product_variant_count, 2)
        self.assertEqual(self.product("66").product_tmpl_id, helmet)

    def test_second_run_changes_nothing(self):
        run = self.second_run
        self.assertEqual(run.state, "done", run.message)
        self.assertEqual(
            (run.created_count, run.updated_count, run.failed_count), (0, 0, 0), run.message
        )
        products = self.env["product.product"].with_context(active_test=False).search([])
        self.assertEqual(products.ids, self.products_after_first)
        for binding in self.env["lightspeed.item"].search([("backend_id", "=", self.backend.id)]):
            self.assertEqual(binding.product_id.write_date, self.write_dates[binding.lightspeed_id])

    def test_sales_import_reuses_the_products(self):
        before = self.env["product.product"].with_context(active_test=False).search_count([])
        run = self.import_sales()
        self.assertEqual(run.state, "done", run.message)
        self.assertGreater(run.created_count, 10)
        after = self.env["product.product"].with_context(active_test=False).search_count([])
        self.assertEqual(after, before, "no product is created for items already imported")
        lines = self.env["pos.order.line"].search(
            [("order_id.lightspeed_backend_id", "=", self.backend.id)]
        )
        bound = self.env["lightspeed.item"].search([]).product_id
        own = self.env.ref("lightspeed_connector.product_lightspeed_misc") | self.env.ref(
            "lightspeed_connector.product_lightspeed_rounding"
        )
        self.assertFalse(lines.product_id - bound - own, "every item line books a bound product")

    def test_changed_item_is_updated(self):
        # put back afterwards: the payload then has its first fingerprint again (the database
        # is rolled back after each test, the simulator is not)
        item = self.items["7"]
        self.addCleanup(
            self.simulator.admin,
            "edit_item",
            item_id="7",
            price=str(item.default_price),
            category_id=item.category_id,
        )
        self.simulator.admin("edit_item", item_id="7", price="77.5", category_id="1")
        run = self.import_items()
        self.assertEqual((run.created_count, run.updated_count), (0, 1), run.message)
        self.assertAlmostEqual(self.product("7").list_price, 77.5, 2)
        self.assertEqual(self.product("7").categ_id.complete_name, "Lightspeed / Bikes")

    def test_barcode_used_by_another_product_is_an_error_record(self):
        self.addCleanup(self.simulator.admin, "edit_item", item_id="12", upc="000000000012")
        self.simulator.admin("collide_barcode", item_id="12", with_item_id="4")
        run = self.import_items()
        self.assertEqual(run.state, "done")
        self.assertEqual(run.failed_count, 1)
        record = self.item_records("error")
        self.assertEqual(record.lightspeed_id, "12")
        self.assertEqual(
            record.error_message,
            f"Item 12 has barcode 000000000004, which product "
            f"{self.product('4').display_name} (Lightspeed item 4) already uses. Barcodes are "
            "unique in Odoo: correct the barcode in Lightspeed (or on the other product), then "
            "retry.",
        )
        self.assertEqual(self.product("12").barcode, "000000000012")
        # corrected in Lightspeed: the next run converges
        self.simulator.admin("edit_item", item_id="12", upc="000000000112")
        run = self.import_items()
        self.assertEqual(run.failed_count, 0, run.message)
        self.assertEqual(record.state, "done")
        self.assertEqual(self.product("12").barcode, "000000000112")


@tagged("post_install", "-at_install")
class TestItemsMetFirstInSales(ItemImportCommon):
    """The sales import meets the items first (creating their products in one batch); the
    item import then completes those products instead of creating others."""

    def test_one_product_per_item(self):
        run = self.import_sales()
        self.assertEqual(run.state, "done", run.message)
        Binding = self.env["lightspeed.item"]
        by_sales = {b.lightspeed_id: b.product_id for b in Binding.search([])}
        self.assertGreater(len(by_sales), 20)
        run = self.import_items()
        self.assertEqual(run.state, "done", run.message)
        self.assertEqual(run.created_count, 66 - len(by_sales))
        bindings = Binding.search([])
        self.assertEqual(len(bindings), 66)
        self.assertEqual(len(bindings.product_id), 66, "one product per item")
        for item_id, product in by_sales.items():
            binding = bindings.filtered(lambda b, i=item_id: b.lightspeed_id == i)
            self.assertEqual(binding.product_id, product, item_id)
            self.assertTrue(product.categ_id.complete_name.startswith("Lightspeed"), item_id)
