# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hashlib
import logging
import secrets
from contextlib import contextmanager
from datetime import timedelta
from functools import partial

import psycopg2

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_datetime

from .. import const
from ..api import (
    AuthenticationError,
    LightspeedClient,
    LightspeedError,
    LightspeedOAuth,
    RateLimitError,
    ReauthorizationRequired,
    TokenSet,
)
from ..tools import to_aware_utc, to_naive_utc

_logger = logging.getLogger(__name__)

# An escrowed pair nobody claimed is dead after this long: Lightspeed expires unused refresh tokens.
ESCROW_DAYS = 30


def _token_digest(refresh_token):
    """What an escrow row is found by: never the token itself."""
    return hashlib.sha256(refresh_token.encode()).hexdigest()


class LightspeedBackend(models.Model):
    """One Lightspeed Retail (R-Series) account connected to one Odoo company."""

    _name = "lightspeed.backend"
    _description = "Lightspeed Backend"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "name, id"

    name = fields.Char(required=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, tracking=True
    )
    active = fields.Boolean(default=True)
    state = fields.Selection(
        [
            ("draft", "Not connected"),
            ("connected", "Connected"),
            ("reauth_needed", "Re-authorisation needed"),
            ("disabled", "Disabled"),
        ],
        default="draft",
        required=True,
        readonly=True,
        tracking=True,
        copy=False,
    )
    api_url = fields.Char(string="API URL", required=True, default=const.DEFAULT_API_URL)
    auth_url = fields.Char(
        string="Authorization URL", required=True, default=const.DEFAULT_AUTH_URL
    )
    scope = fields.Char(required=True, default=const.DEFAULT_SCOPE)
    client_id = fields.Char(string="Client ID", copy=False, tracking=True)
    # Stored for the code, never rendered: forms show ``new_client_secret`` and the status.
    client_secret = fields.Char(groups="base.group_system", copy=False)
    account_id = fields.Char(string="Account ID", copy=False, readonly=True, tracking=True)
    redirect_uri = fields.Char(
        string="Redirect URI",
        compute="_compute_redirect_uri",
        help="Register this address as the redirect URI of your Lightspeed API client.",
    )

    # Write-only inputs (forms and XML-RPC): they always read empty, for everybody, and an empty
    # value keeps what is stored. The pair itself lives on lightspeed.oauth.token (see that
    # model for why); code reads it there, with sudo.
    new_client_secret = fields.Char(
        string="Client secret",
        compute="_compute_secret_inputs",
        inverse="_inverse_secret_inputs",
        groups="base.group_system",
        help="Paste the client secret to set or replace it; it is never shown again.",
    )
    access_token = fields.Char(
        compute="_compute_secret_inputs",
        inverse="_inverse_secret_inputs",
        groups="base.group_system",
    )
    refresh_token = fields.Char(
        compute="_compute_secret_inputs",
        inverse="_inverse_secret_inputs",
        groups="base.group_system",
        help="Paste a refresh token for a headless setup: saving validates it with a real "
        "refresh and stores the rotated pair. It is never shown again.",
    )
    client_secret_status = fields.Selection(
        [("set", "Set"), ("not_set", "Not set")],
        string="Client secret status",
        compute="_compute_client_secret_status",
    )
    token_status = fields.Char(string="Stored token", compute="_compute_tokens")
    token_expires_at = fields.Datetime(string="Token expires", compute="_compute_tokens")
    has_refresh_token = fields.Boolean(compute="_compute_tokens")
    oauth_state = fields.Char(groups="base.group_system", copy=False)
    oauth_code_verifier = fields.Char(groups="base.group_system", copy=False)
    oauth_state_expires_at = fields.Datetime(groups="base.group_system", copy=False)

    authorized_user_id = fields.Many2one(
        "res.users", string="Authorised by", readonly=True, copy=False, tracking=True
    )
    authorized_at = fields.Datetime(string="Authorised on", readonly=True, copy=False)
    lightspeed_user_id = fields.Char(
        string="Lightspeed user",
        readonly=True,
        copy=False,
        help="Lightspeed user (token 'sub') who approved the connection. If that user is "
        "locked or archived in Lightspeed, the connection stops and must be re-authorised.",
    )
    last_error = fields.Text(readonly=True, copy=False)

    # Import options (defaults come from the Settings page).
    correction_window_days = fields.Integer(
        string="Correction window (days)",
        default=lambda self: self._default_param(const.PARAM_CORRECTION_DAYS, 2),
        help="Every sales import re-reads this many recent days, so late edits, voids and "
        "backdated sales are picked up.",
    )
    initial_import_days = fields.Integer(
        string="First import (days)",
        default=lambda self: self._default_param(const.PARAM_INITIAL_DAYS, 3),
        help="How many days of history the first sales import fetches.",
    )
    clock_in_window_days = fields.Integer(
        string="Clock-in window (days)",
        default=lambda self: self._default_param(const.PARAM_CLOCK_IN_DAYS, 7),
        help="Clock-ins are re-read over this rolling window on every run.",
    )
    day_cutoff_hour = fields.Integer(
        string="Business day starts at (hour, 0-23)",
        default=0,
        help="Local hour (shop time zone) at which a business day starts; sales before it "
        "belong to the previous day.",
    )
    create_missing_employees = fields.Boolean(
        help="Create an employee in Odoo for every Lightspeed employee that matches none."
    )
    create_missing_taxes = fields.Boolean(
        default=True, help="Create an Odoo sales tax for Lightspeed rates that match none."
    )
    create_missing_products = fields.Boolean(
        default=True, help="Create a product from the Lightspeed item when none matches."
    )
    update_stock_at_closing = fields.Boolean(
        default=True,
        help="Move stock once when the session closes (fast). Off: one picking per order.",
    )
    sales_cursor = fields.Datetime(
        string="Sales read up to",
        readonly=True,
        copy=False,
        help="Change stamp of the last staged sale.",
    )
    last_metadata_sync_at = fields.Datetime(string="Metadata read on", readonly=True, copy=False)

    shop_ids = fields.One2many("lightspeed.shop", "backend_id")
    register_ids = fields.One2many("lightspeed.register", "backend_id")
    employee_ids = fields.One2many("lightspeed.employee", "backend_id")
    payment_type_ids = fields.One2many("lightspeed.payment.type", "backend_id")
    tax_ids = fields.One2many("lightspeed.tax", "backend_id")
    shop_count = fields.Integer(compute="_compute_counts")
    employee_count = fields.Integer(compute="_compute_counts")
    payment_type_count = fields.Integer(compute="_compute_counts")
    register_count = fields.Integer(compute="_compute_counts")
    tax_count = fields.Integer(compute="_compute_counts")
    sync_record_count = fields.Integer(compute="_compute_counts")
    sync_error_count = fields.Integer(compute="_compute_counts")

    _sql_constraints = [
        (
            "account_company_uniq",
            "unique(account_id, company_id)",
            "This Lightspeed account already has a backend in this company.",
        ),
        (
            "cutoff_hour_range",
            "CHECK(day_cutoff_hour >= 0 AND day_cutoff_hour < 24)",
            "The day cut-off hour must be between 0 and 23.",
        ),
    ]

    # === DEFAULTS AND COMPUTES === #

    @api.model
    def _default_param(self, key, default):
        value = self.env["ir.config_parameter"].sudo().get_param(key)
        try:
            return int(value) if value not in (None, False, "") else default
        except ValueError:
            return default

    # The value comes from web.base.url, which is no field: company_id (every backend has one,
    # a new one by default) makes the form compute it on a new record too.
    @api.depends("company_id")
    def _compute_redirect_uri(self):
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for backend in self:
            backend.redirect_uri = base_url.rstrip("/") + const.CALLBACK_PATH

    def _token_record(self):
        self.ensure_one()
        return (
            self.env["lightspeed.oauth.token"]
            .sudo()
            .search([("backend_id", "=", self.id)], limit=1)
        )

    @api.depends_context("lang", "tz")  # token_status shows a date
    def _compute_tokens(self):
        tokens = (
            self.env["lightspeed.oauth.token"]
            .sudo()
            .search([("backend_id", "in", self.ids)])
            .grouped("backend_id")
        )
        for backend in self:
            token = tokens.get(backend._origin or backend)
            backend.has_refresh_token = bool(token and token.refresh_token)
            backend.token_expires_at = token.expires_at if token else False
            backend.token_status = backend._describe_token(token)

    def _describe_token(self, token):
        """Whether a pair is stored and when it was obtained: never a part of it."""
        if not token or not token.refresh_token:
            return _("No token stored")
        if not token.refreshed_at:
            return _("Token stored")
        return _(
            "Token stored, last refreshed on %(date)s",
            date=format_datetime(self.env, token.refreshed_at),
        )

    @api.depends("client_secret")
    def _compute_client_secret_status(self):
        for backend in self:
            backend.client_secret_status = "set" if backend.sudo().client_secret else "not_set"

    def _compute_secret_inputs(self):
        # Write-only, even for administrators and sudo: a form or a read() must never carry a
        # secret back. Code that needs them reads client_secret or lightspeed.oauth.token.
        self.new_client_secret = self.access_token = self.refresh_token = False

    def _inverse_secret_inputs(self):
        """Store what was pasted; an empty input keeps the stored value.

        One inverse for the three inputs, so whatever the order of the values, the client
        secret is stored before a pasted refresh token is exchanged with it. Odoo runs it once
        the row exists and the other values of the save are in the cache, so the exchange uses
        the URLs, client and company being saved.
        """
        for backend in self:
            secret = (backend.new_client_secret or "").strip()
            access = (backend.access_token or "").strip()
            pasted = (backend.refresh_token or "").strip()
            # Reading the inputs again must give False, not the pasted values (web_save reads
            # the record back in the same transaction).
            backend.invalidate_recordset(["new_client_secret", "access_token", "refresh_token"])
            if secret:
                backend.client_secret = secret
            if access:
                backend._store_token_vals({"access_token": access})
            if pasted and pasted != backend._token_record().refresh_token:
                backend._connect_with_pasted_token(pasted)

    def _compute_counts(self):
        def count_by_backend(model, domain=()):
            groups = self.env[model]._read_group(
                [("backend_id", "in", self.ids), *domain], ["backend_id"], ["__count"]
            )
            return {backend.id: count for backend, count in groups}

        shops = count_by_backend("lightspeed.shop")
        employees = count_by_backend("lightspeed.employee")
        payment_types = count_by_backend("lightspeed.payment.type")
        registers = count_by_backend("lightspeed.register")
        taxes = count_by_backend("lightspeed.tax")
        records = count_by_backend("lightspeed.sync.record")
        errors = count_by_backend("lightspeed.sync.record", [("state", "=", "error")])
        for backend in self:
            backend.shop_count = shops.get(backend.id, 0)
            backend.employee_count = employees.get(backend.id, 0)
            backend.payment_type_count = payment_types.get(backend.id, 0)
            backend.register_count = registers.get(backend.id, 0)
            backend.tax_count = taxes.get(backend.id, 0)
            backend.sync_record_count = records.get(backend.id, 0)
            backend.sync_error_count = errors.get(backend.id, 0)

    # === CLIENT AND TOKENS === #

    def _get_oauth(self):
        self.ensure_one()
        backend = self.sudo()
        if not backend.client_id or not backend.client_secret:
            raise UserError(
                _("Set the client ID and client secret of backend %(name)s first.", name=self.name)
            )
        return LightspeedOAuth(
            backend.auth_url,
            backend.client_id,
            backend.client_secret,
            redirect_uri=backend.redirect_uri,
            scope=backend.scope,
        )

    def _read_token(self):
        token = self._token_record()
        if not token or not token.refresh_token:
            return None
        return TokenSet(
            token.access_token or "", token.refresh_token, to_aware_utc(token.expires_at)
        )

    def _get_client(self, token=None, refresher=None):
        """A client for this backend; ``token`` overrides the stored pair (just obtained), and
        ``refresher`` the stored-pair refresh (a pair that is not stored yet)."""
        self.ensure_one()
        token = token or self._read_token()
        if not token:
            raise UserError(_("Backend %(name)s is not connected to Lightspeed.", name=self.name))
        if not self.account_id:
            raise UserError(_("Backend %(name)s has no Lightspeed account ID.", name=self.name))
        return LightspeedClient(
            self.api_url,
            self.account_id,
            token,
            oauth=self._get_oauth(),
            refresher=refresher or self._refresh_access_token,
        )

    def _token_cursor(self):
        """A new transaction for token writes; it commits on its own, whatever the caller does."""
        return self.env.registry.cursor()

    @staticmethod
    def _token_vals(token):
        return {
            "access_token": token.access_token,
            "refresh_token": token.refresh_token,
            "expires_at": to_naive_utc(token.expires_at),
            "refreshed_at": fields.Datetime.now(),
        }

    def _invalidate_token_fields(self):
        self.env["lightspeed.oauth.token"].invalidate_model()
        self.invalidate_recordset(["token_status", "token_expires_at", "has_refresh_token"])

    def _save_token(self, token):
        """Persist a token pair at once, in its own committed transaction."""
        self.ensure_one()
        with self._token_cursor() as cr:
            row = self._lock_token_row(cr)
            env = api.Environment(cr, SUPERUSER_ID, {})
            vals = self._token_vals(token)
            if row:
                env["lightspeed.oauth.token"].browse(row[0]).write(vals)
            else:
                env["lightspeed.oauth.token"].create(dict(vals, backend_id=self.id))
        self._invalidate_token_fields()

    def _store_token_vals(self, vals):
        """Write on this backend's token row in the *current* transaction (it may be the one
        creating the backend, which no other transaction can see yet)."""
        self.ensure_one()
        token = self._token_record()
        if token:
            token.write(vals)
        else:
            self.env["lightspeed.oauth.token"].sudo().create(dict(vals, backend_id=self.id))
        self._invalidate_token_fields()

    def _refresh_access_token(self, stale_token):
        """Refresher handed to the client: one refresh per expiry, across workers.

        The token row is locked (``FOR NO KEY UPDATE``) in a new transaction: a second worker
        waits, then finds a different access token and uses it instead of refreshing again. The
        rotated pair is committed before the client uses it, so it survives a rollback of the
        import that asked for it.
        """
        self.ensure_one()
        backend_id = self.id
        with self._token_cursor() as cr:
            row = self._lock_token_row(cr)
            env = api.Environment(cr, SUPERUSER_ID, dict(self.env.context))
            backend = env["lightspeed.backend"].browse(backend_id)
            if row and row[1] and stale_token is not None and row[1] != stale_token.access_token:
                _logger.info("Lightspeed[%s]: token already refreshed by another worker", self.name)
                return TokenSet(row[1], row[2], to_aware_utc(row[3]))
            try:
                if not row or not row[2]:
                    raise ReauthorizationRequired("no refresh token stored")
                token = backend._get_oauth().refresh(row[2])
            except ReauthorizationRequired as exc:
                backend._mark_reauth_needed(str(exc))
                # keep the state change although the caller fails and rolls back
                cr.commit()  # pylint: disable=invalid-commit
                raise
            env["lightspeed.oauth.token"].browse(row[0]).write(self._token_vals(token))
            _logger.info("Lightspeed[%s]: access token refreshed", self.name)
        self._invalidate_token_fields()
        return token

    def _lock_token_row(self, cr):
        """Lock and return this backend's token row ``(id, access, refresh, expires_at)``.

        Odoo transactions are REPEATABLE READ: a worker that waited for the lock while a peer
        rotated the pair gets a serialization error; it then retries in a new transaction,
        which sees the rotated pair. The backend row is checked first because a failing INSERT
        would make Odoo log the query, tokens included.
        """
        for attempt in range(3):
            try:
                cr.execute("SET LOCAL lock_timeout = '30s'")
                cr.execute(
                    "SELECT 1 FROM lightspeed_backend WHERE id = %s FOR KEY SHARE",
                    [self.id],
                    log_exceptions=False,
                )
                if not cr.fetchone():
                    raise UserError(_("Save the backend before connecting it."))
                cr.execute(
                    """SELECT id, access_token, refresh_token, expires_at
                         FROM lightspeed_oauth_token WHERE backend_id = %s FOR NO KEY UPDATE""",
                    [self.id],
                    log_exceptions=False,
                )
                return cr.fetchone()
            except psycopg2.errors.SerializationFailure:
                if attempt == 2:
                    raise
                cr.rollback()
        return None

    # === PASTED REFRESH TOKEN (headless setup) === #

    def _connect_with_pasted_token(self, pasted):
        """Exchange a pasted refresh token, then connect with the pair Lightspeed returns.

        Lightspeed revokes the pasted token as it answers, while nothing of this save is
        committed yet (in a create, no other transaction even sees the backend). So the new
        pair is committed first, on its own, as an escrow row, and only then used; it goes on
        the backend's own token row in the current transaction, and the escrow is dropped once
        that transaction has committed. Whatever fails in between, here or later in the same
        save (account already connected by another backend, metadata sync, a constraint at
        flush, the caller's own code), rolls the save back but not the escrow: saving again
        with the same pasted token redeems the escrowed pair instead of sending Lightspeed the
        revoked token. Refreshing through the backend's token row (``_save_token``,
        ``_refresh_access_token``) cannot work here: their transaction sees neither a backend
        being created nor the URLs and client being saved.
        """
        self.ensure_one()
        digest = _token_digest(pasted)
        with self._lightspeed_errors(), self._pasted_token_errors():
            in_hand = [self._redeem_pasted_token(pasted, digest)]

        def refresher(_stale):
            # A refresh the client needs during this save goes through the escrow as well.
            in_hand[0] = self._redeem_pasted_token(pasted, digest)
            return in_hand[0]

        try:
            self._on_connected(in_hand[0], token_in_hand=in_hand[0], refresher=refresher)
        except UserError as exc:
            _logger.warning(
                "Lightspeed[%s]: connecting with the pasted token failed; its new pair is kept "
                "in escrow",
                self.name,
            )
            raise UserError(
                _(
                    "%(error)s\n\nThe token Lightspeed issued for the pasted refresh token is "
                    "kept: fix the problem, then save again with the same pasted refresh token.",
                    error=exc.args[0],
                )
            ) from exc
        self._store_token_vals(dict(self._token_vals(in_hand[0]), pasted_digest=digest))
        self.env.cr.postcommit.add(partial(self._drop_escrow, self.env.registry, digest))

    def _redeem_pasted_token(self, pasted, digest):
        """Refresh the pasted token, or the pair a failed save escrowed for it, and commit the
        new pair as the escrow row before returning it.

        The OAuth client comes from the current transaction (the values being saved); only the
        escrow is written in a transaction of its own.
        """
        oauth = self._get_oauth()
        with self._token_cursor() as cr:
            escrow = self._lock_escrow_row(cr, digest)
            token = oauth.refresh(escrow[1] if escrow else pasted)
            Token = api.Environment(cr, SUPERUSER_ID, {})["lightspeed.oauth.token"]
            vals = dict(self._token_vals(token), pasted_digest=digest)
            if escrow:
                Token.browse(escrow[0]).write(vals)
                _logger.info("Lightspeed[%s]: pasted token redeemed from its escrow", self.name)
            else:
                Token.create(vals)
        return token

    @staticmethod
    def _lock_escrow_row(cr, digest):
        """Lock and return the escrow ``(id, refresh_token)`` of a pasted token, if any.

        An escrow whose digest is also on a backend's row was handed over to it (the drop after
        the commit did not run): that pair belongs to the backend, never redeem it again.
        """
        cr.execute("SET LOCAL lock_timeout = '30s'")
        cr.execute(
            """SELECT escrow.id, escrow.refresh_token
                 FROM lightspeed_oauth_token escrow
                WHERE escrow.backend_id IS NULL
                  AND escrow.pasted_digest = %(digest)s
                  AND escrow.refresh_token IS NOT NULL
                  AND NOT EXISTS (
                        SELECT 1 FROM lightspeed_oauth_token handed
                         WHERE handed.pasted_digest = %(digest)s
                           AND handed.backend_id IS NOT NULL)
                ORDER BY escrow.id DESC
                LIMIT 1
                  FOR UPDATE OF escrow""",
            {"digest": digest},
        )
        return cr.fetchone()

    @staticmethod
    def _drop_escrow(registry, digest):
        """After the commit that handed an escrowed pair over to its backend: drop the copy."""
        try:
            with registry.cursor() as cr:
                cr.execute(
                    "DELETE FROM lightspeed_oauth_token "
                    "WHERE backend_id IS NULL AND pasted_digest = %s",
                    [digest],
                )
        except psycopg2.Error:
            # The save is committed already; a leftover is never redeemed (see
            # _lock_escrow_row) and the keep-alive cron drops it.
            _logger.warning("Lightspeed: could not drop a handed-over token escrow", exc_info=True)

    @contextmanager
    def _pasted_token_errors(self):
        """Say what to do when Lightspeed refuses a pasted token (not a re-authorisation)."""
        try:
            yield
        except ReauthorizationRequired as exc:
            raise UserError(
                _(
                    "Lightspeed refused the pasted refresh token (%(reason)s): it was revoked, "
                    "already used, or left unused for 30 days. Paste a new one, or click "
                    "Connect to Lightspeed.",
                    reason=exc,
                )
            ) from exc

    def _mark_reauth_needed(self, reason):
        """Stop the crons for this backend and tell an administrator what to do."""
        self.ensure_one()
        self.write({"state": "reauth_needed", "last_error": reason})
        summary = _("Re-authorise the Lightspeed connection")
        note = _(
            "Lightspeed refused the stored token (%(reason)s). This happens when the Lightspeed "
            "user who approved the connection was locked, archived or lost admin rights, or when "
            "the token was revoked. Open the backend and click Connect to Lightspeed, logging "
            "in with an owner or admin account that will stay active. Mappings and import "
            "cursors are kept.",
            reason=reason,
        )
        self.message_post(body=note, subject=summary)
        user = self.authorized_user_id or self.env.ref("base.user_admin", raise_if_not_found=False)
        activity_type = self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
        if (
            user
            and activity_type
            and not self.activity_ids.filtered(
                lambda a: a.activity_type_id == activity_type and a.summary == summary
            )
        ):
            self.activity_schedule(
                activity_type_id=activity_type.id, summary=summary, note=note, user_id=user.id
            )
        _logger.warning("Lightspeed[%s]: re-authorisation needed", self.name)

    @contextmanager
    def _lightspeed_errors(self):
        """Turn client errors into clear, translated UserErrors for buttons and XML-RPC."""
        try:
            yield
        except ReauthorizationRequired as exc:
            raise UserError(
                _(
                    "Lightspeed no longer accepts the connection of backend %(name)s "
                    "(%(reason)s). Click Connect to Lightspeed to re-authorise it.",
                    name=self.name,
                    reason=exc,
                )
            ) from exc
        except RateLimitError as exc:
            raise UserError(
                _("Lightspeed rate limit reached; try again in a minute. (%(err)s)", err=exc)
            ) from exc
        except AuthenticationError as exc:
            raise UserError(
                _(
                    "Lightspeed refused the request: %(err)s. Check the client ID and secret, "
                    "and that the connection was granted the scopes %(scope)s.",
                    err=exc,
                    scope=self.scope,
                )
            ) from exc
        except LightspeedError as exc:
            raise UserError(_("Lightspeed error: %(err)s", err=exc)) from exc

    # === ACTIONS === #

    def action_connect(self):
        """Send the administrator to Lightspeed's authorize page."""
        self.ensure_one()
        oauth = self._get_oauth()
        state = secrets.token_urlsafe(32)
        url, state, code_verifier = oauth.authorization_url(state=state)
        self.sudo().write(
            {
                "oauth_state": state,
                "oauth_code_verifier": code_verifier,
                "oauth_state_expires_at": fields.Datetime.now() + timedelta(minutes=15),
            }
        )
        return {"type": "ir.actions.act_url", "url": url, "target": "self"}

    def _complete_authorization(self, code):
        """Exchange the code from the OAuth callback and finish the connection."""
        self.ensure_one()
        backend = self.sudo()
        with self._lightspeed_errors():
            token = backend._get_oauth().exchange_code(
                code, code_verifier=backend.oauth_code_verifier or None
            )
        backend.write(
            {"oauth_state": False, "oauth_code_verifier": False, "oauth_state_expires_at": False}
        )
        self._save_token(token)
        self._on_connected(token, token_in_hand=token)

    def _on_connected(self, token, token_in_hand=None, refresher=None):
        """Discover the account, mark the backend connected and read its metadata.

        ``refresher`` replaces the stored-pair refresh when the pair is not stored yet.
        """
        self.ensure_one()
        refresher = refresher or self._refresh_access_token
        account_id = token.account_id
        client = None
        if not account_id:
            client = LightspeedClient(
                self.api_url,
                "0",
                token_in_hand,
                oauth=self._get_oauth(),
                refresher=refresher,
            )
            with self._lightspeed_errors():
                account_id = client.get_account().account_id
        if self.account_id and self.account_id != str(account_id):
            raise UserError(
                _(
                    "This backend imports Lightspeed account %(old)s, but the connection was "
                    "approved for account %(new)s. Create a new backend for another account.",
                    old=self.account_id,
                    new=account_id,
                )
            )
        duplicate = self.search(
            [
                ("id", "!=", self.id),
                ("account_id", "=", str(account_id)),
                ("company_id", "=", self.company_id.id),
            ],
            limit=1,
        )
        if duplicate:
            raise UserError(
                _(
                    "Lightspeed account %(acc)s is already connected by backend %(other)s.",
                    acc=account_id,
                    other=duplicate.name,
                )
            )
        self.write(
            {
                "account_id": str(account_id),
                "state": "connected",
                "authorized_user_id": self.env.user.id,
                "authorized_at": fields.Datetime.now(),
                "lightspeed_user_id": token.user_id or False,
                "last_error": False,
            }
        )
        summary = _("Re-authorise the Lightspeed connection")
        self.activity_ids.filtered(lambda a: a.summary == summary).action_feedback(
            feedback=_("Connection re-authorised.")
        )
        self.message_post(body=_("Connected to Lightspeed account %(acc)s.", acc=account_id))
        self._sync_metadata(self._get_client(token=token_in_hand, refresher=refresher))

    def action_test_connection(self):
        self.ensure_one()
        with self._lightspeed_errors():
            account = self._get_client().get_account()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "title": _("Connection works"),
                "message": _(
                    "Lightspeed account %(id)s (%(name)s) answered.",
                    id=account.account_id,
                    name=account.name or "",
                ),
                "sticky": False,
            },
        }

    def action_sync_metadata(self):
        """Read shops, registers, employees, payment types and taxes into the mappings."""
        for backend in self:
            backend._check_connected()
            backend._sync_metadata(backend._get_client())
        return True

    def action_disable(self):
        self.write({"state": "disabled"})
        return True

    def action_enable(self):
        for backend in self:
            backend.state = "connected" if backend.has_refresh_token else "draft"
        return True

    def _check_connected(self):
        self.ensure_one()
        if self.state != "connected":
            raise UserError(
                _(
                    "Backend %(name)s is %(state)s; connect it to Lightspeed first.",
                    name=self.name,
                    state=dict(self._fields["state"]._description_selection(self.env))[self.state],
                )
            )

    def _open_related(self, model, name):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": "list,form",
            "domain": [("backend_id", "=", self.id)],
            "context": {"default_backend_id": self.id},
        }

    def action_open_shops(self):
        return self._open_related("lightspeed.shop", _("Shops"))

    def action_open_registers(self):
        return self._open_related("lightspeed.register", _("Registers"))

    def action_open_employees(self):
        return self._open_related("lightspeed.employee", _("Employees"))

    def action_open_payment_types(self):
        return self._open_related("lightspeed.payment.type", _("Payment types"))

    def action_open_taxes(self):
        return self._open_related("lightspeed.tax", _("Taxes"))

    def action_open_sync_records(self):
        return self._open_related("lightspeed.sync.record", _("Sync records"))

    # === CRON === #

    @api.model
    def _cron_keep_tokens_alive(self):
        """Refresh tokens nobody used for a week: unused refresh tokens die after 30 days."""
        self._drop_stale_escrows()
        limit = fields.Datetime.now() - timedelta(days=const.KEEP_ALIVE_DAYS)
        backends = self.search([("state", "=", "connected")])
        for backend in backends:
            token = backend._token_record()
            if token.refreshed_at and token.refreshed_at > limit:
                continue
            try:
                backend._refresh_access_token(None)
            except LightspeedError as exc:
                _logger.warning("Lightspeed[%s]: keep-alive refresh failed: %s", backend.name, exc)

    @api.model
    def _drop_stale_escrows(self):
        """Escrows nobody claimed (their refresh token died at Lightspeed meanwhile), and
        leftovers of escrows that were handed over to a backend."""
        self.env["lightspeed.oauth.token"].flush_model()
        self.env.cr.execute(
            """DELETE FROM lightspeed_oauth_token escrow
                WHERE escrow.backend_id IS NULL
                  AND (escrow.refreshed_at IS NULL
                       OR escrow.refreshed_at < %s
                       OR EXISTS (
                            SELECT 1 FROM lightspeed_oauth_token handed
                             WHERE handed.pasted_digest = escrow.pasted_digest
                               AND handed.backend_id IS NOT NULL))""",
            [fields.Datetime.now() - timedelta(days=ESCROW_DAYS)],
        )
        self.env["lightspeed.oauth.token"].invalidate_model()
