# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Clock-ins adapter of the import engine: Lightspeed EmployeeHours -> ``hr.attendance``.

EmployeeHours has no change stamp, so every run re-reads a window of check-ins; the engine
stages each entry with a fingerprint of its content and processes only new, changed, failed
and vanished entries. See README.md, "Clock-ins".
"""

import logging
from datetime import date, datetime, timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..api import EmployeeHours, NotFoundError
from ..api.normalize import as_list
from ..mapping.attendance import clock_in_fingerprint, prepare_attendance_vals
from ..tools import business_date, to_aware_utc, to_local, to_naive_utc

_logger = logging.getLogger(__name__)

# A date range covers every shop's local days in full: widen by the extreme UTC offsets.
EARLIEST_OFFSET = timedelta(hours=14)
LATEST_OFFSET = timedelta(hours=12)
# Written whenever a record leaves the conflict state.
NO_CONFLICT = {
    "conflict_type": False,
    "odoo_check_in": False,
    "odoo_check_out": False,
    "conflict_attendance_ids": [fields.Command.clear()],
}


class LightspeedClockInImporter(models.AbstractModel):
    _name = "lightspeed.clock_in.importer"
    _inherit = "lightspeed.importer"
    _description = "Lightspeed Clock-in Importer"

    _stream = "clock_in"
    # Deletions first, then by check-in: per employee that is chronological, which Odoo's
    # overlap and single-open-attendance rules need.
    _process_order = "remote_deleted desc, remote_date, id"

    # === QUERIES AND STAGING === #

    def _scope(self, backend, options):
        """``date_from``/``date_to``: naive-UTC or aware datetimes, or dates (a date range
        covers the local days of every shop); default: the backend's rolling window."""
        scope = super()._scope(backend, options)
        scope["date_from"], scope["date_to"] = self._window(
            backend, options.get("date_from"), options.get("date_to")
        )
        scope["seen"] = set()
        return scope

    @api.model
    def _window(self, backend, date_from, date_to):
        """Naive-UTC bounds of an import window (see ``_scope``)."""
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

    def _queries(self, backend, scope):
        return [
            {
                "check_in_from": to_aware_utc(scope["date_from"]),
                "check_in_to": to_aware_utc(scope["date_to"]),
            }
        ]

    def _fetch(self, client, query, scope):
        shops = set(scope["shops"].mapped("lightspeed_id"))
        for entry in client.iter_employee_hours(**query):
            if entry.shop_id in shops:
                scope["seen"].add(entry.employee_hours_id)
                yield entry

    def _staging_vals(self, entry):
        return {
            "lightspeed_id": entry.employee_hours_id,
            "payload": entry.raw,
            "fingerprint": clock_in_fingerprint(entry),
            "shop_lightspeed_id": entry.shop_id,
            "remote_date": to_naive_utc(entry.check_in),
            "remote_check_in": to_naive_utc(entry.check_in),
            "remote_check_out": to_naive_utc(entry.check_out),
        }

    def _after_stage(self, backend, client, run, scope):
        """Entries of the window no longer listed: deleted, or moved out of it by an edit."""
        vanished = self.env["lightspeed.sync.record"].search(
            [
                ("backend_id", "=", backend.id),
                ("record_type", "=", self._stream),
                ("shop_id", "in", scope["shops"].ids),
                ("remote_date", ">=", scope["date_from"]),
                ("remote_date", "<=", scope["date_to"]),
                ("remote_deleted", "=", False),
                ("lightspeed_id", "not in", list(scope["seen"])),
            ]
        )
        if vanished:
            self._recheck_vanished(backend, client, vanished, run)

    def _run_message(self, scope, fetched, stats):
        return _(
            "Window %(start)s - %(end)s: %(fetched)s entries, %(created)s created, "
            "%(updated)s updated, %(deleted)s removed, %(conflicts)s conflicts, "
            "%(skipped)s skipped, %(failed)s failed.",
            start=fields.Datetime.to_string(scope["date_from"]),
            end=fields.Datetime.to_string(scope["date_to"]),
            fetched=fetched,
            created=stats["created"],
            updated=stats["updated"],
            deleted=stats["deleted"],
            conflicts=stats["conflict"],
            skipped=stats["skipped"] + stats["unchanged"],
            failed=stats["failed"],
        )

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
                rec._mark_error(str(exc), run=run)
                continue
            raws = as_list((data or {}).get("EmployeeHours"))
            if not raws:
                rec.write({"remote_deleted": True, "state": "pending", "run_id": run.id})
                continue
            self._stage_page(backend, run, [EmployeeHours.from_payload(raws[0])], {})
        return records

    # === PROCESSING === #

    def _retry_states(self):
        return ("pending", "error", "skipped", "conflict")

    def _begin_processing(self, records, run, stats):
        # An overlap with a shift of the same run may vanish once that shift is processed.
        return {"lightspeed_ids": set(records.mapped("lightspeed_id"))}

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

    def _process_record(self, rec, state, final):
        """Apply one staged entry; returns created/updated/deleted/skipped/conflict/deferred."""
        take_remote = self.env.context.get("lightspeed_take_remote")
        attendance = self._find_attendance(rec)
        if rec.remote_deleted:
            if attendance and attendance._lightspeed_is_edited() and not take_remote:
                return self._mark_conflict(rec, "deleted_edited", attendance)
            attendance.unlink()
            self._mark_done(rec, False)
            return "deleted"
        entry = self._read_payload(rec, EmployeeHours)
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
            rec._mark_skipped(
                _("The Lightspeed employee is ignored: its clock-ins are not imported.")
            )
            return "skipped"
        backend = rec.backend_id
        vals = prepare_attendance_vals(
            entry,
            backend.id,
            employee.id,
            shop.id,
            shop.department_id.id,
            business_date(entry.check_in, shop.get_zoneinfo(), backend.day_cutoff_hour),
        )
        if not attendance:
            blocking = self._overlapping(vals)
            if blocking:
                return self._overlap(rec, blocking, vals, state, final)
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
            return self._overlap(rec, blocking, vals, state, final)
        changed = {
            key: value
            for key, value in vals.items()
            if self.env["lightspeed.mapping.mixin"]._stored_value(attendance, key) != value
        }
        if changed:
            attendance.write(changed)
        self._mark_done(rec, attendance)
        return "updated"

    def _overlap(self, rec, blocking, vals, state, final):
        """Try again after the run when the overlapping shift is one of the run's own (an
        edit can move two shifts at once); otherwise it is a conflict."""
        if not final and set(blocking.mapped("lightspeed_id")) & state["lightspeed_ids"]:
            return "deferred"
        return self._mark_conflict(rec, "overlap", blocking, vals)

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
        rec._mark_done(attendance, **NO_CONFLICT)

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
