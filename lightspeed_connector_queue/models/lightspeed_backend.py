# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Lightspeed imports as OCA queue_job jobs.

With this addon installed, the scheduled actions and the import buttons queue one job per
backend and stream instead of running the engine in the cron thread or the request; the
backfill wizard queues one job per shop, chunk of days and stream. A job is an ordinary engine
run (``lightspeed.importer._run``): same lock, same run record, same commits and sync records.

Channels: every job goes to its Lightspeed account's channel,
``root.lightspeed.account_<account ID>`` (capacity 1, created the first time), under
``root.lightspeed``. The job also holds an advisory lock per account while it runs, so one
account's jobs never overlap whatever the runner's channel configuration (with server-wide
``channels =`` the runner ignores the capacities stored in the database): a job that finds its
account busy is postponed a few seconds without using up a retry.

Failures: a 429, a 5xx or a network error (the client's ``RetryableError`` behind the engine's
UserError) becomes ``RetryableJobError``, postponed by the 429's ``Retry-After`` or else by the
job function's retry pattern. Jobs of different accounts run in parallel and may collide on
shared rows (stock quants of the customer location at session closing, the phone blacklist): a
serialization failure or a deadlock is retried without using up a retry, a unique violation
after a few seconds. A refused token fails the job with the re-authorisation message, the
backend in *Re-authorisation needed*; records that fail to map stay on their sync records and
the job is done.
"""

import logging
import math
import re
from contextlib import contextmanager
from datetime import timedelta

import psycopg2

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.sql_db import db_connect

from odoo.addons.lightspeed_connector.api import (
    LightspeedError,
    RateLimitError,
    ReauthorizationRequired,
    RetryableError,
)
from odoo.addons.lightspeed_connector.models.lightspeed_importer import error_text
from odoo.addons.queue_job.exception import RetryableJobError

_logger = logging.getLogger(__name__)

CHANNEL_XMLID = "lightspeed_connector_queue.channel_lightspeed"
SALE_IMPORTER = "lightspeed.sale.importer"
CLOCK_IN_IMPORTER = "lightspeed.clock_in.importer"
CUSTOMER_IMPORTER = "lightspeed.customer.importer"
# Hourly imports go before the chunks of a backfill waiting in the same account channel.
PRIORITY_IMPORT = 10
PRIORITY_BACKFILL = 20
# A job whose account (or, for a backfill chunk, stream) is busy waits this long, in seconds,
# drawn at random so that postponed jobs do not all come back at once; no retry is used up.
BUSY_RETRY_SECONDS = (5, 15)


def lightspeed_cause(exc):
    """The API client's error behind ``exc`` (the engine raises a UserError from it)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, LightspeedError):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__
    return None


