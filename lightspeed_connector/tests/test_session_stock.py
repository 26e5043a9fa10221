# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Stock at session closing: what a closed Lightspeed day moved out of (and back into) its
shop's warehouse, and that the batched picking (models/stock_picking.py) books exactly what
Odoo's own POS closing books, down to quants and valuation layers."""

from collections import defaultdict
from contextlib import closing

from odoo.tests import tagged

from ..models.stock_picking import SESSION_PICKING_CONTEXT
from .test_item_import import NOW, ItemImportCommon

STOCK_AT_START = 100.0


@tagged("post_install", "-at_install")
class TestSessionStock(ItemImportCommon):
    simulator_args = ("--seed", "11", "--sales", "150", "--days", "3", *NOW)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.import_items()
        bindings = cls.env["lightspeed.item"].search(
            [("backend_id", "=", cls.backend.id), ("product_id.is_storable", "=", True)],
            order="id",
        )
        # Half the storable products have stock in every shop's warehouse, so reservations
        # take real quants; the other half go negative, as a shop that never counted in Odoo.
        cls.stocked = bindings[::2].product_id
        cls.warehouses = cls.backend.shop_ids.warehouse_id
        Quant = cls.env["stock.quant"].with_context(inventory_mode=True)
        Quant.create(
            [
                {
                    "product_id": product.id,
                    "location_id": warehouse.lot_stock_id.id,
                    "inventory_quantity": STOCK_AT_START,
                }
                for product in cls.stocked
                for warehouse in cls.warehouses
            ]
        ).action_apply_inventory()
        cls.sales_run = cls.import_sales()
        cls.sessions = cls.env["pos.session"].search(
            [("lightspeed_shop_id.backend_id", "=", cls.backend.id)]
        )

    def closed_sessions(self):
        sessions = self.sessions.filtered(lambda s: s.state == "closed")
        self.assertGreaterEqual(len(sessions), 3, "the simulated days close their sessions")
        return sessions

    @staticmethod
    def sold(lines):
        """Net quantity per storable product the lines took out of the shop."""
        quantities = defaultdict(float)
        for line in lines.filtered(lambda line: line.product_id.is_storable and line.qty):
            quantities[line.product_id] += line.qty
        return {product: qty for product, qty in quantities.items() if qty}

    @staticmethod
    def moved(moves):
        quantities = defaultdict(float)
        for move in moves:
            out = move.location_dest_id.usage == "customer"
            quantities[move.product_id] += move.quantity if out else -move.quantity
        return {product: qty for product, qty in quantities.items() if qty}

    def test_closed_days_move_what_was_sold(self):
        self.assertEqual(self.sales_run.state, "done", self.sales_run.message)
        returned = False
        for session in self.closed_sessions():
            pickings = session.picking_ids
            self.assertEqual(set(pickings.mapped("state")), {"done"}, session.name)
            self.assertEqual(self.moved(pickings.move_ids), self.sold(session.order_ids.lines))
            for move in pickings.move_ids:
                self.assertEqual(move.state, "done")
                self.assertTrue(move.picked)
                self.assertEqual(move.quantity, move.product_uom_qty, move.product_id.name)
                self.assertEqual(sum(move.move_line_ids.mapped("quantity")), move.quantity)
                layer = move.stock_valuation_layer_ids
                self.assertEqual(len(layer), 1, move.product_id.name)
                sign = -1 if move.location_dest_id.usage == "customer" else 1
                self.assertAlmostEqual(layer.quantity, sign * move.quantity)
                self.assertAlmostEqual(layer.value, sign * move.quantity * layer.unit_cost)
            returned |= any(pickings.move_ids.mapped(lambda m: m.location_id.usage == "customer"))
        self.assertTrue(returned, "some closed day has returns (its return picking is checked)")

    def test_warehouse_quantities_are_the_start_minus_what_was_sold(self):
        self.closed_sessions()
        closed = self.sessions.filtered(lambda s: s.state == "closed")
        for warehouse in self.warehouses:
            shop_sessions = closed.filtered(lambda s, w=warehouse: s.config_id.warehouse_id == w)
            sold = self.sold(shop_sessions.order_ids.lines)
            quants = self.env["stock.quant"].search(
                [("location_id", "=", warehouse.lot_stock_id.id)]
            )
            self.assertFalse(any(quants.mapped("reserved_quantity")), "nothing stays reserved")
            on_hand = defaultdict(float)
            for quant in quants:
                on_hand[quant.product_id] += quant.quantity
            for product in sold:
                start = STOCK_AT_START if product in self.stocked else 0.0
                self.assertAlmostEqual(
                    on_hand[product], start - sold[product], msg=f"{warehouse.name} {product.name}"
                )

    def stock_signature(self, session, batched):
        """Close the session's stock again (Odoo's path or the batched one) in a savepoint
        rolled back afterwards; what it created, as comparable tuples."""
        with closing(self.env.cr.savepoint()):
            before = session.picking_ids
            session.with_context(
                **{SESSION_PICKING_CONTEXT: batched}
            )._create_picking_at_end_of_session()
            self.env.flush_all()
            pickings = session.picking_ids - before
            moves = pickings.move_ids
            products = moves.product_id
            quants = self.env["stock.quant"].search([("product_id", "in", products.ids)])
            signature = {
                "pickings": sorted(
                    (p.picking_type_id.id, p.location_id.id, p.location_dest_id.id, p.state)
                    for p in pickings
                ),
                "moves": sorted(
                    (
                        m.picking_type_id.id,
                        m.product_id.id,
                        m.name,
                        m.product_uom_qty,
                        m.quantity,
                        m.product_uom.id,
                        m.state,
                        m.picked,
                        m.location_id.id,
                        m.location_dest_id.id,
                        m.procure_method,
                    )
                    for m in moves
                ),
                "move_lines": sorted(
                    (
                        ml.product_id.id,
                        ml.quantity,
                        ml.product_uom_id.id,
                        ml.picked,
                        ml.state,
                        ml.location_id.id,
                        ml.location_dest_id.id,
                        ml.lot_id.id,
                        ml.package_id.id,
                        ml.result_package_id.id,
                        ml.owner_id.id,
                    )
                    for ml in moves.move_line_ids
                ),
                "valuation": sorted(
                    (svl.product_id.id, svl.quantity, svl.unit_cost, svl.value)
                    for svl in moves.stock_valuation_layer_ids
                ),
                "quants": sorted(
                    (q.product_id.id, q.location_id.id, q.quantity, q.reserved_quantity)
                    for q in quants
                ),
                # perpetual valuation: which account each line of the stock entries landed on
                "journal_items": sorted(
                    (aml.account_id.code, aml.product_id.id, aml.debit, aml.credit)
                    for aml in moves.account_move_ids.line_ids
                ),
            }
        self.env.invalidate_all()
        return signature

    def busiest_session(self):
        """The closed day with the most products, returns included."""
        session = max(
            self.closed_sessions(),
            key=lambda s: (
                any(line.qty < 0 for line in s.order_ids.lines),
                len(s.order_ids.lines.product_id),
            ),
        )
        self.assertTrue(any(line.qty < 0 for line in session.order_ids.lines))
        self.assertTrue(session.order_ids.lines.product_id & self.stocked)
        return session

    def test_batched_picking_equals_odoos_own(self):
        session = self.busiest_session()
        odoo = self.stock_signature(session, batched=False)
        batched = self.stock_signature(session, batched=True)
        self.assertGreater(len(odoo["moves"]), 5)
        self.assertEqual(len(odoo["pickings"]), 2, "sale and return")
        for part in odoo:
            self.assertEqual(batched[part], odoo[part], part)

    def test_batched_picking_posts_odoos_valuation_entries(self):
        """Under perpetual valuation both paths post the same stock entries, on the category's
        valuation and stock output accounts."""
        session = self.busiest_session()
        categories = session.order_ids.lines.product_id.categ_id
        categories.property_valuation = "real_time"
        category = categories[:1]
        accounts = (
            category.property_stock_valuation_account_id,
            category.property_stock_account_output_categ_id,
        )
        self.assertTrue(all(accounts), "the chart gives stock accounts")
        odoo = self.stock_signature(session, batched=False)
        batched = self.stock_signature(session, batched=True)
        self.assertTrue(odoo["journal_items"], "perpetual valuation posts entries")
        self.assertEqual(
            {row[0] for row in odoo["journal_items"]}, {account.code for account in accounts}
        )
        self.assertEqual(batched["journal_items"], odoo["journal_items"])
        self.assertEqual(batched["valuation"], odoo["valuation"])

    def test_packages_owners_and_lots_keep_odoos_path(self):
        Picking = self.env["stock.picking"]
        self.assertTrue(Picking._lightspeed_batchable())
        internal = self.env.ref("base.group_user")
        for feature in ("stock.group_tracking_lot", "stock.group_tracking_owner"):
            with closing(self.env.cr.savepoint()):
                internal.implied_ids |= self.env.ref(feature)
                self.assertFalse(Picking._lightspeed_batchable(), feature)
            self.env.invalidate_all()
        line = self.closed_sessions()[0].order_ids.lines.filtered("product_id.is_storable")[:1]
        self.assertTrue(Picking._lightspeed_batchable_line(line))
        with closing(self.env.cr.savepoint()):
            line.product_id.tracking = "lot"
            self.assertFalse(Picking._lightspeed_batchable_line(line))
        self.env.invalidate_all()
