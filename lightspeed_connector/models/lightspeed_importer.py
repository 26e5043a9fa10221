# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The one import engine: lock → fetch → stage → select → process → finish.

Every stream (sales, clock-ins, and the streams added later) is an adapter that inherits this
abstract model and supplies only its query, its staging values (payload, fingerprint), the
processing of one staged record and a few optional hooks. The engine owns everything that must
behave the same way for every stream: the run-long lock, the run record, staging as one upsert,
the attempt cap, savepoints, commits, and turning errors into messages.

Transactions: outside tests, the engine commits at its boundaries only — the run row when it
starts, every staged page (with the stream's cursor), every processed chunk and the finished
run — so a killed process loses at most one page or chunk, which the next run redoes. With the
context key ``lightspeed_no_commit`` (UI retries, Odoo tests) nothing is committed and a failing
run is rolled back to a savepoint, so the request stays all-or-nothing.
"""

import logging
import random
import time
from contextlib import contextmanager, nullcontext
from datetime import timedelta

from psycopg2.errors import TransactionRollbackError, UniqueViolation

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.sql_db import db_connect

from ..api import LightspeedError, PayloadError
from ..const import PARAM_MAX_ATTEMPTS
from ..mapping.errors import MappingError

_logger = logging.getLogger(__name__)

# What a faulty record may raise: stored on its sync record, never stops the others.
RECORD_ERRORS = (UserError, ValidationError, LightspeedError, MappingError)
# Incremental queries re-read a little before the stream's cursor: stamps written in the same
# second by Lightspeed can commit out of order.
CURSOR_OVERLAP = timedelta(minutes=10)
# Times a chunk is tried when concurrent transactions keep refusing it (see _process_chunk).
CHUNK_ATTEMPTS = 5
# What PostgreSQL raises when another transaction wrote the same rows since this one began
# (could not serialize, deadlock) or inserted the same key meanwhile (two imports creating the
# same blacklist entry or overtime row): a fresh transaction sees it and goes through.
CONCURRENCY_ERRORS = (TransactionRollbackError, UniqueViolation)
OUTCOMES = ("created", "updated", "unchanged", "skipped", "conflict", "deleted", "failed")
# Chatter and tracking on thousands of documents cost time and say nothing a run does not.
QUIET = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True}


def error_text(exc):
    return str(exc.args[0] if getattr(exc, "args", None) else exc)


class LightspeedImporter(models.AbstractModel):
    _name = "lightspeed.importer"
    _description = "Lightspeed Import Engine"

    # The adapter's stream: sync record type, run stream and lock key.
    _stream = None
    # Staged payloads are read back per chunk, and the ORM cache is emptied between chunks,
    # so memory stays flat whatever the number of records.
    _chunk_size = 200
    _page_size = 100
    # How staged records are processed (a stored-field ``order`` for search()).
    _process_order = "remote_date, id"
    # Whether a run needs a shop with the import on (streams of account-wide objects do not).
    _requires_shops = True
    # Whether processing writes rows every import of the company shares (stock, journals),
    # so that its chunks run for one import of the company at a time (_one_import_at_a_time).
    _one_chunk_at_a_time_per_company = False

    # === ENTRY POINTS === #

    @api.model
    def _run(self, backend, busy="raise", **options):
        """Run one import of this stream for ``backend``; returns the ``lightspeed.sync.run``.

        ``busy``: what to do when another run of the same backend and stream holds the lock:
        ``"raise"`` (buttons, XML-RPC, wizard, Retry: a clear UserError) or ``"skip"`` (crons:
        returns an empty recordset). ``options`` go to the adapter (dates, shops, records).
        """
        backend.ensure_one()
        return self._locked_run(
            backend,
            options.get("run_type") or self._stream,
            # The run's environment: the backend's company, chatter and tracking off.
            lambda run: self.with_env(run.env)._execute(backend.with_env(run.env), run, options),
            busy=busy,
        )

    @api.model
    def _locked_run(self, backend, run_type, body, busy="raise"):
        """Lock, start a run, call ``body(run)``, and end the run whatever happens.

        Also used by the metadata sync, which has no staging but the same lock and run rules.
        """
        self = self.with_company(backend.company_id).with_context(**QUIET)
        backend = backend.with_env(self.env)
        with self._stream_lock(backend) as acquired:
            if not acquired:
                if busy == "skip":
                    _logger.info(
                        "Lightspeed[%s]: %s import already running, skipped",
                        backend.name,
                        self._stream,
                    )
                    return self.env["lightspeed.sync.run"]
                raise UserError(self._busy_message(backend))
            self._mark_interrupted(backend)
            run = self.env["lightspeed.sync.run"].create(
                {"backend_id": backend.id, "run_type": run_type, "stream": self._stream}
            )
            self._commit()
            try:
                savepoint = nullcontext() if self._commits() else self.env.cr.savepoint()
                with savepoint, backend._lightspeed_errors():
                    body(run)
            except Exception as exc:
                self._fail_run(backend, run, exc)
                raise
            self._commit()  # the finished run, with what the last hooks did
            return run

    # === LOCK AND RUNS === #

    @contextmanager
    def _stream_lock(self, backend):
        """One run per backend and stream, held for the whole run across its commits.

        A session-level advisory lock on a connection of its own: the import's own commits do
        not release it, a process that dies releases it with its connection, and it works the
        same for every entry point. Its transaction is ended at once so that waiting runs do
        not pin an old snapshot.
        """
        key = f"lightspeed.{self._stream}"
        cr = db_connect(self.env.cr.dbname).cursor()
        try:
            cr.execute("SELECT pg_try_advisory_lock(hashtext(%s), %s)", [key, backend.id])
            acquired = cr.fetchone()[0]
            # The lock's own connection: ending its transaction keeps the lock, not the data.
            # pylint: disable=invalid-commit
            cr.commit()
            try:
                yield acquired
            finally:
                if acquired:
                    cr.execute("SELECT pg_advisory_unlock(hashtext(%s), %s)", [key, backend.id])
                    # pylint: disable=invalid-commit
                    cr.commit()
        finally:
            cr.close()

    @contextmanager
    def _one_import_at_a_time(self, company):
        """A step that writes rows every import of ``company`` shares runs for one import at a
        time (session closing: the company's journals and their sequences).

        Two imports of one company (two Lightspeed accounts, in parallel on job workers) closing
        sessions at once post in the same journals: PostgreSQL refuses the second writer
        ("could not serialize access") and its run failed, to be redone from its correction
        window. Here the second waits. What came before is committed first and the lock is
        taken on a connection of its own before the step reads anything, so the step's
        snapshot starts after the first import committed; the step is committed before the
        lock goes. In one transaction (``lightspeed_no_commit``) there is nothing to wait for.
        """
        if not self._commits():
            yield
            return
        self._commit()
        cr = db_connect(self.env.cr.dbname).cursor()
        try:
            cr.execute("SET lock_timeout = '15min'")
            cr.execute("SELECT pg_advisory_lock(hashtext('lightspeed.company'), %s)", [company.id])
            # pylint: disable=invalid-commit
            cr.commit()
            self.env.invalidate_all()  # read nothing from before the wait
            try:
                yield
                self._commit()
            finally:
                cr.execute(
                    "SELECT pg_advisory_unlock(hashtext('lightspeed.company'), %s)", [company.id]
                )
                # pylint: disable=invalid-commit
                cr.commit()
        finally:
            cr.close()

    def _busy_message(self, backend):
        running = self.env["lightspeed.sync.run"].search(
            [("backend_id", "=", backend.id), ("stream", "=", self._stream)],
            order="id desc",
            limit=1,
        )
        streams = dict(running._fields["stream"]._description_selection(self.env))
        return _(
            "A %(stream)s import of backend %(name)s is already running (since %(since)s); try "
            "again when it has finished.",
            stream=streams.get(self._stream, self._stream),
            name=backend.name,
            since=fields.Datetime.to_string(running.started_at) if running else "?",
        )

    def _mark_interrupted(self, backend):
        """Runs still "running" while we hold the lock belong to a process that died."""
        dead = self.env["lightspeed.sync.run"].search(
            [
                ("backend_id", "=", backend.id),
                ("stream", "=", self._stream),
                ("state", "=", "running"),
            ]
        )
        if dead:
            dead.write(
                {
                    "state": "interrupted",
                    "finished_at": fields.Datetime.now(),
                    "message": _(
                        "Interrupted: the process running this import stopped before it "
                        "finished. The next run went on from what it had committed."
                    ),
                }
            )

    def _fail_run(self, backend, run, exc):
        """End ``run`` as failed with the reason; the error goes on to the caller."""
        if isinstance(exc, UserError | LightspeedError):
            message = error_text(exc)
        else:
            error = f"{type(exc).__name__}: {exc}"  # Babel 2.10 cannot extract f-strings in _()
            message = _("Unexpected error: %(error)s", error=error)
            _logger.exception("Lightspeed[%s]: %s import failed", backend.name, self._stream)
        if self._commits():
            # What the failed transaction did is lost anyway; keep what was committed.
            self.env.cr.rollback()
        run.write({"state": "failed", "finished_at": fields.Datetime.now(), "message": message})
        backend.sudo().last_error = message
        self._commit()

    # === TRANSACTIONS === #

    def _commits(self):
        return not self.env.context.get("lightspeed_no_commit")

    def _commit(self):
        """The engine's only commit point (see the module docstring)."""
        if self._commits():
            # pylint: disable=invalid-commit
            self.env.cr.commit()

    # === PIPELINE === #

    def _execute(self, backend, run, options):
        records = options.get("records")
        if records is not None:
            # Retry / conflict resolution: the stored payloads, nothing fetched.
            selected = records.filtered(lambda r: r.state in self._retry_states())
            stats = self._process(selected, run)
            self._after_process(backend, options, stats)
            return run._finish(
                **self._run_counts(stats),
                message=_("Retried %(count)s record(s).", count=len(selected)),
            )
        scope = self._scope(backend, options)
        if self._requires_shops and not scope["shops"]:
            return run._finish(message=_("No shop has the import enabled."))
        client = backend._get_client()
        requests_before = client.request_count
        fetched = 0
        for query in self._queries(backend, scope):
            page = []
            for item in self._fetch(client, query, scope):
                page.append(item)
                if len(page) == self._page_size:
                    fetched += self._stage_page(backend, run, page, query)
                    page = []
            if page:
                fetched += self._stage_page(backend, run, page, query)
        # Fetched again with nothing new (same fingerprint, or twice in a page): not staged,
        # so not processed; counted as unchanged so the run's counts add up to what it fetched.
        staged = self.env["lightspeed.sync.record"].search_count([("run_id", "=", run.id)])
        unchanged = max(fetched - staged, 0)
        self._after_stage(backend, client, run, scope)
        stats = self._process(self._select(backend, scope), run)
        stats["unchanged"] += unchanged
        self._after_process(backend, scope, stats)
        return run._finish(
            fetched_count=fetched,
            request_count=client.request_count - requests_before,
            message=self._run_message(scope, fetched, stats),
            **self._run_counts(stats),
        )

    def _run_counts(self, stats):
        return {
            "created_count": stats["created"],
            "updated_count": stats["updated"] + stats["deleted"],
            "skipped_count": stats["skipped"],
            "unchanged_count": stats["unchanged"],
            "conflict_count": stats["conflict"],
            "failed_count": stats["failed"],
        }

    # === STAGING === #

    def _stage_page(self, backend, run, items, query):
        """One upsert of a page: new items are created, changed ones (other fingerprint,
        vanished before, or still pending) rewritten as pending; unchanged ones are left."""
        SyncRecord = self.env["lightspeed.sync.record"]
        shops = {
            shop.lightspeed_id: shop.id for shop in backend.with_context(active_test=False).shop_ids
        }
        staged = [self._staging_vals(item) for item in items]
        existing = {
            rec.lightspeed_id: rec
            for rec in SyncRecord.search(
                [
                    ("backend_id", "=", backend.id),
                    ("record_type", "=", self._stream),
                    ("lightspeed_id", "in", [vals["lightspeed_id"] for vals in staged]),
                ]
            )
        }
        to_create = []
        for vals in staged:
            vals = dict(
                vals,
                shop_id=shops.get(vals.pop("shop_lightspeed_id", None) or "", False),
                run_id=run.id,
                remote_deleted=False,
            )
            record = existing.get(vals["lightspeed_id"])
            if record is None:
                to_create.append(
                    dict(vals, backend_id=backend.id, record_type=self._stream, state="pending")
                )
                existing[vals["lightspeed_id"]] = SyncRecord  # twice in one page: once
            elif record and (
                record.fingerprint != vals["fingerprint"]
                or record.remote_deleted
                or record.state == "pending"
            ):
                record.write(dict(vals, state="pending", attempt_count=0))
        if to_create:
            SyncRecord.create(to_create)
        SyncRecord.flush_model()
        self._after_stage_page(backend, items, query)
        # The staged rows and the stream's cursor commit together: a crash after this point
        # loses nothing, and a re-run re-stages at most one page.
        self._commit()
        self.env.invalidate_all()
        return len(items)

    def _select(self, backend, scope):
        """Pending records, and failed ones under the attempt cap."""
        max_attempts = backend._default_param(PARAM_MAX_ATTEMPTS, 3)
        return self.env["lightspeed.sync.record"].search(
            [
                ("backend_id", "=", backend.id),
                ("record_type", "=", self._stream),
                "|",
                ("state", "=", "pending"),
                "&",
                ("state", "=", "error"),
                ("attempt_count", "<", max_attempts),
                *self._select_domain(scope),
            ]
        )

    # === PROCESSING === #

    def _process(self, records, run):
        """Process staged records in chunks, each record in its own savepoint."""
        SyncRecord = self.env["lightspeed.sync.record"]
        stats = dict.fromkeys(OUTCOMES, 0)
        # Order without loading every payload at once.
        ids = SyncRecord.search([("id", "in", records.ids)], order=self._process_order).ids
        state = self._begin_processing(SyncRecord.browse(ids), run, stats)
        deferred = []
        for start in range(0, len(ids), self._chunk_size):
            chunk = SyncRecord.browse(ids[start : start + self._chunk_size])
            self._process_chunk(chunk, run, state, stats, deferred)
        if deferred:
            # A second chance once the rest is in (e.g. two shifts moved by one edit).
            self._process_chunk(SyncRecord.browse(deferred), run, state, stats, final=True)
        self._end_processing(state, stats)
        return stats

    def _process_chunk(self, chunk, run, state, stats, deferred=None, final=False):
        """Process and commit one chunk; redo it when PostgreSQL refused it for a concurrent
        transaction (another import, a user, writing the same rows since this one began).

        Such a refusal ("could not serialize access", a deadlock, a key inserted meanwhile)
        aborts the whole transaction, so no savepoint can save the record it hit: the chunk is
        rolled back and redone in a fresh transaction, which sees what the other one committed.
        Committed chunks stay; counts and the adapter's chunk state are put back as they were
        before the chunk. Adapters whose records post to rows the company shares (sales: stock
        moves and session closing) process their chunks for one import of the company at a
        time, so these refusals do not come up between them in the first place.
        """
        company = run.backend_id.company_id
        for attempt in range(1, CHUNK_ATTEMPTS + 1):
            counts, kept = dict(stats), len(deferred or ())
            guard = (
                self._one_import_at_a_time(company)
                if self._one_chunk_at_a_time_per_company
                else nullcontext()
            )
            try:
                with guard:
                    for record in chunk:
                        outcome = self._process_one(record, run, state, final=final)
                        if outcome == "deferred":
                            deferred.append(record.id)
                        else:
                            stats[outcome] += 1
                    self._end_chunk(chunk, run, state, stats)
                    # Keep finished chunks: a crash later re-processes only what is left.
                    self._commit()
                self.env.invalidate_all()
                return
            except CONCURRENCY_ERRORS as exc:
                if not self._commits() or attempt == CHUNK_ATTEMPTS:
                    raise
                self.env.cr.rollback()
                self.env.invalidate_all()
                stats.clear()
                stats.update(counts)
                if deferred is not None:
                    del deferred[kept:]
                self._reset_chunk(state)
                _logger.info(
                    "Lightspeed[%s]: a concurrent transaction wrote rows of this %s chunk; "
                    "redoing it (attempt %s of %s): %s",
                    run.backend_id.name,
                    self._stream,
                    attempt + 1,
                    CHUNK_ATTEMPTS,
                    str(exc).strip().splitlines()[0],
                )
                time.sleep(random.uniform(0.1, 0.5) * attempt)  # let the other one finish

    def _process_one(self, record, run, state, final=False):
        try:
            with self.env.cr.savepoint():
                outcome = self._process_record(record, state, final)
        except RECORD_ERRORS as exc:
            record._mark_error(error_text(exc), run=run)
            return "failed"
        if outcome != "deferred" and run and record.run_id != run:
            record.run_id = run
        return outcome

    def _read_payload(self, record, payload_class):
        """The staged payload as its API object; an unreadable one is the record's error."""
        try:
            return payload_class.from_payload(record.payload or {})
        except PayloadError as exc:
            raise MappingError(
                _(
                    "Lightspeed sent %(record)s, which this connector cannot read: %(err)s",
                    record=record.display_label,
                    err=exc,
                )
            ) from exc

    # === ADAPTER HOOKS === #

    def _scope(self, backend, options):
        """What this run covers: a dict with at least ``shops`` (``lightspeed.shop``)."""
        shops = options.get("shops") or backend.shop_ids
        return dict(options, shops=shops.filtered("import_enabled"))

    def _queries(self, backend, scope):
        """The queries of this run (each a dict of the adapter's own)."""
        raise NotImplementedError

    def _fetch(self, client, query, scope):
        """Iterate the API objects of one query."""
        raise NotImplementedError

    def _staging_vals(self, item):
        """Sync record values of one API object: ``lightspeed_id``, ``payload``,
        ``fingerprint``, ``shop_lightspeed_id``, ``remote_date``, optional extras."""
        raise NotImplementedError

    def _after_stage_page(self, backend, items, query):
        """After a page is staged, before it commits (e.g. advance the change cursor)."""

    def _after_stage(self, backend, client, run, scope):
        """After every query is staged (e.g. look for deleted objects)."""

    def _select_domain(self, scope):
        return [("shop_id", "in", scope["shops"].ids)]

    def _retry_states(self):
        return ("pending", "error", "skipped")

    def _begin_processing(self, records, run, stats):
        """Per-run processing state handed to every ``_process_record`` (lookups...)."""
        return {}

    def _process_record(self, record, state, final):
        """Apply one staged record; returns an outcome of ``OUTCOMES`` or ``"deferred"``."""
        raise NotImplementedError

    def _reset_chunk(self, state):
        """Forget what the processing ``state`` holds of a chunk that was rolled back."""

    def _end_chunk(self, chunk, run, state, stats):
        """After each chunk, before it commits (e.g. flush a batch of creates)."""

    def _end_processing(self, state, stats):
        """After the last chunk (e.g. refresh the KPIs of the days touched)."""

    def _after_process(self, backend, scope, stats):
        """After processing, before the run finishes (e.g. close finished sessions)."""

    def _run_message(self, scope, fetched, stats):
        return _(
            "%(fetched)s fetched: %(created)s created, %(updated)s updated, %(unchanged)s "
            "unchanged, %(skipped)s skipped, %(conflict)s conflicts, %(failed)s failed.",
            fetched=fetched,
            created=stats["created"],
            updated=stats["updated"] + stats["deleted"],
            unchanged=stats["unchanged"],
            skipped=stats["skipped"],
            conflict=stats["conflict"],
            failed=stats["failed"],
        )
