# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Daily parity: Lightspeed's figures of a shop and business day against Odoo's orders.

Lightspeed's side comes from the payloads the sales import staged (days inside the correction
window, which every run re-reads) or from a fresh read (older days); Odoo's side from the
imported orders of that shop and business day. Nothing here commits: the cron, the button or
the XML-RPC call that runs the check owns its transaction.
"""

from collections import defaultdict
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..api import PayloadError, Sale
from ..mapping.sale import expected_total
from ..tools import business_date, business_day_bounds, to_aware_utc

CASH = "cash"


def _new_side():
    return {"count": 0, "total": 0.0, "tax": 0.0, "payments": defaultdict(float)}


class LightspeedParity(models.Model):
    _name = "lightspeed.parity"
    _description = "Lightspeed Daily Parity"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "business_date desc, shop_id"
    _rec_name = "display_label"

    backend_id = fields.Many2one(
        "lightspeed.backend", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    shop_id = fields.Many2one(
        "lightspeed.shop", required=True, ondelete="cascade", index=True, readonly=True
    )
    business_date = fields.Date(string="Business day", required=True, index=True, readonly=True)
    display_label = fields.Char(compute="_compute_display_label")
    source = fields.Selection(
        [("staged", "Staged by the last import"), ("fresh", "Fresh read")],
        string="Lightspeed figures",
        readonly=True,
        help="Staged: the payloads the correction-window re-read of the sales import stored. "
        "Fresh read: the sales of that day asked from Lightspeed during the check.",
    )
    lightspeed_count = fields.Integer(string="Sales (Lightspeed)", readonly=True)
    odoo_count = fields.Integer(string="Sales (Odoo)", readonly=True)
    count_difference = fields.Integer(string="Sales difference", readonly=True)
    lightspeed_total = fields.Monetary(string="Total (Lightspeed)", readonly=True)
    odoo_total = fields.Monetary(string="Total (Odoo)", readonly=True)
    total_difference = fields.Monetary(
        string="Total difference", readonly=True, help="Odoo minus Lightspeed."
    )
    lightspeed_tax = fields.Monetary(string="Tax (Lightspeed)", readonly=True)
    odoo_tax = fields.Monetary(string="Tax (Odoo)", readonly=True)
    tax_difference = fields.Monetary(readonly=True)
    lightspeed_payments = fields.Json(readonly=True)
    odoo_payments = fields.Json(readonly=True)
    payment_summary = fields.Text(
        string="Payments", readonly=True, help="Per payment method: Lightspeed / Odoo."
    )
    state = fields.Selection(
        [("ok", "Matches"), ("mismatch", "Differs")],
        required=True,
        default="ok",
        readonly=True,
        index=True,
    )
    mismatch_reason = fields.Text(readonly=True)
    checked_at = fields.Datetime(readonly=True)

    _sql_constraints = [
        (
            "shop_day_uniq",
            "unique(shop_id, business_date)",
            "There is already a parity line for this shop and business day.",
        ),
    ]

    @api.depends("shop_id", "business_date")
    def _compute_display_label(self):
        for rec in self:
            day = fields.Date.to_string(rec.business_date) if rec.business_date else ""
            rec.display_label = f"{rec.shop_id.name or ''} {day}".strip()

    # === CHECK === #

    @api.model
    def _check(self, backend, shops, days_by_shop, client=None):
        """Compare every (shop, day) of ``days_by_shop`` ({shop: {date}}); returns the parity
        records written. Days starting inside the correction window are read from the staged
        payloads, older ones freshly from Lightspeed (one read for all of them)."""
        backend.ensure_one()
        now = fields.Datetime.now()
        window_start = now - timedelta(days=max(backend.correction_window_days, 0))
        cutoff = backend.day_cutoff_hour
        bounds, staged, fresh = {}, [], []
        for shop in shops:
            tz = shop.get_zoneinfo()
            for day in sorted(days_by_shop.get(shop, ())):
                start, end = business_day_bounds(day, tz, cutoff)
                bounds[(shop.id, day)] = (start, end)
                inside = backend.correction_window_days > 0 and start >= window_start
                (staged if inside else fresh).append((shop, day))
        if not bounds:
            return self.browse()
        lightspeed = defaultdict(_new_side)
        ptypes = {
            p.lightspeed_id: p for p in backend.with_context(active_test=False).payment_type_ids
        }
        for shop, sale in self._staged_sales(backend, staged, bounds):
            self._add_sale(lightspeed, shop, sale, ptypes, cutoff)
        if fresh:
            for shop, sale in self._fresh_sales(backend, fresh, bounds, client):
                self._add_sale(lightspeed, shop, sale, ptypes, cutoff)
        odoo = self._odoo_figures(backend, bounds)
        sources = dict.fromkeys(((s.id, d) for s, d in staged), "staged")
        sources.update(dict.fromkeys(((s.id, d) for s, d in fresh), "fresh"))
        return self._write_results(backend, bounds, lightspeed, odoo, sources, now)

    def _staged_sales(self, backend, keys, bounds):
        Record = self.env["lightspeed.sync.record"].sudo()
        for shop, day in keys:
            start, end = bounds[(shop.id, day)]
            records = Record.search(
                [
                    ("backend_id", "=", backend.id),
                    ("record_type", "=", "sale"),
                    ("shop_id", "=", shop.id),
                    ("remote_date", ">=", start),
                    ("remote_date", "<", end),
                    ("remote_deleted", "=", False),
                ]
            )
            for record in records:
                try:
                    yield shop, Sale.from_payload(record.payload or {})
                except PayloadError:
                    continue

    def _fresh_sales(self, backend, keys, bounds, client):
        shops = {shop.lightspeed_id: shop for shop, _day in keys}
        start = min(bounds[(shop.id, day)][0] for shop, day in keys)
        end = max(bounds[(shop.id, day)][1] for shop, day in keys)
        client = client or backend._get_client()
        with backend._lightspeed_errors():
            for sale in client.iter_sales(
                completed_from=to_aware_utc(start),
                completed_to=to_aware_utc(end),
                shop_ids=list(shops),
            ):
                if sale.shop_id in shops:
                    yield shops[sale.shop_id], sale

    def _add_sale(self, figures, shop, sale, ptypes, cutoff):
        if not sale.completed or sale.voided or not sale.complete_time:
            return
        day = business_date(sale.complete_time, shop.get_zoneinfo(), cutoff)
        side = figures[(shop.id, day)]
        side["count"] += 1
        side["total"] += float(expected_total(sale))
        side["tax"] += float(sale.tax_total)
        for payment in sale.tender_payments:
            ptype = ptypes.get(payment.payment_type_id or "")
            if ptype and ptype.is_cash:
                key = CASH
            else:
                method = ptype._resolve_payment_method(shop) if ptype else False
                key = str(method.id) if method else f"ls:{payment.payment_type_id}"
            side["payments"][key] += float(payment.amount)

    def _odoo_figures(self, backend, bounds):
        """Orders of the shops and days: count (a void reversal cancels its sale), totals, tax
        and payments per method (all cash methods together: a register may have its own)."""
        self.env["pos.order"].flush_model()
        self.env["pos.payment"].flush_model()
        shop_ids = list({shop_id for shop_id, _day in bounds})
        days = [day for _shop, day in bounds]
        params = [backend.id, tuple(shop_ids), min(days), max(days)]
        figures = defaultdict(_new_side)
        self.env.cr.execute(
            """SELECT lightspeed_shop_id, lightspeed_business_date,
                      COUNT(*) FILTER (WHERE lightspeed_kind IN ('sale', 'refund'))
                        - COUNT(*) FILTER (WHERE lightspeed_kind = 'void'),
                      SUM(amount_total), SUM(amount_tax)
                 FROM pos_order
                WHERE lightspeed_backend_id = %s AND lightspeed_shop_id IN %s
                  AND lightspeed_business_date BETWEEN %s AND %s
                GROUP BY 1, 2""",
            params,
        )
        for shop_id, day, count, total, tax in self.env.cr.fetchall():
            side = figures[(shop_id, day)]
            side.update(count=count, total=total or 0.0, tax=tax or 0.0)
        self.env.cr.execute(
            """SELECT o.lightspeed_shop_id, o.lightspeed_business_date, p.payment_method_id,
                      m.is_cash_count, SUM(p.amount)
                 FROM pos_payment p
                 JOIN pos_order o ON o.id = p.pos_order_id
                 JOIN pos_payment_method m ON m.id = p.payment_method_id
                WHERE o.lightspeed_backend_id = %s AND o.lightspeed_shop_id IN %s
                  AND o.lightspeed_business_date BETWEEN %s AND %s
                GROUP BY 1, 2, 3, 4""",
            params,
        )
        for shop_id, day, method_id, is_cash, amount in self.env.cr.fetchall():
            key = CASH if is_cash else str(method_id)
            figures[(shop_id, day)]["payments"][key] += amount or 0.0
        return figures

    def _payment_label(self, key, shop):
        if key == CASH:
            return _("Cash")
        if key.startswith("ls:"):
            return _("Lightspeed payment type %(id)s (unmapped)", id=key[3:])
        return self.env["pos.payment.method"].browse(int(key)).name

    def _write_results(self, backend, bounds, lightspeed, odoo, sources, now):
        currency = backend.company_id.currency_id
        existing = {
            (rec.shop_id.id, rec.business_date): rec
            for rec in self.search(
                [
                    ("shop_id", "in", list({s for s, _d in bounds})),
                    ("business_date", "in", list({d for _s, d in bounds})),
                ]
            )
        }
        result = self.browse()
        turned_red, turned_green = self.browse(), self.browse()
        for key in sorted(bounds, key=lambda k: (k[1], k[0])):
            record = existing.get(key)
            ls, od = lightspeed.get(key), odoo.get(key)
            if not (ls or od or record):
                continue  # nothing sold on either side and never checked
            ls, od = ls or _new_side(), od or _new_side()
            shop = self.env["lightspeed.shop"].browse(key[0])
            reasons = []
            if ls["count"] != od["count"]:
                reasons.append(
                    _(
                        "Sales: %(ls)s in Lightspeed, %(odoo)s in Odoo.",
                        ls=ls["count"],
                        odoo=od["count"],
                    )
                )
            if currency.compare_amounts(ls["total"], od["total"]):
                reasons.append(
                    _(
                        "Total: %(ls)s in Lightspeed, %(odoo)s in Odoo.",
                        ls=ls["total"],
                        odoo=od["total"],
                    )
                )
            # Lightspeed rounds tax per sale, Odoo per line: a cent per sale is rounding.
            tolerance = 0.01 * max(ls["count"], od["count"], 1) + 1e-6
            if abs(currency.round(ls["tax"] - od["tax"])) > tolerance:
                reasons.append(
                    _("Tax: %(ls)s in Lightspeed, %(odoo)s in Odoo.", ls=ls["tax"], odoo=od["tax"])
                )
            lines = []
            for pkey in sorted(set(ls["payments"]) | set(od["payments"])):
                ls_amount = currency.round(ls["payments"].get(pkey, 0.0))
                od_amount = currency.round(od["payments"].get(pkey, 0.0))
                label = self._payment_label(pkey, shop)
                lines.append(f"{label}: {ls_amount:.2f} / {od_amount:.2f}")
                if currency.compare_amounts(ls_amount, od_amount):
                    reasons.append(
                        _(
                            "Payments %(method)s: %(ls)s in Lightspeed, %(odoo)s in Odoo.",
                            method=label,
                            ls=ls_amount,
                            odoo=od_amount,
                        )
                    )
            vals = {
                "source": sources.get(key),
                "lightspeed_count": ls["count"],
                "odoo_count": od["count"],
                "count_difference": od["count"] - ls["count"],
                "lightspeed_total": currency.round(ls["total"]),
                "odoo_total": currency.round(od["total"]),
                "total_difference": currency.round(od["total"] - ls["total"]),
                "lightspeed_tax": currency.round(ls["tax"]),
                "odoo_tax": currency.round(od["tax"]),
                "tax_difference": currency.round(od["tax"] - ls["tax"]),
                "lightspeed_payments": {k: currency.round(v) for k, v in ls["payments"].items()},
                "odoo_payments": {k: currency.round(v) for k, v in od["payments"].items()},
                "payment_summary": "\n".join(lines) or False,
                "state": "mismatch" if reasons else "ok",
                "mismatch_reason": "\n".join(reasons) or False,
                "checked_at": now,
            }
            if record:
                was = record.state
                record.write(vals)
            else:
                was = "ok"
                record = self.create(
                    dict(vals, backend_id=backend.id, shop_id=key[0], business_date=key[1])
                )
            if vals["state"] == "mismatch" and (was == "ok" or not record.activity_ids):
                turned_red |= record
            elif vals["state"] == "ok" and was == "mismatch":
                turned_green |= record
            result |= record
        turned_red._notify_red()
        turned_green.activity_ids.action_feedback(feedback=_("The day matches Lightspeed again."))
        return result

    def _notify_red(self):
        """An activity for each Lightspeed administrator on every day that turned red."""
        if not self:
            return
        activity_type = self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
        group = self.env.ref("lightspeed_connector.group_lightspeed_manager")
        users = group.users.filtered(lambda u: u.active and not u.share and u.id != 1)
        if not activity_type or not users:
            return
        summary = _("Lightspeed and Odoo differ for this day")
        for record in self:
            for user in users.filtered(lambda u, r=record: r.company_id in u.company_ids):
                record.activity_schedule(
                    activity_type_id=activity_type.id,
                    summary=summary,
                    note=_(
                        "%(reason)s Open the day and click Re-import day; if it stays red, "
                        "compare the sales of that day in Lightspeed's back office.",
                        reason=record.mismatch_reason or "",
                    ),
                    user_id=user.id,
                )

    # === ACTIONS === #

    def action_reimport(self):
        """Re-import the shop and day from Lightspeed (an engine run), then check it again.

        Sales whose Odoo order is gone are staged again as pending, so the run rebuilds them;
        new or changed sales of the day come in with the run's read."""
        importer = self.env["lightspeed.sale.importer"]
        for rec in self:
            backend = rec.backend_id
            backend._check_connected()
            if not rec.shop_id.import_enabled:
                raise UserError(
                    _(
                        "Shop %(shop)s has its import off; switch it on first.",
                        shop=rec.shop_id.name,
                    )
                )
            start, end = business_day_bounds(
                rec.business_date, rec.shop_id.get_zoneinfo(), backend.day_cutoff_hour
            )
            rec._restage_missing_orders(start, end)
            # The backfill reads whole UTC days: one more on each side covers the local day.
            importer._run(
                backend,
                run_type="backfill",
                shops=rec.shop_id,
                date_from=fields.Date.to_string(rec.business_date - timedelta(days=1)),
                date_to=fields.Date.to_string(rec.business_date + timedelta(days=1)),
            )
            self._check(backend, rec.shop_id, {rec.shop_id: {rec.business_date}})
        return True

    def _restage_missing_orders(self, start, end):
        self.ensure_one()
        records = self.env["lightspeed.sync.record"].search(
            [
                ("backend_id", "=", self.backend_id.id),
                ("record_type", "=", "sale"),
                ("shop_id", "=", self.shop_id.id),
                ("remote_date", ">=", start),
                ("remote_date", "<", end),
                ("state", "=", "done"),
                ("res_model", "=", "pos.order"),
            ]
        )
        alive = set(self.env["pos.order"].browse(records.mapped("res_id")).exists().ids)
        missing = records.filtered(lambda r: r.res_id not in alive)
        if missing:
            missing.write({"state": "pending", "attempt_count": 0, "applied_fingerprint": False})
        return missing

    def action_open_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("point_of_sale.action_pos_pos_form")
        action["domain"] = [
            ("lightspeed_backend_id", "=", self.backend_id.id),
            ("lightspeed_shop_id", "=", self.shop_id.id),
            ("lightspeed_business_date", "=", self.business_date),
        ]
        action["context"] = {}
        return action
