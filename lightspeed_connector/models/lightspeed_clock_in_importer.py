# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Lightspeed EmployeeHours (time clock) -> ``hr.attendance``.

EmployeeHours has no change stamp, so every run re-reads a window of check-ins, stages each
entry in ``lightspeed.sync.record`` with a fingerprint of its content (``remote_version``) and
processes only new, changed, failed and vanished entries. See README.md, "Clock-ins".
"""

import logging
from datetime import date, datetime, timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..api import EmployeeHours, LightspeedError, NotFoundError
from ..api.normalize import as_list
from ..tools import business_date, to_aware_utc, to_local, to_naive_utc

_logger = logging.getLogger(__name__)

# A date range covers every shop's local days in full: widen by the extreme UTC offsets.
EARLIEST_OFFSET = timedelta(hours=14)
LATEST_OFFSET = timedelta(hours=12)


class LightspeedClockInImporter(models.AbstractModel):
    _name = "lightspeed.clock_in.importer"
    _description = "Lightspeed Clock-in Importer"

    # === ENTRY POINT === #

    @api.model
    def _import(self, backend, date_from=None, date_to=None, shops=None):
        """Import the clock entries whose check-in lies in ``[date_from, date_to]``.

        ``date_from``/``date_to``: naive-UTC or aware datetimes, or dates (a date range covers
        the local days of every shop); defaults: now and now minus the backend's
        ``clock_in_window_days``. ``shops``: ``lightspeed.shop`` records (default: the shops
        with the import enabled). Entries of the window that vanished from Lightspeed remove
        their attendance. Returns the ``lightspeed.sync.run``.
        """
        backend.ensure_one()
        backend._check_connected()
        date_from, date_to = self._window(backend, date_from, date_to)
        # One clock-in import per backend at a time (cron, button, backfill), until commit.
        self.env.cr.execute(
            "SELECT pg_try_advisory_xact_lock(hashtext('lightspeed_clock_in'), %s)", [backend.id]
        )
        if not self.env.cr.fetchone()[0]:
            raise UserError(
                _(
                    "A clock-in import of backend %(name)s is already running; try again when "
                    "it has finished.",
                    name=backend.name,
                )
            )
        if shops is None:
            shops = backend.shop_ids.filtered("import_enabled")
        run = self.env["lightspeed.sync.run"].create(
            {"backend_id": backend.id, "run_type": "clock_in"}
        )
        client = backend._get_client()
        requests_before = client.request_count
        selected = {shop.lightspeed_id: shop for shop in shops}
        with backend._lightspeed_errors():
            entries = [
                entry
                for entry in client.iter_employee_hours(
                    check_in_from=to_aware_utc(date_from), check_in_to=to_aware_utc(date_to)
                )
                if entry.shop_id in selected
            ]
        records = self._stage(backend, entries, run)
        seen = {entry.employee_hours_id for entry in entries}
        vanished = self.env["lightspeed.sync.record"].search(
            [
                ("backend_id", "=", backend.id),
                ("record_type", "=", "clock_in"),
                ("shop_id", "in", shops.ids),
                ("remote_date", ">=", date_from),
                ("remote_date", "<=", date_to),
                ("remote_deleted", "=", False),
                ("lightspeed_id", "not in", list(seen)),
            ]
        )
        if vanished:
            records |= self._recheck_vanished(backend, client, vanished, run)
        to_process = records.filtered(lambda r: r.state in ("pending", "error"))
        counts = self._process_records(to_process, run=run)
        run._finish(
            fetched_count=len(entries),
            created_count=counts["created"],
            updated_count=counts["updated"] + counts["deleted"],
            failed_count=counts["failed"],
            request_count=client.request_count - requests_before,
            message=_(
                "Window %(start)s - %(end)s: %(fetched)s entries, %(created)s created, "
                "%(updated)s updated, %(deleted)s removed, %(conflicts)s conflicts, "
                "%(failed)s failed.",
                start=fields.Datetime.to_string(date_from),
                end=fields.Datetime.to_string(date_to),
                fetched=len(entries),
                created=counts["created"],
                updated=counts["updated"],
                deleted=counts["deleted"],
                conflicts=counts["conflict"],
                failed=counts["failed"],
            ),
        )
        _logger.info(
            "Lightspeed[%s]: clock-ins %s - %s: %s fetched, %s processed",
            backend.name,
            date_from,
            date_to,
            len(entries),
            len(to_process),
        )
        return run

    @api.model
    def _window(self, backend, date_from, date_to):
        """Naive-UTC bounds of an import window (see ``_import``)."""
        if isinstance(date_to, date) and not isinstance(date_to, datetime):
            date_to = datetime.combine(date_to + timedelta(days=1), datetime.min.time())
            date_to += LATEST_OFFSET
        if isinstance(date_from, date) and not isinstance(date_from, datetime):
            date_from = datetime.combine(date_from, datetime.min.time()) - EARLIEST_OFFSET
        date_to = to_naive_utc(date_to) or fields.Datetime.now().replace(microsecond=0)
        date_from = to_naive_utc(date_from) or date_to - timedelta(
            days=max(backend.clock_in_window_days, 1)
        )
        if date_from > date_to:
            raise UserError(_("The clock-in import window ends before it starts."))
        return date_from, date_to

    # === STAGING === #

    @api.model
    def _fingerprint(self, entry):
        """EmployeeHours has no change stamp: its content is the version."""
        return "|".join(
            [
                entry.employee_id or "",
                entry.shop_id or "",
                entry.check_in.isoformat() if entry.check_in else "",
                entry.check_out.isoformat() if entry.check_out else "",
            ]
        )

    @api.model
    def _prepare_sync_record_vals(self, backend, entry, shop):
        return {
            "backend_id": backend.id,
            "record_type": "clock_in",
            "lightspeed_id": entry.employee_hours_id,
            "payload": entry.raw,
            "remote_version": self._fingerprint(entry),
            "shop_id": shop.id,
            "remote_date": to_naive_utc(entry.check_in),
            "remote_check_in": to_naive_utc(entry.check_in),
            "remote_check_out": to_naive_utc(entry.check_out),
            "remote_deleted": False,
        }

    @api.model
    def _stage(self, backend, entries, run):
        """Create or update one sync record per entry; changed ones become pending."""
        SyncRecord = self.env["lightspeed.sync.record"]
        existing = {
            rec.lightspeed_id: rec
            for rec in SyncRecord.search(
                [
                    ("backend_id", "=", backend.id),
                    ("record_type", "=", "clock_in"),
                    ("lightspeed_id", "in", [e.employee_hours_id for e in entries]),
                ]
            )
        }
        shops = {
            shop.lightspeed_id: shop for shop in backend.with_context(active_test=False).shop_ids
        }
        result = SyncRecord.browse()
        to_create = []
        for entry in entries:
            vals = self._prepare_sync_record_vals(
                backend, entry, shops.get(entry.shop_id, self.env["lightspeed.shop"])
            )
            record = existing.get(entry.employee_hours_id)
            if not record:
                to_create.append(dict(vals, state="pending", run_id=run.id))
            elif record.remote_version != vals["remote_version"] or record.remote_deleted:
                record.write(dict(vals, state="pending", run_id=run.id))
                result |= record
            else:
                result |= record
        return result | SyncRecord.create(to_create)

    @api.model
    def _recheck_vanished(self, backend, client, records, run):
        """Entries no longer listed in the window: deleted, or moved out of it by an edit."""
        for rec in records:
            try:
                with backend._lightspeed_errors():
                    try:
                        data = client.get(f"EmployeeHours/{rec.lightspeed_id}.json")
                    except NotFoundError:
                        data = None
            except UserError as exc:
                rec._mark_error(str(exc))
                continue
            raws = as_list((data or {}).get("EmployeeHours"))
            if not raws:
                rec.write({"remote_deleted": True, "state": "pending", "run_id": run.id})
                continue
            entry = EmployeeHours.from_payload(raws[0])
            self._stage(backend, [entry], run)
        return records

    # === PROCESSING === #

    @api.model
    def _process_records(self, records, run=None):
        """Apply staged clock entries to attendances (also used by Retry).

        Deletions first, then by check-in: per employee that is chronological, which Odoo's
        overlap and single-open-attendance rules need. Each entry runs in its own savepoint;
        a failure is stored on its record. Entries that overlapped another entry of the same
        batch are tried once more after the batch (an edit can move two shifts at once).
        """
        counts = dict.fromkeys(
            ("created", "updated", "deleted", "skipped", "conflict", "failed"), 0
        )
        records = records.filtered(lambda r: r.record_type == "clock_in")
        ordered = records.sorted(
            lambda r: (not r.remote_deleted, r.remote_date or datetime.min, r.id)
        )
        second_pass = self.env["lightspeed.sync.record"]
        for rec in ordered:
            outcome = self._process_one_safe(rec, run)
            if outcome == "conflict" and rec.conflict_type == "overlap":
                if rec.conflict_attendance_ids & self._attendances_of(records):
                    second_pass |= rec
                    continue
            counts[outcome] += 1
        for rec in second_pass:
            counts[self._process_one_safe(rec, run)] += 1
        return counts

    @api.model
    def _attendances_of(self, records):
        return self._sudo_attendance(self.env["hr.attendance"]).search(
            [
                ("lightspeed_backend_id", "in", records.backend_id.ids),
                ("lightspeed_id", "in", records.mapped("lightspeed_id")),
            ]
        )

    @api.model
    def _process_one_safe(self, rec, run=None):
        try:
            with self.env.cr.savepoint():
                outcome = self._process_one(rec)
        except (UserError, ValidationError, LightspeedError) as exc:
            rec._mark_error(str(exc.args[0] if exc.args else exc))
            outcome = "failed"
        if run:
            rec.run_id = run
        return outcome

    @api.model
    def _sudo_attendance(self, attendances):
        """Imports mirror Lightspeed for every employee, whoever runs them (Lightspeed
        administrators are not necessarily attendance managers)."""
        return attendances.sudo().with_context(
            tracking_disable=True, mail_notrack=True, mail_create_nolog=True
        )

    @api.model
    def _find_attendance(self, rec):
        return self._sudo_attendance(self.env["hr.attendance"]).search(
            [
                ("lightspeed_backend_id", "=", rec.backend_id.id),
                ("lightspeed_id", "=", rec.lightspeed_id),
            ],
            limit=1,
        )

    @api.model
    def _resolve_employee(self, rec, entry):
        """The Odoo employee of an entry, or None when the Lightspeed employee is ignored."""
        backend = rec.backend_id
        mapping = (
            self.env["lightspeed.employee"]
            .with_context(active_test=False)
            .search(
                [("backend_id", "=", backend.id), ("lightspeed_id", "=", entry.employee_id)],
                limit=1,
            )
        )
        if not mapping:
            raise UserError(
                _(
                    "Lightspeed employee ID %(id)s is unknown to backend %(backend)s. Click "
                    "Sync metadata on the backend, map the employee, then retry.",
                    id=entry.employee_id,
                    backend=backend.name,
                )
            )
        if mapping.ignored:
            return None
        if not mapping.employee_id and backend.create_missing_employees:
            mapping._auto_match()
        if not mapping.employee_id:
            raise UserError(mapping._unmapped_message())
        return mapping.employee_id

    @api.model
    def _prepare_attendance_vals(self, backend, entry, employee, shop):
        """Attendance values of a clock entry (pure: no writes, no API calls)."""
        check_in = to_naive_utc(entry.check_in)
        check_out = to_naive_utc(entry.check_out)
        return {
            "employee_id": employee.id,
            "check_in": check_in,
            "check_out": check_out,
            "in_mode": "lightspeed",
            "out_mode": "lightspeed",
            "lightspeed_backend_id": backend.id,
            "lightspeed_id": entry.employee_hours_id,
            "lightspeed_shop_id": shop.id,
            "lightspeed_department_id": shop.department_id.id,
            "lightspeed_business_date": business_date(
                check_in, shop.get_zoneinfo(), backend.day_cutoff_hour
            ),
            "lightspeed_check_in": check_in,
            "lightspeed_check_out": check_out,
        }

    @api.model
    def _process_one(self, rec):
        """Apply one staged entry; returns created/updated/deleted/conflict/failed."""
        take_remote = self.env.context.get("lightspeed_take_remote")
        attendance = self._find_attendance(rec)
        if rec.remote_deleted:
            if attendance and attendance._lightspeed_is_edited() and not take_remote:
                return self._mark_conflict(rec, "deleted_edited", attendance)
            attendance.unlink()
            self._mark_done(rec, False)
            return "deleted"
        entry = EmployeeHours.from_payload(rec.payload or {})
        if not entry.check_in:
            raise UserError(_("Clock entry %(id)s has no check-in.", id=rec.lightspeed_id))
        shop = rec.shop_id
        if not shop:
            raise UserError(
                _(
                    "Lightspeed shop ID %(shop)s is unknown: click Sync metadata on the "
                    "backend, then retry.",
                    shop=entry.shop_id,
                )
            )
        employee = self._resolve_employee(rec, entry)
        if employee is None:
            rec.write(
                {
                    "state": "skipped",
                    "error_message": _(
                        "The Lightspeed employee is ignored: its clock-ins are not imported."
                    ),
                    "synced_at": fields.Datetime.now(),
                }
            )
            return "skipped"
        vals = self._prepare_attendance_vals(rec.backend_id, entry, employee, shop)
        if not attendance:
            blocking = self._overlapping(vals)
            if blocking:
                return self._mark_conflict(rec, "overlap", blocking, vals)
            attendance = self._sudo_attendance(self.env["hr.attendance"]).create(vals)
            self._mark_done(rec, attendance)
            return "created"
        if attendance._lightspeed_is_edited() and not take_remote:
            if (attendance.check_in, attendance.check_out) == (vals["check_in"], vals["check_out"]):
                # Odoo was already corrected to what Lightspeed now says.
                attendance.write(
                    {
                        "lightspeed_check_in": vals["check_in"],
                        "lightspeed_check_out": vals["check_out"],
                    }
                )
                self._mark_done(rec, attendance)
                return "updated"
            return self._mark_conflict(rec, "odoo_edit", attendance, vals)
        if not vals["check_out"] and attendance.out_mode == "auto_check_out" and not take_remote:
            # Still open in Lightspeed, closed by Odoo's automatic check-out: keep that
            # check-out until the real clock-out arrives.
            vals.pop("check_out")
            vals.pop("out_mode")
        if attendance.lightspeed_shop_id.id == vals["lightspeed_shop_id"]:
            vals.pop("lightspeed_department_id")  # history keeps the department of its import
        blocking = self._overlapping(vals, attendance)
        if blocking:
            return self._mark_conflict(rec, "overlap", blocking, vals)
        changed = {
            key: value
            for key, value in vals.items()
            if self.env["lightspeed.mapping.mixin"]._stored_value(attendance, key) != value
        }
        if changed:
            attendance.write(changed)
        self._mark_done(rec, attendance)
        return "updated"

    @api.model
    def _overlapping(self, vals, attendance=None):
        """Odoo attendances that would make ``vals`` invalid (overlap, second open one)."""
        Attendance = self._sudo_attendance(self.env["hr.attendance"])
        check_in = vals["check_in"]
        check_out = vals.get("check_out", attendance.check_out if attendance else False)
        domain = [("employee_id", "=", vals["employee_id"])]
        if attendance:
            domain.append(("id", "!=", attendance.id))
        overlap = ["|", ("check_out", "=", False), ("check_out", ">", check_in)]
        if check_out:
            overlap = [("check_in", "<", check_out), *overlap]
        blocking = Attendance.search(domain + overlap)
        if not check_out:
            blocking |= Attendance.search(domain + [("check_out", "=", False)])
        return blocking

    @api.model
    def _mark_done(self, rec, attendance):
        rec.write(
            {
                "state": "done",
                "error_message": False,
                "conflict_type": False,
                "odoo_check_in": False,
                "odoo_check_out": False,
                "conflict_attendance_ids": [fields.Command.clear()],
                "res_model": "hr.attendance" if attendance else False,
                "res_id": attendance.id if attendance else False,
                "synced_at": fields.Datetime.now(),
            }
        )

    @api.model
    def _mark_conflict(self, rec, conflict_type, attendances, vals=None):
        """Keep Odoo as it is and describe both versions on the sync record."""
        first = attendances[:1]
        tz = rec.shop_id.get_zoneinfo() if rec.shop_id else None
        message = {
            "odoo_edit": _(
                "Edited in Odoo and changed in Lightspeed. Odoo: %(odoo)s. Lightspeed: "
                "%(remote)s. Odoo's version is kept until you choose Take Lightspeed or "
                "Keep Odoo.",
                odoo=self._span(first.check_in, first.check_out, tz),
                remote=self._span(rec.remote_check_in, rec.remote_check_out, tz),
            ),
            "deleted_edited": _(
                "Deleted in Lightspeed, but edited in Odoo (%(odoo)s). Take Lightspeed "
                "removes the attendance; Keep Odoo keeps it.",
                odoo=self._span(first.check_in, first.check_out, tz),
            ),
            "overlap": _(
                "Lightspeed shift %(remote)s overlaps attendance(s) of %(employee)s in Odoo: "
                "%(odoo)s. Take Lightspeed removes the Odoo attendance(s); Keep Odoo skips "
                "this shift.",
                remote=self._span(rec.remote_check_in, rec.remote_check_out, tz),
                employee=first.employee_id.name,
                odoo=", ".join(self._span(a.check_in, a.check_out, tz) for a in attendances),
            ),
        }[conflict_type]
        rec.write(
            {
                "state": "conflict",
                "conflict_type": conflict_type,
                "error_message": message,
                "odoo_check_in": first.check_in,
                "odoo_check_out": first.check_out,
                "conflict_attendance_ids": [fields.Command.set(attendances.ids)],
                "res_model": "hr.attendance" if conflict_type != "overlap" else False,
                "res_id": first.id if conflict_type != "overlap" else False,
                "synced_at": fields.Datetime.now(),
            }
        )
        _logger.info(
            "Lightspeed[%s]: clock entry %s in conflict (%s)",
            rec.backend_id.name,
            rec.lightspeed_id,
            conflict_type,
        )
        return "conflict"

    @api.model
    def _span(self, check_in, check_out, tz):
        def fmt(value):
            return to_local(value, tz).strftime("%Y-%m-%d %H:%M %Z") if tz else str(value)

        if not check_in:
            return "-"
        return f"{fmt(check_in)} - {fmt(check_out) if check_out else _('open')}"
