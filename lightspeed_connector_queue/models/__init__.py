from . import lightspeed_backend
from . import lightspeed_sync_run
from . import queue_job
