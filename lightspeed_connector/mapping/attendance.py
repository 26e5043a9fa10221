"""Pure mappers from a Lightspeed ``EmployeeHours`` entry to ``hr.attendance`` values (no Odoo
imports). The importer resolves the employee, shop and business day."""

import hashlib

from ..tools import to_naive_utc
from .errors import MappingError


def clock_in_fingerprint(entry):
    """EmployeeHours has no change stamp: its content is its version."""
    content = "|".join(
        [
            entry.employee_id or "",
            entry.shop_id or "",
            entry.check_in.isoformat() if entry.check_in else "",
            entry.check_out.isoformat() if entry.check_out else "",
        ]
    )
    return hashlib.sha256(content.encode()).hexdigest()[:32]


def prepare_attendance_vals(entry, backend_id, employee_id, shop_id, department_id, business_day):
    """Attendance values of a clock entry (both the working and the last-imported times)."""
    if not entry.check_in:
        raise MappingError(f"clock entry {entry.employee_hours_id} has no check-in")
    check_in = to_naive_utc(entry.check_in)
    check_out = to_naive_utc(entry.check_out)
    return {
        "employee_id": employee_id,
        "check_in": check_in,
        "check_out": check_out,
        "in_mode": "lightspeed",
        "out_mode": "lightspeed",
        "lightspeed_backend_id": backend_id,
        "lightspeed_id": entry.employee_hours_id,
        "lightspeed_shop_id": shop_id,
        "lightspeed_department_id": department_id,
        "lightspeed_business_date": business_day,
        "lightspeed_check_in": check_in,
        "lightspeed_check_out": check_out,
    }
