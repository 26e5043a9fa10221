from . import test_foundation
from . import test_backend
from . import test_token_concurrency
from . import test_clock_in_import
