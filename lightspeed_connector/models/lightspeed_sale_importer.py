# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Lightspeed sales -> paid ``pos.order``: stage raw payloads, then process each one.

Fetch phase: pages of completed sales (with lines, items, notes, payments) are upserted into
``lightspeed.sync.record``; the change cursor advances with the staged rows, in the same
transaction. Process phase: every pending record runs in its own savepoint through the pure
mappers of ``mapping/sale.py``; a failure is stored on the record, never blocks the others.
"""

import logging
import threading
from datetime import timedelta
from decimal import Decimal

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..api import LightspeedError, PayloadError, Sale
from ..const import PARAM_MAX_ATTEMPTS
from ..mapping.sale import (
    ResolvedSale,
    SaleMappingError,
    expected_total,
    importable_lines,
    prepare_order_line_vals,
    prepare_payment_vals,
    prepare_pos_order_vals,
    sale_fingerprint,
)
from ..tools import business_date, business_day_bounds, to_aware_utc, to_naive_utc

_logger = logging.getLogger(__name__)

CURSOR_OVERLAP = timedelta(minutes=10)
# Records are processed (and committed, outside tests) in chunks; the ORM cache is emptied
# between chunks so memory stays flat whatever the number of sales.
CHUNK_SIZE = 200


def _error_text(exc):
    return str(exc.args[0] if exc.args else exc)


def _testing():
    return getattr(threading.current_thread(), "testing", False)


class _Lookups:
    """The mappings of one backend, read once per processing batch instead of once per sale."""

    def __init__(self, backend):
        env = backend.env
        domain = [("backend_id", "=", backend.id)]

        def by_id(model):
            records = env[model].with_context(active_test=False).search(domain)
            return {record.lightspeed_id: record for record in records}

        self.shops = by_id("lightspeed.shop")
        self.registers = by_id("lightspeed.register")
        self.employees = by_id("lightspeed.employee")
        self.payment_types = by_id("lightspeed.payment.type")
        self.taxes = env["lightspeed.tax"].search(domain + [("tax_id", "!=", False)])
        self.misc_product = env.ref("lightspeed_connector.product_lightspeed_misc")


class _OrderBatch:
    """New orders of one session, created together (Odoo creates 50 orders in one call about
    twice as fast as one by one). Anything that may close a session flushes it first."""

    SIZE = 50

    def __init__(self, importer, stats, run):
        self.importer, self.stats, self.run = importer, stats, run
        self.key = None
        self.items = []  # (record, order vals, shop, fingerprint)

    def add(self, key, item):
        if self.key != key:
            self.flush()
        self.key = key
        self.items.append(item)
        if len(self.items) >= self.SIZE:
            self.flush()

    def flush(self):
        items, self.items, self.key = self.items, [], None
        if items:
            self.importer._create_batch(items, self.stats, self.run)


# Chatter and tracking on thousands of orders cost time and say nothing a sync run does not.
QUIET = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True}


class LightspeedSaleImporter(models.AbstractModel):
    _name = "lightspeed.sale.importer"
    _description = "Lightspeed Sale Importer"

    # === ENTRY POINT === #

    @api.model
    def _import(self, backend, date_from=None, date_to=None, shops=None):
        """Fetch, stage and process sales of ``backend``; returns the ``lightspeed.sync.run``.

        Without dates: incremental from the change cursor (first run: ``initial_import_days``)
        plus a re-read of the correction window. With dates (backfill): sales completed in
        ``[date_from, date_to]`` (dates, shop-independent UTC days), cursor untouched.
        """
        backend.ensure_one()
        # Defaults (journals, taxes, warehouses) must come from the backend's company.
        self = self.with_company(backend.company_id).with_context(**QUIET)
        backend = backend.with_company(backend.company_id).with_context(**QUIET)
        shops = (shops or backend.shop_ids).filtered("import_enabled")
        run = self.env["lightspeed.sync.run"].create(
            {"backend_id": backend.id, "run_type": "backfill" if date_from else "sale"}
        )
        if not shops:
            run._finish(message=_("No shop has the import enabled."))
            return run
        client = backend._get_client()
        with backend._lightspeed_errors():
            fetched = self._stage(backend, client, shops, run, date_from, date_to)
        max_attempts = backend._default_param(PARAM_MAX_ATTEMPTS, 3)
        records = self.env["lightspeed.sync.record"].search(
            [
                ("backend_id", "=", backend.id),
                ("record_type", "=", "sale"),
                ("shop_id", "in", shops.ids),
                "|",
                ("state", "=", "pending"),
                "&",
                ("state", "=", "error"),
                ("attempt_count", "<", max_attempts),
            ]
        )
        stats = self._process_records(records, run=run)
        self._close_finished_sessions(backend)
        run._finish(
            fetched_count=fetched,
            request_count=client.request_count,
            created_count=stats["created"],
            updated_count=stats["updated"],
            failed_count=stats["failed"],
        )
        return run

    # === FETCH AND STAGE === #

    def _stage(self, backend, client, shops, run, date_from=None, date_to=None):
        shop_ids = shops.mapped("lightspeed_id")
        now = fields.Datetime.now()
        fetched = 0
        if date_from:
            start = fields.Datetime.to_datetime(date_from)
            end = fields.Datetime.to_datetime(date_to or fields.Date.today()) + timedelta(days=1)
            queries = [{"completed_from": to_aware_utc(start), "completed_to": to_aware_utc(end)}]
            advance_cursor = False
        else:
            first_run = not backend.sales_cursor
            since = (
                backend.sales_cursor - CURSOR_OVERLAP
                if not first_run
                else now - timedelta(days=max(backend.initial_import_days, 0))
            )
            queries = [{"updated_from": to_aware_utc(since)}]
            correction_from = None
            if backend.correction_window_days > 0:
                correction_from = now - timedelta(days=backend.correction_window_days)
                if correction_from <= since:
                    correction_from = None  # the incremental query already covers the window
            if not first_run and correction_from:
                queries.append({"completed_from": to_aware_utc(correction_from)})
            advance_cursor = True
        for params in queries:
            page = []
            for sale in client.iter_sales(shop_ids=shop_ids, **params):
                page.append(sale)
                if len(page) == 100:
                    fetched += self._stage_page(backend, page, run, advance_cursor)
                    page = []
            if page:
                fetched += self._stage_page(backend, page, run, advance_cursor)
        return fetched

    def _stage_page(self, backend, sales, run, advance_cursor):
        """Upsert one page of sales; unchanged ones (same fingerprint, already done) are left."""
        SyncRecord = self.env["lightspeed.sync.record"]
        shop_map = {
            shop.lightspeed_id: shop.id for shop in backend.with_context(active_test=False).shop_ids
        }
        existing = {
            rec.lightspeed_id: rec
            for rec in SyncRecord.search(
                [
                    ("backend_id", "=", backend.id),
                    ("record_type", "=", "sale"),
                    ("lightspeed_id", "in", [sale.sale_id for sale in sales]),
                ]
            )
        }
        to_create = []
        for sale in sales:
            fingerprint = sale_fingerprint(sale)
            vals = {
                "payload": sale.raw,
                "remote_version": sale.change_stamp and sale.change_stamp.isoformat(),
                "fingerprint": fingerprint,
                "shop_id": shop_map.get(sale.shop_id or "", False),
                "remote_date": to_naive_utc(sale.complete_time) if sale.complete_time else False,
                "run_id": run.id,
            }
            record = existing.get(sale.sale_id)
            if record is None:
                to_create.append(
                    dict(
                        vals,
                        backend_id=backend.id,
                        record_type="sale",
                        lightspeed_id=sale.sale_id,
                        state="pending",
                    )
                )
            elif record.fingerprint != fingerprint or record.state == "pending":
                record.write(dict(vals, state="pending", attempt_count=0))
        if to_create:
            SyncRecord.create(to_create)
        SyncRecord.flush_model()
        stamps = [sale.change_stamp for sale in sales if sale.change_stamp]
        if advance_cursor and stamps:
            newest = to_naive_utc(max(stamps))
            if not backend.sales_cursor or newest > backend.sales_cursor:
                backend.sales_cursor = newest
        if not _testing():
            # The staged rows and the cursor commit together: a crash after this point loses
            # nothing, and a re-run re-stages at most one page.
            self.env.cr.commit()  # pylint: disable=invalid-commit
        # Staged payloads are read back per chunk when processed; don't keep them in memory.
        self.env.invalidate_all()
        return len(sales)

    # === PROCESS === #

    @api.model
    def _process_records(self, records, run=None):
        """Turn staged sale records into orders, each in its own savepoint."""
        self = self.with_context(**QUIET)
        SyncRecord = self.env["lightspeed.sync.record"]
        stats = {"created": 0, "updated": 0, "failed": 0, "unchanged": 0, "skipped": 0}
        # Order by shop and time without loading the payloads of every record at once.
        ids = SyncRecord.search([("id", "in", records.ids)], order="shop_id, remote_date, id").ids
        lookups, touched = {}, {}
        batch = _OrderBatch(self, stats, run)
        for start in range(0, len(ids), CHUNK_SIZE):
            chunk = SyncRecord.browse(ids[start : start + CHUNK_SIZE])
            for record in chunk:
                backend = record.backend_id
                if backend.id not in lookups:
                    lookups[backend.id] = _Lookups(backend)
                try:
                    with self.env.cr.savepoint():
                        outcome = self._process_record(record, lookups[backend.id], run, batch)
                    stats[outcome] += 1
                except (UserError, ValidationError, LightspeedError, SaleMappingError) as exc:
                    record._mark_error(_error_text(exc), run=run)
                    stats["failed"] += 1
            batch.flush()
            self._collect_touched_days(chunk, touched)
            if not _testing():
                # Keep finished chunks: a crash later re-processes only what is left.
                self.env.cr.commit()  # pylint: disable=invalid-commit
            self.env.invalidate_all()
        self._refresh_kpis(touched)
        return stats

    def _collect_touched_days(self, records, touched):
        done = records.filtered(lambda r: r.state == "done" and r.res_model == "pos.order")
        for order in self.env["pos.order"].browse(done.mapped("res_id")).exists():
            touched.setdefault(order.lightspeed_shop_id.id, set()).add(
                order.lightspeed_business_date
            )

    def _refresh_kpis(self, touched):
        """Recompute the weekly-balance facts of the shop days the import touched."""
        overwrite = self.env.context.get("lightspeed_overwrite_approved", False)
        for shop_id, days in touched.items():
            shop = self.env["lightspeed.shop"].browse(shop_id)
            # One shop day at a time, cache emptied in between: a backfill of months must not
            # hold every order of the range in memory at once.
            for day in sorted(days):
                self.env["lightspeed.kpi.fact"].sudo()._refresh(
                    shop, {day}, overwrite_approved=overwrite
                )
                self.env.invalidate_all()

    def _create_batch(self, items, stats, run):
        """Create a batch of new orders; if anything fails, redo them one by one so that only
        the faulty sale fails (with its own message)."""
        try:
            with self.env.cr.savepoint():
                orders = self._create_paid_orders([vals for _rec, vals, _shop, _fp in items])
                for (record, _vals, shop, fingerprint), order in zip(items, orders, strict=True):
                    self._mark_done(record, order, fingerprint, shop, run)
            return
        except (UserError, ValidationError, SaleMappingError):
            _logger.info("Lightspeed: a batch of %s orders failed; retrying one by one", len(items))
        for record, vals, shop, fingerprint in items:
            try:
                with self.env.cr.savepoint():
                    order = self._create_paid_orders([vals])
                    self._mark_done(record, order, fingerprint, shop, run)
            except (UserError, ValidationError, SaleMappingError) as exc:
                record._mark_error(_error_text(exc), run=run)
                stats["created"] -= 1
                stats["failed"] += 1

    def _process_record(self, record, lookups, run=None, batch=None):
        try:
            sale = Sale.from_payload(record.payload or {})
        except PayloadError as exc:
            raise SaleMappingError(
                _("Lightspeed sent a sale this connector cannot read: %(err)s", err=exc)
            ) from exc
        backend = record.backend_id
        shop = self._get_shop(backend, sale, lookups)
        order = self.env["pos.order"].search(
            [("lightspeed_backend_id", "=", backend.id), ("lightspeed_id", "=", sale.sale_id)],
            limit=1,
        )
        fingerprint = sale_fingerprint(sale)
        if (sale.voided or order) and batch:
            batch.flush()  # a void or correction may close sessions the batch still needs
        if sale.voided:
            return self._process_void(record, sale, shop, order, fingerprint, run)
        if order:
            if record.applied_fingerprint == fingerprint:
                self._mark_done(record, order, fingerprint, shop, run)
                return "unchanged"
            correction = self._create_correction(sale, shop, order, lookups)
            self._mark_done(record, correction, fingerprint, shop, run)
            return "updated"
        if batch is None:
            order = self._create_sale_order(sale, shop, lookups)
            self._mark_done(record, order, fingerprint, shop, run)
            return "created"
        business_day = self._business_date(shop, sale)
        key = (shop.pos_config_id.id, business_day)
        if batch.key not in (None, key):
            batch.flush()  # opening this day's session may close the batch's session
        vals = self._prepare_sale_order(sale, shop, lookups, business_day)
        batch.add(key, (record, vals, shop, fingerprint))
        return "created"

    def _mark_done(self, record, order, fingerprint, shop, run=None):
        vals = {
            "state": "done",
            "error_message": False,
            "res_model": "pos.order",
            "res_id": order.id,
            "applied_fingerprint": fingerprint,
            "shop_id": shop.id,
            "synced_at": fields.Datetime.now(),
        }
        if run:
            vals["run_id"] = run.id
        record.write(vals)

    def _get_shop(self, backend, sale, lookups):
        shop = lookups.shops.get(sale.shop_id or "")
        if not shop:
            raise SaleMappingError(
                _(
                    "Sale %(sale)s comes from Lightspeed shop %(shop)s, which is unknown: run Sync "
                    "metadata, map the shop, then retry.",
                    sale=sale.sale_id,
                    shop=sale.shop_id,
                )
            )
        if not shop.import_enabled or not shop.pos_config_id:
            raise SaleMappingError(
                _(
                    "Shop %(shop)s is not mapped to a point of sale or its import is off; map "
                    "it, then retry sale %(sale)s.",
                    shop=shop.name,
                    sale=sale.sale_id,
                )
            )
        return shop

    # === ORDERS === #

    def _resolve(self, sale, shop, session, business_day, lookups):
        backend = shop.backend_id
        register = lookups.registers.get(sale.register_id or "", self.env["lightspeed.register"])
        employee = lookups.employees.get(sale.employee_id or "", self.env["lightspeed.employee"])
        lines = importable_lines(sale)
        resolved = ResolvedSale(
            session_id=session.id,
            backend_id=backend.id,
            shop_id=shop.id,
            register_id=register.id or None,
            department_id=(register.department_id or shop.department_id).id or None,
            employee_id=employee.employee_id.id or None,
            business_date=business_day,
        )
        resolved.products = self._resolve_products(backend, lines, lookups)
        resolved.taxes = self._resolve_taxes(sale, lines, lookups)
        resolved.payment_methods = self._resolve_payment_methods(sale, shop, lookups)
        resolved.refunded_lines = self._resolve_refunded_lines(backend, lines)
        return resolved

    def _resolve_products(self, backend, lines, lookups):
        items = [line.item for line in lines if line.item is not None]
        by_item = self.env["lightspeed.item"]._resolve_products(backend, items)
        misc = lookups.misc_product
        products = {}
        for line in lines:
            if line.is_misc:
                products[line.sale_line_id] = misc.id
            elif line.item_id in by_item:
                products[line.sale_line_id] = by_item[line.item_id]
            else:
                raise SaleMappingError(
                    _(
                        "Item %(item)s of sale line %(line)s has no Odoo product. Create or map "
                        "the product (or allow product creation on the backend), then retry.",
                        item=line.item_id,
                        line=line.sale_line_id,
                    )
                )
        return products

    def _resolve_taxes(self, sale, lines, lookups):
        mapped = lookups.taxes
        taxes = {}
        for line in lines:
            tax_ids = []
            if line.tax:
                for rate in (line.tax1_rate, line.tax2_rate):
                    if not rate:
                        continue
                    percent = float(rate * 100)
                    match = mapped.filtered(
                        lambda t, p=percent: (
                            abs(t.rate - p) < 0.00005 and t.price_include == sale.is_tax_inclusive
                        )
                    )[:1]
                    if not match:
                        raise SaleMappingError(
                            _(
                                "Tax rate %(rate)s%% (%(kind)s) of sale %(sale)s is not mapped to "
                                "an Odoo tax; map it under Lightspeed > Mappings > Tax Rates, "
                                "then retry.",
                                rate=f"{percent:g}",
                                kind=_("included") if sale.is_tax_inclusive else _("excluded"),
                                sale=sale.sale_id,
                            )
                        )
                    tax_ids.append(match.tax_id.id)
            taxes[line.sale_line_id] = tax_ids
        return taxes

    def _resolve_payment_methods(self, sale, shop, lookups):
        types = lookups.payment_types
        methods = {}
        for payment in sale.active_payments:
            ptype = types.get(payment.payment_type_id or "")
            method = ptype._resolve_payment_method(shop) if ptype else False
            if not method:
                raise SaleMappingError(
                    _(
                        "Payment type %(ptype)s of sale %(sale)s has no Odoo payment method; map "
                        "it under Lightspeed > Mappings > Payment Types, then retry.",
                        ptype=ptype.name if ptype else payment.payment_type_id,
                        sale=sale.sale_id,
                    )
                )
            if method not in shop.pos_config_id.payment_method_ids:
                shop.pos_config_id.payment_method_ids = [(4, method.id)]
            methods[payment.sale_payment_id] = method.id
        return methods

    def _resolve_refunded_lines(self, backend, lines):
        parents = [line.parent_sale_line_id for line in lines if line.parent_sale_line_id]
        if not parents:
            return {}
        originals = self.env["pos.order.line"].search(
            [
                ("lightspeed_line_id", "in", parents),
                ("order_id.lightspeed_backend_id", "=", backend.id),
            ]
        )
        by_id = {line.lightspeed_line_id: line.id for line in originals}
        return {
            line.sale_line_id: by_id[line.parent_sale_line_id]
            for line in lines
            if line.parent_sale_line_id in by_id
        }

    def _prepare_sale_order(self, sale, shop, lookups, business_day):
        session = self._get_session(shop, business_day)
        resolved = self._resolve(sale, shop, session, business_day, lookups)
        header = prepare_pos_order_vals(sale, resolved)
        lines = [prepare_order_line_vals(line, resolved) for line in importable_lines(sale)]
        payments = [prepare_payment_vals(p, resolved) for p in sale.active_payments]
        return self._prepare_paid_order(session, header, lines, payments, expected_total(sale))

    def _create_sale_order(self, sale, shop, lookups):
        vals = self._prepare_sale_order(sale, shop, lookups, self._business_date(shop, sale))
        return self._create_paid_orders([vals])

    def _prepare_paid_order(self, session, header, lines, payments, total):
        """Complete values of a paid order whose total is Lightspeed's, to the cent.

        Line amounts come from Odoo's tax engine, as the session closing recomputes them. A
        difference of at most a cent per line against what Lightspeed collected (it rounds per
        sale, Odoo per line) becomes an explicit rounding line; anything larger fails the sale
        with a clear message, so a session never closes unbalanced.
        """
        currency = session.currency_id
        line_vals = [self._with_amounts(vals, session) for vals in lines]
        total_incl = currency.round(sum(vals["price_subtotal_incl"] for vals in line_vals))
        total_excl = currency.round(sum(vals["price_subtotal"] for vals in line_vals))
        difference = currency.round(float(total) - total_incl)
        if not currency.is_zero(difference):
            if abs(difference) > 0.01 * max(len(lines), 1) + 1e-9:
                raise SaleMappingError(
                    _(
                        "Odoo computes %(odoo)s for sale %(sale)s but Lightspeed collected "
                        "%(ls)s; check the tax mapping (rate, included in price) of its lines.",
                        odoo=total_incl,
                        ls=float(total),
                        sale=header.get("lightspeed_sale_id"),
                    )
                )
            rounding = self.env.ref("lightspeed_connector.product_lightspeed_rounding")
            line_vals.append(
                {
                    "product_id": rounding.id,
                    "qty": 1.0,
                    "price_unit": difference,
                    "discount": 0.0,
                    "tax_ids": [(6, 0, [])],
                    "price_subtotal": difference,
                    "price_subtotal_incl": difference,
                }
            )
            total_incl = currency.round(total_incl + difference)
            total_excl = currency.round(total_excl + difference)
        paid = currency.round(sum(vals["amount"] for vals in payments))
        if currency.compare_amounts(paid, total_incl):
            raise SaleMappingError(
                _(
                    "Sale %(sale)s: payments (%(paid)s) do not match the total (%(total)s).",
                    sale=header.get("lightspeed_sale_id"),
                    paid=paid,
                    total=total_incl,
                )
            )
        return dict(
            header,
            session_id=session.id,
            lines=[(0, 0, vals) for vals in line_vals],
            payment_ids=[(0, 0, vals) for vals in payments],
            amount_total=total_incl,
            amount_tax=currency.round(total_incl - total_excl),
            amount_paid=paid,
            amount_return=0.0,
        )

    def _create_paid_orders(self, vals_list):
        """Create paid orders (the ``pos.make.payment`` path: paid check, then processing)."""
        orders = self.env["pos.order"].create(vals_list)
        for order in orders:
            # _process_saved_order() logs and swallows a failed paid check: check first.
            if not order._is_pos_order_paid():
                raise SaleMappingError(
                    _(
                        "Sale %(sale)s: payments (%(paid)s) do not match the total (%(total)s).",
                        sale=order.lightspeed_sale_id,
                        paid=order.amount_paid,
                        total=order.amount_total,
                    )
                )
            order._process_saved_order(False)
        return orders

    def _with_amounts(self, vals, session):
        """Line values with Odoo's subtotals (what the session closing will recompute)."""
        taxes = (
            self.env["account.tax"].browse(vals["tax_ids"][0][2]) if vals.get("tax_ids") else False
        )
        price = vals["price_unit"] * (1 - (vals.get("discount") or 0.0) / 100.0)
        if taxes:
            res = taxes.compute_all(price, session.currency_id, vals["qty"])
            subtotal, subtotal_incl = res["total_excluded"], res["total_included"]
        else:
            subtotal = subtotal_incl = session.currency_id.round(price * vals["qty"])
        return dict(vals, price_subtotal=subtotal, price_subtotal_incl=subtotal_incl)

    def _reversal_lines(self, orders):
        """Lines that cancel everything booked so far for a sale (incl. rounding).

        They point at the refunded lines only when a single order was booked: Odoo derives
        the refunded order from those links and expects one.
        """
        link = len(orders) == 1
        return [
            {
                "product_id": line.product_id.id,
                "qty": -line.qty,
                "price_unit": line.price_unit,
                "discount": line.discount,
                "tax_ids": [(6, 0, line.tax_ids.ids)],
                "full_product_name": line.full_product_name,
                "refunded_orderline_id": line.id if link and line.qty > 0 else False,
            }
            for line in orders.lines
        ]

    def _reversal_payments(self, orders):
        return [
            {
                "payment_method_id": payment.payment_method_id.id,
                "amount": -payment.amount,
                "payment_date": fields.Datetime.now(),
            }
            for payment in orders.payment_ids
        ]

    def _process_void(self, record, sale, shop, order, fingerprint, run=None):
        if not order:
            record.write(
                {
                    "state": "skipped",
                    "error_message": _(
                        "Sale %(sale)s was voided in Lightspeed before it was imported.",
                        sale=sale.sale_id,
                    ),
                    "applied_fingerprint": fingerprint,
                    "shop_id": shop.id,
                    "run_id": run.id if run else record.run_id.id,
                    "synced_at": fields.Datetime.now(),
                }
            )
            return "skipped"
        key = f"{sale.sale_id}/void"
        reversal = self.env["pos.order"].search(
            [
                ("lightspeed_backend_id", "=", order.lightspeed_backend_id.id),
                ("lightspeed_id", "=", key),
            ],
            limit=1,
        )
        if not reversal:
            orders = self.env["pos.order"].search(
                [
                    ("lightspeed_backend_id", "=", order.lightspeed_backend_id.id),
                    ("lightspeed_sale_id", "=", sale.sale_id),
                ]
            )
            reversal = self._create_reversal(shop, sale, order, orders, key, "void")
        self._mark_done(record, reversal, fingerprint, shop, run)
        return "updated"

    def _adjustment_session(self, shop, order):
        """Where a void or a correction is booked: in the original day while its session is
        still open (the day then matches Lightspeed's own figures), otherwise today."""
        if order.session_id.state == "opened":
            return order.session_id, order.lightspeed_business_date, order.date_order
        now = fields.Datetime.now()
        business_day = self._business_date(shop, now=now)
        return self._get_session(shop, business_day), business_day, now

    def _create_reversal(
        self, shop, sale, order, orders, key, kind, extra_lines=(), extra_payments=(), where=None
    ):
        session, business_day, when = where or self._adjustment_session(shop, order)
        lines = self._reversal_lines(orders) + list(extra_lines)
        payments = self._reversal_payments(orders) + list(extra_payments)
        header = {
            "date_order": when,
            "pos_reference": order.pos_reference,
            "employee_id": order.employee_id.id,
            "lightspeed_backend_id": order.lightspeed_backend_id.id,
            "lightspeed_id": key,
            "lightspeed_sale_id": sale.sale_id,
            "lightspeed_kind": kind,
            "lightspeed_shop_id": shop.id,
            "lightspeed_register_id": order.lightspeed_register_id.id,
            "lightspeed_department_id": order.lightspeed_department_id.id,
            "lightspeed_business_date": business_day,
            "amount_paid": 0.0,
            "amount_return": 0.0,
        }
        total = sum(p["amount"] for p in payments)
        vals = self._prepare_paid_order(
            session, header, lines, payments, Decimal(str(round(total, 2)))
        )
        return self._create_paid_orders([vals])

    def _create_correction(self, sale, shop, order, lookups):
        """An imported sale was edited in Lightspeed: book the difference as one new order.

        Odoo forbids editing a paid order (no return to draft, no line deletion), so the
        correction reverses everything booked for the sale and re-books the new version, in the
        original day's session while it is open (today's otherwise).
        """
        orders = self.env["pos.order"].search(
            [
                ("lightspeed_backend_id", "=", order.lightspeed_backend_id.id),
                ("lightspeed_sale_id", "=", sale.sale_id),
            ]
        )
        where = self._adjustment_session(shop, order)
        resolved = self._resolve(sale, shop, where[0], where[1], lookups)
        new_lines = [prepare_order_line_vals(line, resolved) for line in importable_lines(sale)]
        new_payments = [prepare_payment_vals(p, resolved) for p in sale.active_payments]
        key = f"{sale.sale_id}/c{len(orders)}"
        return self._create_reversal(
            shop, sale, order, orders, key, "correction", new_lines, new_payments, where
        )

    # === SESSIONS === #

    def _business_date(self, shop, sale=None, now=None):
        moment = (sale.complete_time or sale.change_stamp) if sale else now
        return business_date(moment, shop.get_zoneinfo(), shop.backend_id.day_cutoff_hour)

    def _get_session(self, shop, business_day):
        """The open session of the shop for that business day, opening it if needed.

        Odoo allows one open session per point of sale: a session of another day is closed
        first (a late sale for a closed day gets a short extra session of its own day).
        """
        Session = self.env["pos.session"]
        config = shop.pos_config_id
        session = Session.search(
            [
                ("config_id", "=", config.id),
                ("state", "=", "opened"),
                ("lightspeed_business_date", "=", business_day),
            ],
            limit=1,
        )
        if session:
            return session
        for other in Session.search([("config_id", "=", config.id), ("state", "!=", "closed")]):
            self._close_session(other)
        session = Session.create(
            {
                "config_id": config.id,
                "lightspeed_shop_id": shop.id,
                "lightspeed_business_date": business_day,
            }
        )
        session.update_stock_at_closing = shop.backend_id.update_stock_at_closing
        session.set_opening_control(session.cash_register_balance_start, "")
        return session

    def _close_session(self, session):
        """Close with counted cash = expected cash (no bogus loss line); raise if Odoo refuses."""
        if session.state == "opening_control":
            session.set_opening_control(session.cash_register_balance_start, "")
        if session.cash_journal_id:
            result = session.post_closing_cash_details(session.cash_register_balance_end)
            if not result.get("successful", True):
                raise UserError(result.get("message") or _("Cash closing failed."))
            session.invalidate_recordset(["cash_register_balance_end", "cash_register_difference"])
        result = session.close_session_from_ui()
        if not result.get("successful"):
            raise UserError(
                _(
                    "Odoo refused to close session %(session)s: %(msg)s",
                    session=session.name,
                    msg=result.get("message") or result,
                )
            )
        return True

    @api.model
    def _close_finished_sessions(self, backend):
        """Close the sessions whose business day is over in the shop's time zone."""
        now = fields.Datetime.now()
        sessions = self.env["pos.session"].search(
            [
                ("lightspeed_shop_id.backend_id", "=", backend.id),
                ("state", "=", "opened"),
                ("lightspeed_business_date", "!=", False),
            ]
        )
        for session in sessions:
            shop = session.lightspeed_shop_id
            _start, end = business_day_bounds(
                session.lightspeed_business_date, shop.get_zoneinfo(), backend.day_cutoff_hour
            )
            if end <= now:
                self._close_session(session)
