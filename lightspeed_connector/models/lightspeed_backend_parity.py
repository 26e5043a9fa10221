# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Trust without counting: parity entry points, catch-up bookkeeping, the authoriser watch and
the links back to Lightspeed's back office."""

import logging
from datetime import timedelta
from urllib.parse import urlencode

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..tools import business_date

_logger = logging.getLogger(__name__)

DEFAULT_BACKOFFICE_URL = "https://us.merchantos.com"
# Back-office screens of R-Series, by what they show.
BACKOFFICE_VIEWS = {
    "sale": "transaction.views.transaction",
    "clock_in": "employee.views.hours",
    "customer": "customer.views.customer",
}
PAUSED_STATES = ("reauth_needed", "disabled")


class LightspeedBackend(models.Model):
    _inherit = "lightspeed.backend"

    # --- parity --- #
    parity_ids = fields.One2many("lightspeed.parity", "backend_id")
    parity_red_count = fields.Integer(string="Red days", compute="_compute_parity_red_count")

    # --- catch-up --- #
    catch_up_days = fields.Integer(
        string="Catch-up limit (days)",
        default=31,
        help="When a shop's import is switched back on, or the backend is connected again "
        "after a re-authorisation or being disabled, the next sales import fetches the days it "
        "missed, at most this many.",
    )
    paused_at = fields.Datetime(
        readonly=True, copy=False, help="When the backend stopped importing (re-auth, disabled)."
    )
    catch_up_from = fields.Date(
        readonly=True,
        copy=False,
        help="The next sales import also fetches every sale completed since this day.",
    )

    # --- authoriser watch --- #
    authorizer_lightspeed_id = fields.Char(
        string="Authorising employee ID",
        readonly=True,
        copy=False,
        help="Lightspeed employee whose login approved the connection (Session employeeID). "
        "Lightspeed revokes the token when this employee is locked out or archived.",
    )
    authorizer_employee_id = fields.Many2one(
        "lightspeed.employee",
        string="Authorised in Lightspeed by",
        compute="_compute_authorizer_employee_id",
    )
    authorizer_warning = fields.Text(readonly=True, copy=False)

    # --- links back --- #
    backoffice_url = fields.Char(
        string="Back-office URL",
        default=DEFAULT_BACKOFFICE_URL,
        help="Base URL of Lightspeed Retail's back office; links from orders, attendances and "
        "sync records open the sale or shift there.",
    )

    def _compute_parity_red_count(self):
        groups = self.env["lightspeed.parity"]._read_group(
            [("backend_id", "in", self.ids), ("state", "=", "mismatch")],
            ["backend_id"],
            ["__count"],
        )
        counts = {backend.id: count for backend, count in groups}
        for backend in self:
            backend.parity_red_count = counts.get(backend.id, 0)

    @api.depends("authorizer_lightspeed_id", "employee_ids.lightspeed_id")
    def _compute_authorizer_employee_id(self):
        for backend in self:
            backend.authorizer_employee_id = backend.with_context(
                active_test=False
            ).employee_ids.filtered(
                lambda e, b=backend: e.lightspeed_id == b.authorizer_lightspeed_id
            )[:1]

    # === STATE CHANGES: CATCH-UP === #

    def write(self, vals):
        new_state = vals.get("state")
        before = {backend.id: backend.state for backend in self} if new_state else {}
        if new_state == "connected" and "authorized_at" in vals:
            # A new authorisation: the next metadata sync reads who approved it.
            vals = dict(vals, authorizer_lightspeed_id=False, authorizer_warning=False)
        res = super().write(vals)
        if new_state:
            now = fields.Datetime.now()
            for backend in self:
                old = before.get(backend.id)
                if new_state in PAUSED_STATES and old == "connected":
                    super(LightspeedBackend, backend).write({"paused_at": now})
                elif new_state == "connected" and old in PAUSED_STATES and backend.paused_at:
                    super(LightspeedBackend, backend).write(
                        {"catch_up_from": backend._catch_up_start(backend.paused_at)}
                    )
        return res

    def _catch_up_start(self, since):
        """First UTC day to fetch again: the day the import stopped, at most
        ``catch_up_days`` back."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        oldest = today - timedelta(days=max(self.catch_up_days, 0))
        return max(fields.Datetime.to_datetime(since).date(), oldest)

    # === PARITY === #

    def action_check_parity(self, date_from, date_to=None):
        """Check every import-enabled shop, for every business day of ``[date_from, date_to]``
        (ISO dates), against Lightspeed; returns the number of red days of the range.
        Callable over XML-RPC."""
        date_from = fields.Date.to_date(date_from)
        date_to = fields.Date.to_date(date_to) if date_to else date_from
        if date_to < date_from:
            raise UserError(_("The end of the range is before its start."))
        days = {date_from + timedelta(days=n) for n in range((date_to - date_from).days + 1)}
        red = 0
        for backend in self:
            backend._check_connected()
            shops = backend.shop_ids.filtered("import_enabled")
            parity = self.env["lightspeed.parity"]._check(
                backend, shops, {shop: days for shop in shops}
            )
            red += len(parity.filtered(lambda p: p.state == "mismatch"))
        return red

    def _check_parity_window(self):
        """The nightly check: the complete business days of the correction window."""
        self.ensure_one()
        now = fields.Datetime.now()
        shops = self.shop_ids.filtered("import_enabled")
        days = {}
        for shop in shops:
            today = business_date(now, shop.get_zoneinfo(), self.day_cutoff_hour)
            days[shop] = {
                today - timedelta(days=n) for n in range(1, max(self.correction_window_days, 1) + 1)
            }
        return self.env["lightspeed.parity"]._check(self, shops, days)

    @api.model
    def _cron_check_parity(self):
        """Nightly: after the sales import, check the days of the correction window of every
        connected backend, under the sales stream's lock (a running import is not compared
        half-way; its backend is checked the next night)."""
        importer = self.env["lightspeed.sale.importer"]
        backends = self.search([("state", "=", "connected")])
        for done, backend in enumerate(backends, start=1):
            with importer._stream_lock(backend) as acquired:
                if not acquired:
                    _logger.info("Lightspeed[%s]: import running, parity skipped", backend.name)
                    continue
                try:
                    with self.env.cr.savepoint():
                        backend._check_parity_window()
                except UserError as exc:
                    _logger.info("Lightspeed[%s]: parity check stopped: %s", backend.name, exc)
            self.env["ir.cron"]._notify_progress(done=done, remaining=len(backends) - done)
        return True

    def action_open_parity(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "lightspeed_connector.lightspeed_parity_action"
        )
        action["domain"] = [("backend_id", "=", self.id)]
        action["context"] = {"search_default_filter_red": 1}
        return action

    # === AUTHORISER WATCH === #

    def _authorizer_summary(self):
        return _("Lightspeed: the employee who authorised the connection is going away")

    def _watch_authorizer(self, client, employees):
        """Called by every metadata sync with the employees it just read: store who authorised
        the connection (first sync after connecting), and warn while that employee is locked
        out or archived, before Lightspeed revokes the token."""
        self.ensure_one()
        if not self.authorizer_lightspeed_id:
            session = client.get_session()
            if not session.employee_id:
                return
            self.authorizer_lightspeed_id = session.employee_id
        employee = employees.filtered(lambda e: e.lightspeed_id == self.authorizer_lightspeed_id)[
            :1
        ]
        problem = False
        if employee.remote_archived:
            problem = _("archived")
        elif employee.locked:
            problem = _("locked out")
        name = employee.name or self.authorizer_lightspeed_id
        if not problem:
            if self.authorizer_warning:
                self.authorizer_warning = False
                self.activity_ids.filtered(
                    lambda a: a.summary == self._authorizer_summary()
                ).action_feedback(
                    feedback=_("Employee %(name)s is active again in Lightspeed.", name=name)
                )
            return
        warning = _(
            "Lightspeed employee %(name)s, whose login authorised this connection, is "
            "%(problem)s. Lightspeed revokes the connection's token for such an employee and "
            "every import then stops. Before that happens, click Connect to Lightspeed and log "
            "in with an owner or admin employee who will stay active (or reactivate %(name)s in "
            "Lightspeed).",
            name=name,
            problem=problem,
        )
        if warning == self.authorizer_warning:
            return
        self.authorizer_warning = warning
        self.message_post(body=warning, subject=self._authorizer_summary())
        activity_type = self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
        user = self.authorized_user_id or self.env.ref("base.user_admin", raise_if_not_found=False)
        if (
            activity_type
            and user
            and not self.activity_ids.filtered(lambda a: a.summary == self._authorizer_summary())
        ):
            self.activity_schedule(
                activity_type_id=activity_type.id,
                summary=self._authorizer_summary(),
                note=warning,
                user_id=user.id,
            )
        _logger.info("Lightspeed[%s]: authorising employee %s is %s", self.name, name, problem)

    # === LINKS BACK === #

    def _backoffice_link(self, kind, lightspeed_id):
        """URL of a sale / shift / customer in Lightspeed's back office (False if unknown)."""
        self.ensure_one()
        view = BACKOFFICE_VIEWS.get(kind)
        if not (view and lightspeed_id and self.backoffice_url):
            return False
        query = {"name": view, "form_name": "view", "id": lightspeed_id}
        if self.account_id:
            query["accountID"] = self.account_id
        return f"{self.backoffice_url.rstrip('/')}/?{urlencode(query)}"


