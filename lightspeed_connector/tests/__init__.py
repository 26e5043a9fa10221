from . import test_foundation
from . import test_backend
from . import test_token_concurrency
from . import test_sale_import
from . import test_weekly_balance
from . import test_clock_in_import
from . import test_browser_smoke
from . import test_engine_processes
