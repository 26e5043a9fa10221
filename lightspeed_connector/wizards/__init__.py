from . import lightspeed_backfill_wizard
from . import lightspeed_stock_wizard
