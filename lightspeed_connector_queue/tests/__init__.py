from . import test_base_untouched
from . import test_queue_enqueue
from . import test_queue_failures
from . import test_queue_backfill
from . import test_runner
