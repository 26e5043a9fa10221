"""Constants shared by the models (no Odoo imports)."""

DEFAULT_API_URL = "https://api.lightspeedapp.com"
DEFAULT_AUTH_URL = "https://cloud.lightspeedapp.com"
# Read-only access to sales, employees (EmployeeHours needs admin_employees), items, customers.
DEFAULT_SCOPE = (
    "employee:register_read employee:admin_employees employee:inventory_read "
    "employee:customers_read"
)
CALLBACK_PATH = "/lightspeed_connector/oauth/callback"

# ir.config_parameter keys of the Settings page (defaults for new backends).
PARAM_CORRECTION_DAYS = "lightspeed_connector.correction_window_days"
PARAM_INITIAL_DAYS = "lightspeed_connector.initial_import_days"
PARAM_CLOCK_IN_DAYS = "lightspeed_connector.clock_in_window_days"
PARAM_MAX_ATTEMPTS = "lightspeed_connector.max_attempts"

# A refresh token unused for 30 days expires at Lightspeed; refresh well before that.
KEEP_ALIVE_DAYS = 7

# Weekly balance: local hour (shop time zone) at which the previous day is approved.
PARAM_AUTO_CONFIRM_HOUR = "lightspeed_connector.auto_confirm_hour"
