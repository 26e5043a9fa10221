from . import lightspeed_backfill_wizard
