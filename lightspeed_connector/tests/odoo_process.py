# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Run Odoo code in a separate OS process (``odoo shell``) against the test database.

Tests about locks and crashes need what production has: several processes with their own
connections, commits that stick, and a process that can die at any point (SIGKILL).
"""

import json
import os
import signal
import subprocess
import sys
import time

from odoo.tools import config

RESULT_PREFIX = "LIGHTSPEED_RESULT "


class OdooProcess:
    """``script`` runs with ``env`` (superuser) bound; ``result(value)`` reports a JSON value."""

    def __init__(self, dbname, script, log_level="warn"):
        args = [sys.executable, "-m", "odoo", "shell", "-d", dbname, "--no-http"]
        args += [f"--addons-path={config['addons_path']}", f"--log-level={log_level}"]
        options = {
            "db_host": "--db_host",
            "db_port": "--db_port",
            "db_user": "--db_user",
            "db_password": "--db_password",
            "data_dir": "--data-dir",
        }
        for key, option in options.items():
            if config.get(key):
                args.append(f"{option}={config[key]}")
        prelude = (
            "import json\n"
            f"def result(value):\n    print({RESULT_PREFIX!r} + json.dumps(value), flush=True)\n"
        )
        self.process = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )
        self.process.stdin.write(prelude + script)
        self.process.stdin.close()
        self.process.stdin = None  # communicate() must not flush it again
        self.stdout = self.stderr = ""

    def check_alive(self):
        """True while running; raises with its error output if it ended."""
        if self.process.poll() is None:
            return True
        self.wait()
        raise AssertionError(f"the odoo shell process ended early:\n{self.stdout[-2000:]}")

    def kill(self):
        """SIGKILL: no ``finally``, no rollback; PostgreSQL drops the connections."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def wait(self, timeout=300):
        """Wait for the end and return the reported results (raises if the process failed)."""
        self.stdout, self.stderr = self.process.communicate(timeout=timeout)
        results = [
            json.loads(line[len(RESULT_PREFIX) :])
            for line in self.stdout.splitlines()
            if line.startswith(RESULT_PREFIX)
        ]
        if self.process.returncode != 0 or not results:
            raise AssertionError(
                f"odoo shell exited with {self.process.returncode}:\n{self.stderr[-3000:]}"
            )
        return results


def wait_until(condition, timeout=120, interval=0.2, what="condition"):
    """Poll ``condition()`` until it returns a truthy value; return that value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")