class LightspeedBackend(models.Model):
    _inherit = "lightspeed.backend"

    # === STREAMS === #

    @api.model
    def _lightspeed_importers(self):
        """``{stream: importer model}`` of every import adapter of the registry: sales,
        clock-ins, the metadata sync and the streams added later, with no list to maintain."""
        registry = self.env.registry
        engine = registry["lightspeed.importer"]
        importers = {}
        for name in sorted(registry):
            model = registry[name]
            if name != engine._name and issubclass(model, engine) and model._stream:
                importers.setdefault(model._stream, name)
        return importers

    @api.model
    def _lightspeed_stream(self, importer_name):
        """The stream of ``importer_name``; refuses a model that is not an import adapter
        (job arguments are data: a job must not call an arbitrary model)."""
        streams = {name: stream for stream, name in self._lightspeed_importers().items()}
        if importer_name not in streams:
            raise UserError(_("%(model)s is not a Lightspeed import adapter.", model=importer_name))
        return streams[importer_name]

    def _lightspeed_stream_label(self, stream):
        selection = self.env["lightspeed.sync.run"]._fields["stream"]
        return dict(selection._description_selection(self.env)).get(stream, stream)

    # === CHANNELS === #

    def _lightspeed_channel_leaf(self):
        """Name of this backend's account channel under ``root.lightspeed``."""
        self.ensure_one()
        account = re.sub(r"[^0-9A-Za-z_]", "_", self.account_id or "") or f"backend{self.id}"
        return f"account_{account}"

    def _lightspeed_job_channel(self):
        """Complete name of the job channel of this backend's Lightspeed account, created with
        a capacity of 1 the first time. Backends of one account (in several companies) share
        it: they share the account's rate limit too."""
        self.ensure_one()
        parent = self.env.ref(CHANNEL_XMLID).sudo()
        leaf = self._lightspeed_channel_leaf()
        Channel = self.env["queue.job.channel"].sudo()
        channel = Channel.search([("parent_id", "=", parent.id), ("name", "=", leaf)], limit=1)
        if not channel:
            channel = Channel.create({"name": leaf, "parent_id": parent.id, "capacity": 1})
        return channel.complete_name

    # === QUEUEING === #

    def _lightspeed_identity_key(self, stream, *details):
        """Identity key of a job: a job with the same key that has not started yet is reused
        instead of queueing a second one."""
        self.ensure_one()
        return ":".join(["lightspeed", str(self.id), stream, *map(str, details)])

    def _lightspeed_enqueue(
        self,
        importer_name,
        identity_key=None,
        priority=PRIORITY_IMPORT,
        description=None,
        job_method="_lightspeed_job_import",
        **kwargs,
    ):
        """Queue one import job of ``importer_name`` for this backend.

        Returns ``(queue.job, created)``: when a job with the same identity key still waits,
        that job and ``False`` (nothing new is queued). ``kwargs`` are the job's arguments
        (JSON-serialisable: dates, ids).
        """
        self.ensure_one()
        stream = self._lightspeed_stream(importer_name)
        delayable = self.with_delay(
            priority=priority,
            channel=self._lightspeed_job_channel(),
            identity_key=identity_key or self._lightspeed_identity_key(stream),
            description=description
            or _(
                "Lightspeed %(stream)s import: %(backend)s",
                stream=self._lightspeed_stream_label(stream),
                backend=self.name,
            ),
        )
        job = getattr(delayable, job_method)(importer_name, **kwargs)
        if isinstance(job, models.BaseModel):
            # queue_job returns the waiting job that has the same identity key
            return job, False
        return job.db_record(), True

    def _lightspeed_enqueue_backfill(
        self, importer_name, shop, date_from, date_to, overwrite_approved=False
    ):
        """Queue the historical import of one shop and one chunk of days for one stream."""
        self.ensure_one()
        stream = self._lightspeed_stream(importer_name)
        details = ["backfill", shop.id, date_from, date_to]
        if overwrite_approved:
            details.append("overwrite")
        return self._lightspeed_enqueue(
            importer_name,
            identity_key=self._lightspeed_identity_key(stream, *details),
            priority=PRIORITY_BACKFILL,
            description=_(
                "Lightspeed historical %(stream)s import: %(backend)s, %(shop)s, "
                "%(start)s – %(end)s",
                stream=self._lightspeed_stream_label(stream),
                backend=self.name,
                shop=shop.name,
                start=date_from,
                end=date_to,
            ),
            job_method="_lightspeed_job_backfill",
            shop_ids=shop.ids,
            date_from=date_from,
            date_to=date_to,
            overwrite_approved=overwrite_approved,
        )

    def _lightspeed_queue_action(self, importer_name, title):
        """What an import button does with this addon: queue a job per backend and say so.
        A new stream's button queues its jobs by returning this."""
        lines = []
        for backend in self:
            backend._check_connected()
            job, created = backend._lightspeed_enqueue(importer_name)
            if created:
                lines.append(
                    _(
                        "%(backend)s: queued in channel %(channel)s; the run appears in Sync "
                        "Runs when the job has run.",
                        backend=backend.name,
                        channel=job.channel or backend._lightspeed_job_channel(),
                    )
                )
            else:
                lines.append(
                    _(
                        "%(backend)s: a job is already waiting (queued on %(date)s); it "
                        "imports the same changes.",
                        backend=backend.name,
                        date=fields.Datetime.to_string(job.date_created),
                    )
                )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "title": title,
                "message": "\n".join(lines),
                "sticky": False,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    # === ENTRY POINTS (replacing the inline runs) === #

    @api.model
    def _cron_run_stream(self, importer_name):
        """Scheduled imports: one job per connected backend for this stream, instead of
        running them one after the other in the cron thread. A backend whose job of the stream
        still waits is not queued twice (identity key)."""
        for backend in self.search([("state", "=", "connected")]):
            backend._lightspeed_enqueue(importer_name)

    def action_import_sales(self):
        return self._lightspeed_queue_action(SALE_IMPORTER, _("Lightspeed sales import queued"))

    def action_import_clock_ins(self):
        action = self._lightspeed_queue_action(CLOCK_IN_IMPORTER, _("Clock-in import queued"))
        if self.env.context.get("lightspeed_no_notification"):
            return True
        return action

    def action_import_customers(self):
        action = self._lightspeed_queue_action(
            CUSTOMER_IMPORTER, _("Lightspeed customers import queued")
        )
        if self.env.context.get("lightspeed_no_notification"):
            return True
        return action

    # === JOBS === #

    def _lightspeed_job_import(self, importer_name, **options):
        """Lightspeed import (queue job): one engine run of one stream for this backend."""
        self.ensure_one()
        skipped = self._lightspeed_job_skip_reason()
        if skipped:
            return skipped
        run = self._lightspeed_job_run(importer_name, options)
        if not run:
            # As the inline cron does: the running import reads the same changes.
            return _(
                "Skipped: another import of this stream was running for %(backend)s.",
                backend=self.name,
            )
        return run.message

    def _lightspeed_job_backfill(
        self, importer_name, shop_ids, date_from, date_to, overwrite_approved=False
    ):
        """Lightspeed historical import (queue job): one shop, one chunk of days, one stream.

        The sales chunk also recomputes the KPI figures of its days, as the inline wizard does
        for each day (even where no sale changed)."""
        self.ensure_one()
        skipped = self._lightspeed_job_skip_reason()
        if skipped:
            return skipped
        shops = self.env["lightspeed.shop"].browse(shop_ids).exists()
        if not shops:
            return _("Skipped: the shop was deleted.")
        options = {"date_from": date_from, "date_to": date_to, "shops": shops}
        context = {}
        sales = importer_name == SALE_IMPORTER
        if sales:
            # the shop's business days, as the wizard previews them (not UTC days)
            options.update(run_type="backfill", business_days=True)
            context["lightspeed_overwrite_approved"] = overwrite_approved
        run = self._lightspeed_job_run(importer_name, options, context=context)
        if not run:
            # A chunk must not be lost: wait for the other run of the stream to end.
            raise RetryableJobError(
                _(
                    "Another %(stream)s import of %(backend)s is running; retried shortly.",
                    stream=self._lightspeed_stream_label(self._lightspeed_stream(importer_name)),
                    backend=self.name,
                ),
                seconds=BUSY_RETRY_SECONDS,
                ignore_retry=True,
            )
        if sales:
            days = [date_from + timedelta(days=n) for n in range((date_to - date_from).days + 1)]
            self.env["lightspeed.kpi.fact"].sudo().with_company(self.company_id)._refresh(
                shops, days, overwrite_approved=overwrite_approved
            )
        return run.message

    def _lightspeed_job_skip_reason(self):
        """Why a job of this backend does nothing (disabled, archived, never connected); a
        backend that lost its connection fails the job with the re-authorisation message."""
        if self.state == "reauth_needed":
            raise UserError(self._lightspeed_reauth_message(self.last_error or ""))
        if self.state != "connected" or not self.active:
            states = dict(self._fields["state"]._description_selection(self.env))
            return _(
                "Skipped: backend %(backend)s is not connected (%(state)s).",
                backend=self.name,
                state=states[self.state] if self.active else _("archived"),
            )
        return None

    def _lightspeed_reauth_message(self, reason):
        return _(
            "Lightspeed no longer accepts the connection of backend %(name)s (%(reason)s). "
            "Click Connect to Lightspeed to re-authorise it.",
            name=self.name,
            reason=reason,
        )

    def _lightspeed_job_run(self, importer_name, options, context=None):
        """One engine run inside a job, under the account lock; returns the run, or an empty
        recordset when another run of the stream holds the engine's lock."""
        self.ensure_one()
        importer = self.env[importer_name]
        self._lightspeed_stream(importer_name)
        if context:
            importer = importer.with_context(**context)
        with self._lightspeed_account_lock() as acquired:
            if not acquired:
                raise RetryableJobError(
                    _(
                        "Another job of Lightspeed account %(account)s is running; retried "
                        "shortly.",
                        account=self.account_id,
                    ),
                    seconds=BUSY_RETRY_SECONDS,
                    ignore_retry=True,
                )
            try:
                return importer._run(self, busy="skip", **options)
            except UserError as exc:
                retry = self._lightspeed_retryable(exc)
                if retry:
                    raise retry from exc
                self._lightspeed_note_refused_token(exc)
                raise
            except psycopg2.errors.TransactionRollbackError as exc:
                # Jobs of different accounts run at the same time and update the same rows:
                # two POS sessions of a company closing together move stock into the same
                # customer-location quants. The job lost only its current page or chunk; it
                # waits for the other one, without using up a retry (it is no failure of its
                # own; queue_job would retry it after 5 s and count it).
                raise RetryableJobError(
                    _(
                        "Concurrent update (%(error)s); retried shortly.",
                        error=exc.diag.message_primary,
                    ),
                    seconds=BUSY_RETRY_SECONDS,
                    ignore_retry=True,
                ) from exc
            except psycopg2.errors.UniqueViolation as exc:
                # Jobs of different accounts may insert the same shared row at once (a number
                # on the phone blacklist...): the retry finds the other job's row committed.
                # Counted: a unique violation that comes back every time is a bug.
                raise RetryableJobError(
                    _(
                        "Concurrent insert (%(error)s); retried shortly.",
                        error=exc.diag.message_primary,
                    ),
                    seconds=BUSY_RETRY_SECONDS,
                ) from exc

    def _lightspeed_retryable(self, exc):
        """``RetryableJobError`` for a failure worth retrying (429, 5xx, network), else None.

        After a 429 the job waits what Lightspeed's ``Retry-After`` asked for; other transient
        errors follow the job function's retry pattern."""
        cause = lightspeed_cause(exc)
        if not isinstance(cause, RetryableError):
            return None
        seconds = None
        if isinstance(cause, RateLimitError) and cause.retry_after is not None:
            seconds = max(1, math.ceil(cause.retry_after))
        _logger.info(
            "Lightspeed[%s]: %s, job retried %s",
            self.name,
            cause,
            f"in {seconds}s" if seconds else "by its retry pattern",
        )
        return RetryableJobError(error_text(exc), seconds=seconds)

    def _lightspeed_note_refused_token(self, exc):
        """A 401 that survives a refresh refuses the connection without going through the
        token refresh (which puts the backend in *Re-authorisation needed* itself)."""
        cause = lightspeed_cause(exc)
        if isinstance(cause, ReauthorizationRequired) and self.state != "reauth_needed":
            self._mark_reauth_needed(str(cause))
            # the job fails and rolls back: keep the state (the engine's commit point)
            self.env["lightspeed.importer"]._commit()

    @contextmanager
    def _lightspeed_account_lock(self):
        """One job per Lightspeed account at a time: a session-level advisory lock on a
        connection of its own (like the engine's stream lock), held across the run's commits
        and dropped with the connection if the worker dies."""
        self.ensure_one()
        account = self.account_id or f"backend{self.id}"
        cr = db_connect(self.env.cr.dbname).cursor()
        try:
            cr.execute(
                "SELECT pg_try_advisory_lock(hashtext('lightspeed.account'), hashtext(%s))",
                [account],
            )
            acquired = cr.fetchone()[0]
            # The lock's own connection: ending its transaction keeps the lock, not the data.
            # pylint: disable=invalid-commit
            cr.commit()
            try:
                yield acquired
            finally:
                if acquired:
                    cr.execute(
                        "SELECT pg_advisory_unlock(hashtext('lightspeed.account'), hashtext(%s))",
                        [account],
                    )
                    # pylint: disable=invalid-commit
                    cr.commit()
        finally:
            cr.close()
