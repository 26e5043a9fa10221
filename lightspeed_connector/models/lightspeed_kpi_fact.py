# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..mapping.sale import NOT_SALES_LINE_PREFIXES
from ..tools import to_local

_logger = logging.getLogger(__name__)

HOURS = [(f"{hour:02d}", f"{hour:02d}:00") for hour in range(24)]
WEEKDAYS = [
    ("0", "Monday"),
    ("1", "Tuesday"),
    ("2", "Wednesday"),
    ("3", "Thursday"),
    ("4", "Friday"),
    ("5", "Saturday"),
    ("6", "Sunday"),
]
# Orders counted in the figures (draft and cancelled ones are not sales).
COUNTED_STATES = ("paid", "done", "invoiced")
# Lightspeed kinds whose negative lines undo a sale instead of returning goods.
REVERSAL_KINDS = ("void", "correction")


class LightspeedKpiFact(models.Model):
    """One figure of one weekly balance field for one department, shop, register, local
    business day and hour. Rebuilt by ``_refresh`` from the imported POS orders."""

    _name = "lightspeed.kpi.fact"
    _description = "Lightspeed Hourly KPI Fact"
    _order = "date desc, hour, field_id, id"

    field_id = fields.Many2one(
        "lightspeed.kpi.field", required=True, ondelete="cascade", index=True
    )
    data_type = fields.Selection(related="field_id.data_type", store=True)
    department_id = fields.Many2one("hr.department", index=True, ondelete="cascade")
    shop_id = fields.Many2one("lightspeed.shop", required=True, index=True, ondelete="cascade")
    register_id = fields.Many2one("lightspeed.register", ondelete="set null")
    backend_id = fields.Many2one(related="shop_id.backend_id", store=True)
    company_id = fields.Many2one(related="shop_id.company_id", store=True, index=True)
    date = fields.Date(
        string="Business day", required=True, index=True, help="Shop-local business day."
    )
    hour = fields.Selection(
        HOURS,
        help="Local hour (shop time zone) of the orders; empty for fields kept per day.",
    )
    weekday = fields.Selection(WEEKDAYS, compute="_compute_calendar", store=True)
    iso_week = fields.Char(string="Week", compute="_compute_calendar", store=True)
    value = fields.Float(readonly=True)

    _sql_constraints = [
        (
            "fact_uniq",
            "unique nulls not distinct (field_id, department_id, shop_id, register_id, date, hour)",
            "This hourly figure already exists.",
        ),
    ]

    @api.depends("date")
    def _compute_calendar(self):
        for fact in self:
            iso = fact.date.isocalendar() if fact.date else None
            fact.weekday = str(fact.date.weekday()) if fact.date else False
            fact.iso_week = f"{iso[0]}-W{iso[1]:02d}" if iso else False

    # === MAPPERS (pure) === #

    @api.model
    def _prepare_order_figures(self, order):
        """POS figures of one paid order: data type -> value, plus ticket counters.

        Returns a dict with the keys of DATA_TYPES (visitors excepted) and ``tickets``
        (+1 sale, -1 void reversal, 0 correction) and ``refund_tickets`` (1 for a refund).
        Amounts follow the stored order lines, so they add up to the order totals.
        """
        figures = defaultdict(float)
        kind = order.lightspeed_kind or ("refund" if order.amount_total < 0 else "sale")
        reversal = kind in REVERSAL_KINDS
        for line in order.lines:
            if (line.lightspeed_line_id or "").startswith(NOT_SALES_LINE_PREFIXES):
                continue  # a tip or a deposit: collected, owed to staff or customer, not sold
            figures["gross_sales"] += line.price_subtotal_incl
            figures["net_sales"] += line.price_subtotal
            if line.qty < 0 and not reversal:
                figures["returns"] -= line.price_subtotal_incl
                figures["goods_returned"] -= line.qty
            else:
                figures["goods_sold"] += line.qty
                if line.discount:
                    figures["discounts"] += self._line_discount_amount(line)
        if kind == "refund":
            figures["refund_tickets"] += 1
        elif kind == "void":
            figures["tickets"] -= 1
        elif kind == "sale":
            figures["tickets"] += 1
        return figures

    @api.model
    def _line_discount_amount(self, line):
        """Tax-included amount the line's discount took off (signed like the quantity)."""
        currency = line.order_id.currency_id
        taxes = line.tax_ids
        if taxes:
            full = taxes.compute_all(line.price_unit, currency, line.qty, product=line.product_id)[
                "total_included"
            ]
        else:
            full = currency.round(line.price_unit * line.qty)
        return currency.round(full - line.price_subtotal_incl)

    @api.model
    def _field_value(self, field, figures):
        """Value of one balance field from aggregated figures."""
        if field.data_type == "transactions":
            refunds = figures.get("refund_tickets", 0.0)
            sign = {"ignore": 0, "count": 1, "subtract": -1}[field.refund_mode]
            return figures.get("tickets", 0.0) + sign * refunds
        return figures.get(field.data_type, 0.0)

    # === REFRESH HOOK === #

    @api.model
    def _refresh(self, shops, dates, overwrite_approved=False):
        """Rebuild the facts of ``shops`` for the business ``dates`` from their paid orders
        (and the visitors entered for them), then the weekly balance actuals.

        Called by the sales import for the days it touched. A department's day that is
        approved on its weekly balance is left as it is, unless ``overwrite_approved`` is set:
        then it is recomputed and the change is posted on the weekly balance chatter.

        :param shops: ``lightspeed.shop`` recordset
        :param dates: iterable of ``datetime.date`` (business days, shop-local)
        :param overwrite_approved: also recompute approved days (backfill wizard option)
        :return: set of (department id, date) pairs that were skipped because approved
        """
        dates = sorted(set(dates))
        shops = shops.exists()
        if not shops or not dates:
            return set()
        Balance = self.env["lightspeed.weekly.balance"]
        locked = Balance._approved_keys(dates)
        skip = set() if overwrite_approved else locked
        old_facts = self.search([("shop_id", "in", shops.ids), ("date", "in", dates)])
        buckets = self._collect_figures(shops, dates)
        candidates = {(key[0], key[3]) for key in buckets}
        candidates |= {(fact.department_id.id, fact.date) for fact in old_facts}
        candidates |= {(shop.department_id.id, day) for shop in shops for day in dates}
        skipped = candidates & skip
        touched = candidates - skip
        old_facts.filtered(lambda f: (f.department_id.id, f.date) not in skip).unlink()
        self.create(self._prepare_fact_vals_list(shops, buckets, skip))
        if skipped:
            _logger.info(
                "Lightspeed KPIs: %s approved department day(s) left unchanged", len(skipped)
            )
        Balance.sudo()._sync_actuals(
            {key for key in touched if key[0]}, overwritten=locked & touched
        )
        return skipped

    @api.model
    def _collect_figures(self, shops, dates):
        """Aggregate figures per (department, shop, register, date, hour)."""
        buckets = defaultdict(lambda: defaultdict(float))
        orders = self.env["pos.order"].search(
            [
                ("lightspeed_shop_id", "in", shops.ids),
                ("lightspeed_business_date", "in", dates),
                ("state", "in", COUNTED_STATES),
            ]
        )
        zones = {shop.id: shop.get_zoneinfo() for shop in shops}
        for order in orders:
            shop = order.lightspeed_shop_id
            hour = f"{to_local(order.date_order, zones[shop.id]).hour:02d}"
            key = (
                order.lightspeed_department_id.id,
                shop.id,
                order.lightspeed_register_id.id,
                order.lightspeed_business_date,
                hour,
            )
            for name, value in self._prepare_order_figures(order).items():
                buckets[key][name] += value
        visitors = self.env["lightspeed.kpi.visitor"].search(
            [("shop_id", "in", shops.ids), ("date", "in", dates)]
        )
        for row in visitors:
            key = (row.department_id.id, row.shop_id.id, False, row.date, row.hour)
            buckets[key]["visitors"] += row.visitors
        return buckets

    @api.model
    def _prepare_fact_vals_list(self, shops, buckets, skip):
        """Fact values from aggregated buckets: hourly rows for split fields, one row per day
        otherwise; zero figures are not stored."""
        fields_by_company = {}
        totals = defaultdict(float)
        for (department, shop_id, register, day, hour), figures in buckets.items():
            if (department, day) in skip:
                continue
            shop = shops.browse(shop_id)
            company = shop.company_id
            if company not in fields_by_company:
                fields_by_company[company] = self.env["lightspeed.kpi.field"].search(
                    [("company_id", "in", [False, company.id])]
                )
            for field in fields_by_company[company]:
                value = self._field_value(field, figures)
                bucket_hour = hour if field.split_hourly else False
                totals[(field.id, department, shop_id, register, day, bucket_hour)] += value
        return [
            {
                "field_id": field_id,
                "department_id": department or False,
                "shop_id": shop_id,
                "register_id": register or False,
                "date": day,
                "hour": hour,
                "value": value,
            }
            for (field_id, department, shop_id, register, day, hour), value in totals.items()
            if value
        ]

    # === DRILL-DOWN === #

    def _get_orders(self):
        """The paid POS orders behind these facts."""
        orders = self.env["pos.order"]
        for fact in self:
            if fact.data_type == "visitors":
                continue
            domain = [
                ("lightspeed_shop_id", "=", fact.shop_id.id),
                ("lightspeed_department_id", "=", fact.department_id.id),
                ("lightspeed_business_date", "=", fact.date),
                ("state", "in", COUNTED_STATES),
            ]
            if fact.register_id:
                domain.append(("lightspeed_register_id", "=", fact.register_id.id))
            candidates = self.env["pos.order"].search(domain)
            if fact.hour:
                zone = fact.shop_id.get_zoneinfo()
                candidates = candidates.filtered(
                    lambda o, z=zone, h=fact.hour: f"{to_local(o.date_order, z).hour:02d}" == h
                )
            orders |= candidates
        return orders

    def action_open_orders(self):
        orders = self._get_orders()
        if not orders and all(fact.data_type == "visitors" for fact in self):
            raise UserError(_("Visitors are entered by hand; no POS orders are behind them."))
        return self.env["lightspeed.weekly.balance"]._orders_action(orders)