def _open_url(env, url):
    if not url:
        raise UserError(env._("There is no Lightspeed record to open."))
    return {"type": "ir.actions.act_url", "url": url, "target": "new"}


class LightspeedShop(models.Model):
    _inherit = "lightspeed.shop"

    import_paused_at = fields.Datetime(
        readonly=True, copy=False, help="When this shop's import was switched off."
    )
    catch_up_from = fields.Date(
        readonly=True,
        copy=False,
        help="The next sales import also fetches this shop's sales completed since this day.",
    )

    def write(self, vals):
        if "import_enabled" not in vals:
            return super().write(vals)
        before = {shop.id: shop.import_enabled for shop in self}
        res = super().write(vals)
        now = fields.Datetime.now()
        for shop in self:
            was, is_on = before.get(shop.id), shop.import_enabled
            if was and not is_on:
                super(LightspeedShop, shop).write({"import_paused_at": now})
            elif not was and is_on and shop.import_paused_at:
                super(LightspeedShop, shop).write(
                    {
                        "catch_up_from": shop.backend_id._catch_up_start(shop.import_paused_at),
                        "import_paused_at": False,
                    }
                )
        return res


class PosOrder(models.Model):
    _inherit = "pos.order"

    lightspeed_url = fields.Char(string="Open in Lightspeed", compute="_compute_lightspeed_url")

    @api.depends("lightspeed_backend_id.backoffice_url", "lightspeed_sale_id")
    def _compute_lightspeed_url(self):
        for order in self:
            backend = order.lightspeed_backend_id
            order.lightspeed_url = (
                backend._backoffice_link("sale", order.lightspeed_sale_id) if backend else False
            )

    def action_open_lightspeed(self):
        self.ensure_one()
        return _open_url(self.env, self.lightspeed_url)


class HrAttendance(models.Model):
    _inherit = "hr.attendance"

    lightspeed_url = fields.Char(string="Open in Lightspeed", compute="_compute_lightspeed_url")

    @api.depends("lightspeed_backend_id.backoffice_url", "lightspeed_id")
    def _compute_lightspeed_url(self):
        for attendance in self:
            backend = attendance.lightspeed_backend_id
            attendance.lightspeed_url = (
                backend._backoffice_link("clock_in", attendance.lightspeed_id) if backend else False
            )

    def action_open_lightspeed(self):
        self.ensure_one()
        return _open_url(self.env, self.lightspeed_url)


class LightspeedSyncRecord(models.Model):
    _inherit = "lightspeed.sync.record"

    lightspeed_url = fields.Char(string="Open in Lightspeed", compute="_compute_lightspeed_url")

    @api.depends("backend_id.backoffice_url", "record_type", "lightspeed_id")
    def _compute_lightspeed_url(self):
        for record in self:
            record.lightspeed_url = record.backend_id._backoffice_link(
                record.record_type, record.lightspeed_id
            )

    def action_open_lightspeed(self):
        self.ensure_one()
        return _open_url(self.env, self.lightspeed_url)
