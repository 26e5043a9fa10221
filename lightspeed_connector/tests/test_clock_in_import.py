# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import requests

from odoo import fields
from odoo.tests import tagged

from ..tools import to_naive_utc
from .common import LightspeedCommon

# The simulator's clock: data is deterministic and the US DST change (2025-03-09) is in range.
SIM_NOW = datetime(2025, 3, 12, 18, 0, 0)


def iso(value):
    return value.replace(tzinfo=timezone.utc).isoformat()


@tagged("post_install", "-at_install")
class TestClockInImport(LightspeedCommon):
    simulator_args = (
        "--seed",
        "42",
        "--sales",
        "20",
        "--days",
        "10",
        "--now",
        "2025-03-12T18:00:00Z",
        "--dst-shop-tz",
        "America/New_York",
    )

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend.create_missing_employees = True
        cls.departments = cls.connect_and_map_shops("CI")
        cls.importer = cls.env["lightspeed.clock_in.importer"]
        cls.Attendance = cls.env["hr.attendance"].with_context(active_test=False)

    # === helpers === #

    def run_import(self, days=7, **kwargs):
        return self.importer._run(
            self.backend, date_from=SIM_NOW - timedelta(days=days), date_to=SIM_NOW, **kwargs
        )

    def remote_entries(self, days=7):
        client = self.backend._get_client()
        return {
            entry.employee_hours_id: entry
            for entry in client.iter_employee_hours(
                (SIM_NOW - timedelta(days=days)).replace(tzinfo=timezone.utc),
                SIM_NOW.replace(tzinfo=timezone.utc),
            )
        }

    def attendance(self, hours_id):
        return self.Attendance.search(
            [("lightspeed_backend_id", "=", self.backend.id), ("lightspeed_id", "=", hours_id)]
        )

    def sync_record(self, hours_id):
        return self.env["lightspeed.sync.record"].search(
            [
                ("backend_id", "=", self.backend.id),
                ("record_type", "=", "clock_in"),
                ("lightspeed_id", "=", hours_id),
            ]
        )

    def employee(self, lightspeed_id):
        return self.backend.employee_ids.filtered(lambda e: e.lightspeed_id == lightspeed_id)

    def edit_shift(self, hours_id, **changes):
        """Edit a seeded shift in Lightspeed and restore it after the test."""
        entry = self.remote_entries(days=10)[hours_id]
        self.addCleanup(
            self.simulator.admin,
            "edit_shift",
            employee_hours_id=hours_id,
            check_in=entry.check_in.isoformat(),
            check_out=entry.check_out.isoformat() if entry.check_out else None,
        )
        return self.simulator.admin("edit_shift", employee_hours_id=hours_id, **changes)

    def add_shift(self, employee_id, shop_id, check_in, check_out=None):
        shift = self.simulator.admin(
            "add_shift",
            employee_id=employee_id,
            shop_id=shop_id,
            check_in=iso(check_in),
            check_out=iso(check_out) if check_out else None,
        )
        hours_id = shift["employeeHoursID"]
        self.addCleanup(self._delete_shift_quietly, hours_id)
        return hours_id

    def _delete_shift_quietly(self, hours_id):
        """Cleanup: a test may have deleted the shift already (404)."""
        response = requests.post(
            f"{self.simulator.url}/_sim/delete_shift",
            json={"employee_hours_id": hours_id},
            timeout=30,
        )
        self.assertIn(response.status_code, (200, 404))

    # === tests === #

    def test_multi_day_window_of_closed_shifts(self):
        """Every entry of a 7-day window becomes one attendance with Lightspeed's exact times,
        the mapped employee and its shop's department; reports group them by department."""
        run = self.run_import()
        remote = self.remote_entries()
        self.assertGreater(len(remote), 30)
        self.assertEqual(run.state, "done")
        self.assertEqual(run.fetched_count, len(remote))
        self.assertEqual(run.created_count, len(remote))
        self.assertEqual(run.failed_count, 0, run.message)
        closed = [e for e in remote.values() if e.check_out]
        self.assertGreater(len(closed), 25)
        days = set()
        for entry in remote.values():
            attendance = self.attendance(entry.employee_hours_id)
            self.assertEqual(len(attendance), 1)
            self.assertEqual(attendance.check_in, to_naive_utc(entry.check_in))
            self.assertEqual(attendance.check_out, to_naive_utc(entry.check_out))
            self.assertEqual(attendance.employee_id, self.employee(entry.employee_id).employee_id)
            self.assertEqual(attendance.lightspeed_department_id, self.departments[entry.shop_id])
            self.assertEqual(attendance.in_mode, "lightspeed")
            self.assertFalse(attendance.lightspeed_edited)
            days.add(attendance.lightspeed_business_date)
        self.assertGreaterEqual(len(days), 6, "the window spans several days")
        records = self.env["lightspeed.sync.record"].search(
            [("backend_id", "=", self.backend.id), ("record_type", "=", "clock_in")]
        )
        self.assertEqual(set(records.mapped("state")), {"done"})
        # Reporting: hours by shop department; history does not follow the employee.
        groups = self.Attendance._read_group(
            [("lightspeed_backend_id", "=", self.backend.id)],
            ["lightspeed_department_id"],
            ["worked_hours:sum", "__count"],
        )
        self.assertEqual(
            {dept: count for dept, _hours, count in groups},
            {
                self.departments[shop]: len([e for e in remote.values() if e.shop_id == shop])
                for shop in {e.shop_id for e in remote.values()}
            },
        )
        some = self.attendance(closed[0].employee_hours_id)
        some.employee_id.department_id = self.env["hr.department"].create({"name": "Moved"})
        self.assertEqual(some.lightspeed_department_id, self.departments[closed[0].shop_id])

    def test_open_shifts_close_on_next_run(self):
        self.run_import()
        remote = self.remote_entries()
        open_ids = sorted(k for k, e in remote.items() if e.is_open)
        self.assertGreaterEqual(len(open_ids), 2, "the simulator has running shifts")
        for hours_id in open_ids:
            attendance = self.attendance(hours_id)
            self.assertFalse(attendance.check_out)
            self.assertEqual(attendance.employee_id.attendance_state, "checked_in")
        first, second = open_ids[:2]
        closes = {first: SIM_NOW - timedelta(minutes=30), second: SIM_NOW - timedelta(minutes=5)}
        for hours_id, check_out in closes.items():
            self.edit_shift(hours_id, check_out=iso(check_out))
        run = self.run_import()
        self.assertEqual(run.updated_count, 2)
        self.assertEqual(run.created_count, 0)
        for hours_id, check_out in closes.items():
            attendance = self.attendance(hours_id)
            self.assertEqual(attendance.check_out, check_out)
            self.assertEqual(attendance.out_mode, "lightspeed")
            self.assertGreater(attendance.worked_hours, 0)
            self.assertEqual(attendance.employee_id.attendance_state, "checked_out")
        for hours_id in open_ids[2:]:
            self.assertFalse(self.attendance(hours_id).check_out)

    def test_edit_updates_the_attendance(self):
        self.run_import()
        hours_id = "45"
        entry = self.remote_entries()[hours_id]
        new_in = to_naive_utc(entry.check_in) - timedelta(minutes=15)
        new_out = to_naive_utc(entry.check_out) + timedelta(minutes=40)
        self.edit_shift(hours_id, check_in=iso(new_in), check_out=iso(new_out))
        run = self.run_import()
        self.assertEqual((run.created_count, run.updated_count), (0, 1))
        attendance = self.attendance(hours_id)
        self.assertEqual((attendance.check_in, attendance.check_out), (new_in, new_out))
        self.assertEqual(
            (attendance.lightspeed_check_in, attendance.lightspeed_check_out), (new_in, new_out)
        )
        self.assertEqual(self.sync_record(hours_id).state, "done")

    def test_deleted_shift_removes_the_attendance(self):
        check_in = datetime(2025, 3, 10, 18, 0)
        hours_id = self.add_shift("3", "2", check_in, check_in + timedelta(hours=2))
        self.run_import()
        attendance = self.attendance(hours_id)
        self.assertTrue(attendance)
        self.simulator.admin("delete_shift", employee_hours_id=hours_id)
        run = self.run_import()
        self.assertFalse(attendance.exists())
        record = self.sync_record(hours_id)
        self.assertTrue(record.remote_deleted)
        self.assertEqual(record.state, "done")
        self.assertEqual(run.failed_count, 0)
        # A shift moved out of the window by an edit is not mistaken for a deletion.
        moved = SIM_NOW - timedelta(days=20)
        self.edit_shift("44", check_in=iso(moved), check_out=iso(moved + timedelta(hours=4)))
        self.run_import()
        self.assertTrue(self.attendance("44"))
        self.assertFalse(self.sync_record("44").remote_deleted)
        self.assertEqual(self.attendance("44").check_in, SIM_NOW - timedelta(days=20))

    def test_overlap_is_a_conflict(self):
        hours_id = "45"  # employee 4, 2025-03-11 08:13-14:46 UTC
        employee = self.employee("4").employee_id
        manual = self.Attendance.create(
            {
                "employee_id": employee.id,
                "check_in": datetime(2025, 3, 11, 10, 0),
                "check_out": datetime(2025, 3, 11, 11, 0),
            }
        )
        run = self.run_import()
        record = self.sync_record(hours_id)
        self.assertEqual(record.state, "conflict")
        self.assertEqual(record.conflict_type, "overlap")
        self.assertEqual(record.conflict_attendance_ids, manual)
        self.assertIn("overlaps", record.error_message)
        self.assertFalse(self.attendance(hours_id))
        self.assertEqual(run.failed_count, 0)
        self.assertEqual(self.backend.clock_in_conflict_count, 1)
        # Keep Odoo: the shift is skipped and stays skipped on the next run.
        record.action_keep_odoo()
        self.assertEqual(record.state, "skipped")
        self.run_import()
        self.assertEqual(record.state, "skipped")
        self.assertTrue(manual.exists())
        # Retry asks again; Take Lightspeed replaces the manual attendance.
        record.action_retry()
        self.assertEqual(record.state, "conflict")
        record.action_take_lightspeed()
        self.assertFalse(manual.exists())
        self.assertEqual(record.state, "done")
        self.assertTrue(self.attendance(hours_id))

    def test_manager_edit_then_lightspeed_change_is_a_conflict(self):
        self.run_import()
        hours_id = "46"
        attendance = self.attendance(hours_id)
        imported_out = attendance.check_out
        odoo_out = imported_out + timedelta(hours=1)
        attendance.check_out = odoo_out
        self.assertTrue(attendance.lightspeed_edited)
        run = self.run_import()
        self.assertEqual(attendance.check_out, odoo_out, "an unchanged shift keeps Odoo's edit")
        self.assertEqual(self.sync_record(hours_id).state, "done")
        self.assertEqual(run.updated_count, 0)
        remote_out = imported_out - timedelta(minutes=30)
        self.edit_shift(hours_id, check_out=iso(remote_out))
        self.run_import()
        record = self.sync_record(hours_id)
        self.assertEqual(record.state, "conflict")
        self.assertEqual(record.conflict_type, "odoo_edit")
        self.assertEqual(attendance.check_out, odoo_out, "Odoo's value is kept")
        self.assertEqual((record.odoo_check_out, record.remote_check_out), (odoo_out, remote_out))
        self.assertIn("Odoo:", record.error_message)
        # Keep Odoo: done, and Lightspeed's version counts as imported.
        record.action_keep_odoo()
        self.assertEqual(record.state, "done")
        self.assertEqual(attendance.check_out, odoo_out)
        self.assertEqual(attendance.lightspeed_check_out, remote_out)
        self.run_import()
        self.assertEqual(record.state, "done")
        # Another Lightspeed change asks again; Take Lightspeed overwrites Odoo.
        final_out = remote_out + timedelta(minutes=10)
        self.simulator.admin("edit_shift", employee_hours_id=hours_id, check_out=iso(final_out))
        self.run_import()
        self.assertEqual(record.state, "conflict")
        record.action_take_lightspeed()
        self.assertEqual(record.state, "done")
        self.assertEqual(attendance.check_out, final_out)
        self.assertFalse(attendance.lightspeed_edited)

    def test_auto_check_out_does_not_block_the_real_clock_out(self):
        self.run_import()
        hours_id = next(k for k, e in self.remote_entries().items() if e.is_open)
        attendance = self.attendance(hours_id)
        # What hr_attendance's _cron_auto_check_out writes on an open attendance.
        attendance.write(
            {"check_out": attendance.check_in + timedelta(hours=9), "out_mode": "auto_check_out"}
        )
        self.assertFalse(attendance.lightspeed_edited)
        self.run_import()
        self.assertEqual(attendance.out_mode, "auto_check_out", "still open in Lightspeed")
        # A Lightspeed edit of the still-open shift keeps Odoo's automatic check-out.
        auto_out = attendance.check_out
        new_in = attendance.check_in - timedelta(minutes=5)
        self.edit_shift(hours_id, check_in=iso(new_in))
        self.run_import()
        self.assertEqual(self.sync_record(hours_id).state, "done")
        self.assertEqual((attendance.check_in, attendance.check_out), (new_in, auto_out))
        self.assertEqual(attendance.out_mode, "auto_check_out")
        real_out = SIM_NOW - timedelta(minutes=20)
        self.edit_shift(hours_id, check_out=iso(real_out))
        self.run_import()
        self.assertEqual(self.sync_record(hours_id).state, "done")
        self.assertEqual(attendance.check_out, real_out)
        self.assertEqual(attendance.out_mode, "lightspeed")

    def test_unmapped_employee_fails_then_succeeds_on_retry(self):
        self.backend.create_missing_employees = False
        mapping5, mapping6 = self.employee("5"), self.employee("6")
        employee5, employee6 = mapping5.employee_id, mapping6.employee_id
        employee6.write({"name": "Someone else", "work_email": False})
        (mapping5 | mapping6).write({"employee_id": False})
        run = self.run_import()
        errors = self.env["lightspeed.sync.record"].search(
            [("backend_id", "=", self.backend.id), ("state", "=", "error")]
        )
        self.assertEqual(run.failed_count, len(errors))
        by_employee = errors.grouped(lambda r: r.payload["employeeID"])
        self.assertEqual(set(by_employee), {"5", "6"}, "only the unmapped employees fail")
        self.assertIn("is not mapped to an Odoo employee", errors[0].error_message)
        self.assertFalse(
            self.Attendance.search([("employee_id", "in", (employee5 | employee6).ids)])
        )
        # The next runs try again up to the attempt cap (3 by default), then leave them alone.
        for _attempt in range(4):
            self.run_import()
        self.assertEqual(set(errors.mapped("attempt_count")), {3})
        self.assertEqual(self.run_import().failed_count, 0, "past the cap, runs skip them")
        # Mapped by hand, then Retry.
        mapping5.employee_id = employee5
        by_employee["5"].action_retry()
        self.assertEqual(set(by_employee["5"].mapped("state")), {"done"})
        self.assertEqual(
            self.Attendance.search_count([("employee_id", "=", employee5.id)]),
            len(by_employee["5"]),
        )
        # Or created automatically when the backend allows it.
        self.backend.create_missing_employees = True
        by_employee["6"].action_retry()
        self.assertEqual(set(by_employee["6"].mapped("state")), {"done"})
        self.assertTrue(mapping6.employee_id)
        self.assertNotEqual(mapping6.employee_id, employee6)
        self.assertEqual(
            self.Attendance.search_count([("employee_id", "=", mapping6.employee_id.id)]),
            len(by_employee["6"]),
        )

    def test_archived_employee_old_shifts_by_backfill(self):
        """Dates (as the backfill wizard passes them) cover the shops' local days."""
        run = self.importer._run(self.backend, date_from=date(2025, 3, 2), date_to=date(2025, 3, 5))
        self.assertEqual(run.failed_count, 0, run.message)
        archived = self.employee("8")
        self.assertTrue(archived.remote_archived)
        self.assertFalse(archived.employee_id.active)
        attendances = self.Attendance.search([("employee_id", "=", archived.employee_id.id)])
        self.assertGreaterEqual(len(attendances), 2, "employee 8 worked before being archived")
        self.assertTrue(all(attendances.mapped("check_out")))

    def test_rerun_changes_nothing(self):
        self.run_import()
        attendances = self.Attendance.search([("lightspeed_backend_id", "=", self.backend.id)])
        fields_to_compare = ["check_in", "check_out", "employee_id", "out_mode", "worked_hours"]
        before = attendances.read(fields_to_compare)
        self.simulator.admin("reset_stats")
        run = self.run_import()
        self.assertEqual((run.created_count, run.updated_count, run.failed_count), (0, 0, 0))
        after = self.Attendance.search([("lightspeed_backend_id", "=", self.backend.id)])
        self.assertEqual(after, attendances)
        self.assertEqual(after.read(fields_to_compare), before)
        self.assertEqual(self.simulator.stats()["api_requests"], 1, "one page, no re-checks")

    def test_dst_change_keeps_local_times(self):
        """New York shop: 08:xx local is 13:xx UTC before 2025-03-09 and 12:xx after it; a
        night shift across the change lasts 7 real hours."""
        check_in = datetime(2025, 3, 9, 3, 0)  # 2025-03-08 22:00 EST
        check_out = datetime(2025, 3, 9, 10, 0)  # 2025-03-09 06:00 EDT
        night = self.add_shift("7", "1", check_in, check_out)
        self.run_import(days=10)
        tz = ZoneInfo("America/New_York")
        shop = self.backend.shop_ids.filtered(lambda s: s.lightspeed_id == "1")
        self.assertEqual(shop.timezone, "America/New_York")
        attendances = self.Attendance.search(
            [("lightspeed_shop_id", "=", shop.id), ("lightspeed_id", "!=", night)]
        )
        utc_hours = set()
        for attendance in attendances:
            local = attendance.check_in.replace(tzinfo=timezone.utc).astimezone(tz)
            self.assertEqual(attendance.lightspeed_business_date, local.date())
            self.assertIn(local.hour, range(7, 11), "the shop opens in the morning, local time")
            utc_hours.add((local.date() >= date(2025, 3, 9), attendance.check_in.hour - local.hour))
        self.assertEqual({offset for _after, offset in utc_hours}, {4, 5})
        attendance = self.attendance(night)
        self.assertEqual(attendance.lightspeed_business_date, date(2025, 3, 8))
        self.assertAlmostEqual(attendance.worked_hours, 7.0, places=4)

    def test_button_and_cron_use_the_rolling_window(self):
        cron = self.env.ref("lightspeed_connector.ir_cron_lightspeed_import_clock_ins")
        self.assertEqual((cron.interval_number, cron.interval_type), (1, "hours"))
        self.assertEqual(cron.nextcall.minute, 2)
        now = fields.Datetime.now().replace(microsecond=0)
        hours_id = self.add_shift("6", "3", now - timedelta(hours=2))
        result = self.backend.action_import_clock_ins()
        self.assertEqual(result["params"]["type"], "success")
        attendance = self.attendance(hours_id)
        self.assertFalse(attendance.check_out)
        # the button reads the backend's rolling window back from the (pinned) clock's now
        window = self.remote_entries(days=self.backend.clock_in_window_days)
        self.assertIn(hours_id, window)
        self.assertEqual(self.backend.attendance_count, len(window))
        self.simulator.admin("close_shift", employee_hours_id=hours_id, check_out=iso(now))
        self.env["lightspeed.backend"]._cron_import_clock_ins()
        self.assertEqual(attendance.check_out, now)
        # Crons only serve connected backends.
        self.backend.action_disable()
        runs = self.env["lightspeed.sync.run"].search_count([("backend_id", "=", self.backend.id)])
        self.env["lightspeed.backend"]._cron_import_clock_ins()
        self.assertEqual(
            self.env["lightspeed.sync.run"].search_count([("backend_id", "=", self.backend.id)]),
            runs,
        )
