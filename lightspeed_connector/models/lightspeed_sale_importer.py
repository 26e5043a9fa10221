# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Sales adapter of the import engine: Lightspeed sales -> paid ``pos.order``.

Only what is particular to sales lives here: the queries (incremental on the change stamp,
plus the correction window re-read on every run), the fingerprint, and turning one staged sale
into an order, a correction or a reversal. Lock, staging, savepoints, commits and errors are
the engine's (``lightspeed_importer.py``); sessions are ``pos_session.py``'s.
"""

import logging
from datetime import timedelta
from decimal import Decimal

from odoo import _, fields, models
from odoo.exceptions import UserError, ValidationError

from ..api import Sale
from ..mapping.errors import MappingError
from ..mapping.sale import (
    NOT_SALES_LINE_PREFIXES,
    ResolvedSale,
    SaleMappingError,
    expected_total,
    fingerprint_content,
    importable_lines,
    prepare_deposit_line_vals,
    prepare_order_line_vals,
    prepare_payment_vals,
    prepare_pos_order_vals,
    prepare_tip_line_vals,
    sale_fingerprint,
)
from ..tools import business_date, business_day_bounds, to_aware_utc, to_naive_utc
from .lightspeed_importer import CURSOR_OVERLAP

_logger = logging.getLogger(__name__)

# What a failing order of a batch may raise (the batch is then redone one by one).
ORDER_ERRORS = (UserError, ValidationError, MappingError, SaleMappingError)


class _Lookups:
    """The mappings of one backend, read once per run instead of once per sale."""

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
        self.deposit_product = backend.deposit_product_id
        self.tip_product = backend.tip_product_id
        # Odoo's tax engine is slow per call and a catalogue repeats its prices: the amounts of
        # a (taxes, unit price, quantity) are computed once per run.
        self.line_amounts = {}


class _OrderBatch:
    """New orders of one session, created together (Odoo creates 50 orders in one call about
    twice as fast as one by one). Anything that may close a session flushes it first."""

    SIZE = 50

    def __init__(self, importer, stats, run):
        self.importer, self.stats, self.run = importer, stats, run
        self.key = None
        self.items = []  # (record, order vals)

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


class LightspeedSaleImporter(models.AbstractModel):
    _name = "lightspeed.sale.importer"
    _inherit = "lightspeed.importer"
    _description = "Lightspeed Sale Importer"

    _stream = "sale"
    # Orders move stock and closing posts in the company's journals (see the engine).
    _one_chunk_at_a_time_per_company = True
    _process_order = "shop_id, remote_date, id"

    # === QUERIES AND STAGING === #

    def _scope(self, backend, options):
        scope = super()._scope(backend, options)
        scope["backfill"] = bool(options.get("date_from"))
        scope["catch_up"] = {} if scope["backfill"] else self._catch_up_days(backend, scope)
        return scope

    def _queries(self, backend, scope):
        """Without dates: changes since the cursor (first run: ``initial_import_days``), then
        every sale completed inside the correction window, whatever its change stamps say (a
        void or an edit need not move them). With dates (backfill): sales completed in
        ``[date_from, date_to]`` (UTC days), or with ``business_days`` in those business days
        of each shop (its time zone and the day cut-off, one query per shop, as the backfill
        wizard asks); the cursor is left alone."""
        now = fields.Datetime.now()
        if scope["backfill"] and not scope.get("business_days"):
            start = fields.Datetime.to_datetime(scope["date_from"])
            end = fields.Datetime.to_datetime(scope.get("date_to") or fields.Date.today())
            return [
                {
                    "completed_from": to_aware_utc(start),
                    "completed_to": to_aware_utc(end + timedelta(days=1)),
                }
            ]
        if scope["backfill"]:
            first = fields.Date.to_date(scope["date_from"])
            last = fields.Date.to_date(scope.get("date_to") or fields.Date.today())
            queries = []
            for shop in scope["shops"]:
                zone = shop.get_zoneinfo()
                start = business_day_bounds(first, zone, backend.day_cutoff_hour)[0]
                end = business_day_bounds(last, zone, backend.day_cutoff_hour)[1]
                queries.append(
                    {
                        "completed_from": to_aware_utc(start),
                        "completed_to": to_aware_utc(end),
                        "shop_ids": [shop.lightspeed_id],
                    }
                )
            return queries
        first_run = not backend.sales_cursor
        if first_run:
            since = now - timedelta(days=max(backend.initial_import_days, 0))
        else:
            since = backend.sales_cursor - CURSOR_OVERLAP
        queries = [{"updated_from": to_aware_utc(since), "advance_cursor": True}]
        window = backend.correction_window_days
        if window > 0 and not (first_run and backend.initial_import_days >= window):
            queries.append({"completed_from": to_aware_utc(now - timedelta(days=window))})
        return queries + self._catch_up_queries(scope)

    def _fetch(self, client, query, scope):
        params = {key: value for key, value in query.items() if key != "advance_cursor"}
        params.setdefault("shop_ids", scope["shops"].mapped("lightspeed_id"))
        return client.iter_sales(**params)

    def _staging_vals(self, sale):
        return {
            "lightspeed_id": sale.sale_id,
            "payload": sale.raw,
            "fingerprint": sale_fingerprint(sale),
            "remote_version": sale.change_stamp and sale.change_stamp.isoformat(),
            "shop_lightspeed_id": sale.shop_id,
            "remote_date": to_naive_utc(sale.complete_time) if sale.complete_time else False,
        }

    def _after_stage_page(self, backend, sales, query):
        """The cursor advances with the page it covers, in the same transaction."""
        stamps = [sale.change_stamp for sale in sales if sale.change_stamp]
        if query.get("advance_cursor") and stamps:
            newest = to_naive_utc(max(stamps))
            if not backend.sales_cursor or newest > backend.sales_cursor:
                backend.sales_cursor = newest

    # === CATCH-UP: days missed while a shop or the backend was paused === #

    def _catch_up_days(self, backend, scope):
        """{shop: first day to fetch again} of the shops whose import, or whose backend, was
        paused (``catch_up_from``, set when the import came back on)."""
        return {
            shop: min(filter(None, [shop.catch_up_from, backend.catch_up_from]))
            for shop in scope["shops"]
            if shop.catch_up_from or backend.catch_up_from
        }

    def _catch_up_queries(self, scope):
        """One completed-range query per first day, for its shops only."""
        by_day = {}
        for shop, day in scope.get("catch_up", {}).items():
            by_day.setdefault(day, []).append(shop.lightspeed_id)
        return [
            {
                "completed_from": to_aware_utc(fields.Datetime.to_datetime(day)),
                "shop_ids": shop_ids,
            }
            for day, shop_ids in sorted(by_day.items())
        ]

    def _catch_up_done(self, backend, scope):
        catch_up = scope.get("catch_up")
        if not catch_up:
            return
        shops = self.env["lightspeed.shop"].union(*catch_up)
        shops.filtered("catch_up_from").write({"catch_up_from": False})
        if backend.catch_up_from:
            backend.catch_up_from = False

    def _run_message(self, scope, fetched, stats):
        message = super()._run_message(scope, fetched, stats)
        today = fields.Date.context_today(self)
        filled = [
            self.env._(
                "%(shop)s: caught up the days %(start)s to %(end)s.",
                shop=shop.name,
                start=fields.Date.to_string(day),
                end=fields.Date.to_string(today),
            )
            for shop, day in scope.get("catch_up", {}).items()
        ]
        return " ".join([message, *filled])

    # === PROCESSING HOOKS === #

    def _begin_processing(self, records, run, stats):
        # New items of the whole run created in batches, not one sale at a time.
        self.env["lightspeed.item"]._prefetch_sale_items(records)
        return {"lookups": {}, "touched": {}, "batch": _OrderBatch(self, stats, run)}

    def _process_record(self, record, state, final):
        backend = record.backend_id
        if backend.id not in state["lookups"]:
            state["lookups"][backend.id] = _Lookups(backend)
        return self._process_sale(record, state["lookups"][backend.id], state["batch"])

    def _reset_chunk(self, state):
        # orders of the rolled-back chunk not created yet; mappings read again (the chunk may
        # have created some, now gone)
        state["batch"].items, state["batch"].key = [], None
        state["lookups"].clear()

    def _end_chunk(self, chunk, run, state, stats):
        state["batch"].flush()
        self._collect_touched_days(chunk, state["touched"])

    def _end_processing(self, state, stats):
        self._refresh_kpis(state["touched"])

    def _after_process(self, backend, scope, stats):
        with self._one_import_at_a_time(backend.company_id):
            self.env["pos.session"]._lightspeed_close_finished(backend)
        self._catch_up_done(backend, scope)

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
                orders = self._create_paid_orders([vals for _record, vals in items])
                for (record, _vals), order in zip(items, orders, strict=True):
                    record._mark_done(order, run)
            return
        except ORDER_ERRORS:
            _logger.info("Lightspeed: a batch of %s orders failed; retrying one by one", len(items))
        for record, vals in items:
            try:
                with self.env.cr.savepoint():
                    record._mark_done(self._create_paid_orders([vals]), run)
            except ORDER_ERRORS as exc:
                record._mark_error(str(exc.args[0] if exc.args else exc), run=run)
                stats["created"] -= 1
                stats["failed"] += 1

    def _process_sale(self, record, lookups, batch):
        sale = self._read_payload(record, Sale)
        backend = record.backend_id
        shop = self._get_shop(backend, sale, lookups)
        order = self.env["pos.order"].search(
            [("lightspeed_backend_id", "=", backend.id), ("lightspeed_id", "=", sale.sale_id)],
            limit=1,
        )
        if sale.voided or order:
            batch.flush()  # a void or correction may close sessions the batch still needs
        if sale.voided:
            return self._process_void(record, sale, shop, order)
        if order:
            if record.applied_fingerprint == record.fingerprint:
                record._mark_done(order)
                return "unchanged"
            self._update_sale_partner(backend, sale)
            if fingerprint_content(record.applied_fingerprint) == fingerprint_content(
                record.fingerprint
            ):
                record._mark_done(order)  # only its customer changed: nothing to rebook
                return "updated"
            record._mark_done(self._create_correction(sale, shop, order, lookups))
            return "updated"
        config, business_day = (
            self._pos_config(sale, shop, lookups),
            self._business_date(shop, sale),
        )
        key = (config.id, business_day)
        if batch.key not in (None, key):
            batch.flush()  # opening this day's session may close the batch's session
        vals = self._prepare_sale_order(sale, shop, config, lookups, business_day)
        batch.add(key, (record, vals))
        return "created"

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

    def _sale_register(self, sale, lookups):
        return lookups.registers.get(sale.register_id or "", self.env["lightspeed.register"])

    def _pos_config(self, sale, shop, lookups):
        """The register's point of sale override, else the shop's."""
        return self._sale_register(sale, lookups).pos_config_id or shop.pos_config_id

    def _resolve(self, sale, shop, session, business_day, lookups):
        backend = shop.backend_id
        register = self._sale_register(sale, lookups)
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
        resolved.payment_methods = self._resolve_payment_methods(sale, session.config_id, lookups)
        resolved.refunded_lines = self._resolve_refunded_lines(backend, lines)
        resolved.deposit_product_id = self._resolve_deposit_product(sale, backend, lookups)
        resolved.tip_product_id = self._resolve_tip_product(sale, backend, lookups)
        resolved.partner_id = self._resolve_partner(backend, sale, resolved.refunded_lines)
        return resolved

    # --- customers (contacts: lightspeed.customer) --- #

    def _resolve_partner(self, backend, sale, refunded_lines):
        """The contact of the sale's customer, bound on the fly from the customer the sale
        embeds when the connector has not met it yet; a refund naming no customer keeps the
        contact of the sale it refunds."""
        partner = self.env["lightspeed.customer"]._sale_partner(backend, sale)
        if not partner and refunded_lines:
            lines = self.env["pos.order.line"].browse(list(refunded_lines.values()))
            partner = lines.order_id.partner_id[:1]
        return partner.id or None

    def _update_sale_partner(self, backend, sale):
        """A customer attached to, changed on or removed from an imported sale: every order
        of the sale (with its reversals and corrections) follows; nothing is rebooked."""
        refunded = self._resolve_refunded_lines(backend, importable_lines(sale))
        partner_id = self._resolve_partner(backend, sale, refunded) or False
        orders = self.env["pos.order"].search(
            [("lightspeed_backend_id", "=", backend.id), ("lightspeed_sale_id", "=", sale.sale_id)]
        )
        orders.filtered(lambda o: o.partner_id.id != partner_id).write({"partner_id": partner_id})

    def _resolve_deposit_product(self, sale, backend, lookups):
        """Gift-card top-ups and credit-account deposits are owed to the customer, not
        revenue: they are booked on the backend's deposit product (a liability account)."""
        if not sale.deposit_payments:
            return None
        if not lookups.deposit_product:
            raise SaleMappingError(
                _(
                    "Sale %(sale)s puts %(amount)s on a gift card or credit account. Set the "
                    "deposit product on backend %(backend)s (a service whose income account is "
                    "a liability, e.g. Customer deposits), then retry.",
                    sale=sale.sale_id,
                    amount=sum(-p.amount for p in sale.deposit_payments),
                    backend=backend.name,
                )
            )
        return lookups.deposit_product.id

    def _resolve_tip_product(self, sale, backend, lookups):
        """Tips are collected for the staff, not earned: they are booked on the backend's tip
        product (a liability account, e.g. Tips payable), like deposits."""
        if not sale.tip_payments:
            return None
        if not lookups.tip_product:
            raise SaleMappingError(
                _(
                    "Sale %(sale)s carries %(amount)s of tips. Set the tip product on backend "
                    "%(backend)s (a service whose income account is a liability, e.g. Tips "
                    "payable), then retry.",
                    sale=sale.sale_id,
                    amount=sale.tips,
                    backend=backend.name,
                )
            )
        return lookups.tip_product.id

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
                        # Which tax to create or map (and why none was created): lightspeed_tax.
                        raise SaleMappingError(
                            self.env["lightspeed.tax"]._unmapped_rate_message(
                                lookups.shops[sale.shop_id].backend_id,
                                percent,
                                sale.is_tax_inclusive,
                                sale.sale_id,
                            )
                        )
                    tax_ids.append(match.tax_id.id)
            taxes[line.sale_line_id] = tax_ids
        return taxes

    def _resolve_payment_methods(self, sale, config, lookups):
        types = lookups.payment_types
        shop = lookups.shops[sale.shop_id]
        methods = {}
        for payment in sale.tender_payments:
            ptype = types.get(payment.payment_type_id or "")
            if ptype and ptype.is_cash and config != shop.pos_config_id:
                # Odoo gives each point of sale a cash method (and journal) of its own: a
                # register override keeps its cash in its own drawer.
                method = config.payment_method_ids.filtered("is_cash_count")[:1]
                if not method:
                    raise SaleMappingError(
                        _(
                            "Point of sale %(config)s (register override) has no cash payment "
                            "method for the cash of sale %(sale)s; add one, then retry.",
                            config=config.name,
                            sale=sale.sale_id,
                        )
                    )
            else:
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
            if method not in config.payment_method_ids:
                config.payment_method_ids = [(4, method.id)]
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

    def _prepare_sale_order(self, sale, shop, config, lookups, business_day):
        session = self.env["pos.session"]._lightspeed_session(config, shop, business_day)
        resolved = self._resolve(sale, shop, session, business_day, lookups)
        header = prepare_pos_order_vals(sale, resolved)
        lines, payments = self._prepare_lines_and_payments(sale, resolved)
        return self._prepare_paid_order(
            session, header, lines, payments, expected_total(sale), lookups.line_amounts
        )

    def _prepare_lines_and_payments(self, sale, resolved):
        lines = [prepare_order_line_vals(line, resolved) for line in importable_lines(sale)]
        lines += [prepare_deposit_line_vals(p, resolved) for p in sale.deposit_payments]
        lines += [prepare_tip_line_vals(p, resolved) for p in sale.tip_payments]
        payments = [prepare_payment_vals(p, resolved) for p in sale.tender_payments]
        return lines, payments

    def _prepare_paid_order(self, session, header, lines, payments, total, amounts=None):
        """Complete values of a paid order whose total is Lightspeed's, to the cent.

        Line amounts come from Odoo's tax engine, as the session closing recomputes them. A
        difference of at most a cent per line against what Lightspeed collected (it rounds per
        sale, Odoo per line) becomes an explicit rounding line; anything larger fails the sale
        with a clear message, so a session never closes unbalanced.
        """
        currency = session.currency_id
        amounts = {} if amounts is None else amounts
        line_vals = [self._with_amounts(vals, session, amounts) for vals in lines]
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

    def _with_amounts(self, vals, session, amounts):
        """Line values with Odoo's subtotals (what the session closing will recompute);
        ``amounts`` remembers them per taxes, price, quantity and currency."""
        tax_ids = tuple(vals["tax_ids"][0][2]) if vals.get("tax_ids") else ()
        price = vals["price_unit"] * (1 - (vals.get("discount") or 0.0) / 100.0)
        key = (tax_ids, price, vals["qty"], session.currency_id.id)
        if key not in amounts:
            if tax_ids:
                taxes = self.env["account.tax"].browse(tax_ids)
                res = taxes.compute_all(price, session.currency_id, vals["qty"])
                amounts[key] = (res["total_excluded"], res["total_included"])
            else:
                subtotal = session.currency_id.round(price * vals["qty"])
                amounts[key] = (subtotal, subtotal)
        subtotal, subtotal_incl = amounts[key]
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
                # a reversed tip or deposit stays one (the KPIs leave them out of sales); sale
                # lines do not repeat their id, which finds the line a refund returns
                "lightspeed_line_id": line.lightspeed_line_id
                if (line.lightspeed_line_id or "").startswith(NOT_SALES_LINE_PREFIXES)
                else False,
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

    def _process_void(self, record, sale, shop, order):
        if not order:
            record._mark_skipped(
                _(
                    "Sale %(sale)s was voided in Lightspeed before it was imported.",
                    sale=sale.sale_id,
                )
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
        record._mark_done(reversal)
        return "updated"

    def _adjustment_session(self, shop, order):
        """Where a void or a correction is booked: in the original day while its session is
        still open (the day then matches Lightspeed's own figures), otherwise today."""
        if order.session_id.state == "opened":
            return order.session_id, order.lightspeed_business_date, order.date_order
        now = fields.Datetime.now()
        business_day = self._business_date(shop, now=now)
        session = self.env["pos.session"]._lightspeed_session(order.config_id, shop, business_day)
        return session, business_day, now

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
            "partner_id": order.partner_id.id,  # reversals and corrections keep the customer
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
        new_lines, new_payments = self._prepare_lines_and_payments(sale, resolved)
        key = f"{sale.sale_id}/c{len(orders)}"
        return self._create_reversal(
            shop, sale, order, orders, key, "correction", new_lines, new_payments, where
        )

    # === SESSIONS === #

    def _business_date(self, shop, sale=None, now=None):
        moment = (sale.complete_time or sale.change_stamp) if sale else now
        return business_date(moment, shop.get_zoneinfo(), shop.backend_id.day_cutoff_hour)
