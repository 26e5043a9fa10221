#!/usr/bin/env python3
"""Take the screenshots of docs/screenshots along the admin tour's path, on the demo.

    python3 scripts/demo_screenshots.py [--odoo http://localhost:8069 --db lightspeed_demo]
                                        [--out docs/screenshots] [--no-save]

The path is the one the web tour ``lightspeed_connector_admin_tour`` walks (run by
tests/test_tour.py on the simulator): Settings with the OAuth redirect URI, the connected
backend form, its shops mapped to warehouses and points of sale, its payment types mapped to
payment methods, the sync records, one imported sale's sync record with its pretty-printed
payload, Sales Analysis by business day and shop, and the weekly balance pivot. The demo is
already set up (scripts/demo connects, maps and imports), so each screen is opened at its
step's state and waited for with the selector the tour uses there.

Logs in as admin with every company of the demo selected (one per currency), navigates,
waits until the view shows its step's data, and fails (exit 1) on any JavaScript exception,
console error, Odoo error dialog or a view that does not show the data. Screenshots are
written as palette PNGs (small enough to commit). Needs `chromium` (or $CHROMIUM) and
websocket-client. Only talks to the local Odoo it is given.
"""

import argparse
import base64
import io
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
ACTION = "/odoo/action-lightspeed_connector."
# Clear the default "Errors" facet of the sync records list: the demo import has no error.
CLEAR_FACET = "document.querySelector('.o_searchview_facet .o_facet_remove')?.click()"
SCREENS = [
    # (file name, URL path, CSS selector that proves the step's data is shown (the tour's own
    # selector for that step), JS run once it is there, selector to wait for after it)
    (
        "settings.png",
        ACTION + "res_config_settings_action",
        ".o_field_widget[name=lightspeed_callback_url] span",
        "document.querySelector('.o_field_widget[name=lightspeed_callback_url]')"
        ".scrollIntoView({block: 'center'})",
        ".o_field_widget[name=lightspeed_callback_url] span",
    ),
    (
        "backend_form.png",
        ACTION + "lightspeed_backend_action/{backend_id}",
        ".o_form_view .o_statusbar_status button.o_arrow_button_current[data-value=connected]",
        None,
        None,
    ),
    (
        "shops.png",
        ACTION + "lightspeed_shop_action",
        # A list cell shows its value as text and in data-tooltip: the shop has its POS.
        ".o_list_view .o_data_row .o_data_cell[name=pos_config_id][data-tooltip^=Lightspeed]",
        None,
        None,
    ),
    (
        "payment_types.png",
        ACTION + "lightspeed_payment_type_action",
        ".o_list_view .o_data_row .o_data_cell[name=payment_method_id][data-tooltip]",
        None,
        None,
    ),
    (
        "sync_records.png",
        ACTION + "lightspeed_sync_record_action",
        ".o_list_view",
        CLEAR_FACET,
        ".o_list_view .o_data_row",
    ),
    (
        "sync_record_payload.png",
        ACTION + "lightspeed_sync_record_action/{sync_record_id}",
        ".o_form_view .o_field_widget[name=payload_text] .ace_editor .ace_line",
        # The payload's first lines under the record's fields.
        "const payload = document.querySelector('.o_field_widget[name=payload_text]');"
        "payload.scrollIntoView({block: 'start'});"
        "payload.closest('.o_content')?.scrollBy(0, -320);",
        ".o_form_view .o_field_widget[name=payload_text] .ace_editor .ace_line",
    ),
    (
        # The file name the README already shows: now the connector's Sales Analysis, by
        # business day and shop (Odoo's own Orders Analysis groups by the viewer's day).
        "pos_orders_analysis.png",
        ACTION + "report_pos_order_action",
        ".o_pivot table thead th, .o_graph_renderer canvas",
        None,
        None,
    ),
    (
        "weekly_balance_pivot.png",
        ACTION + "lightspeed_weekly_balance_line_action",
        ".o_pivot table tbody td.o_pivot_cell_value",
        None,
        None,
    ),
]
ERROR_SELECTOR = ".o_error_dialog, .o_dialog .modal-title:not(:empty) ~ * .o_error_detail"


class Chrome:
    """A headless Chromium driven over the DevTools protocol (one page)."""

    def __init__(self, executable, width, height):
        import websocket  # websocket-client, also what Odoo's own browser tests use

        self.profile = tempfile.mkdtemp(prefix="lightspeed-chrome-")
        self.process = subprocess.Popen(
            [
                executable,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                f"--user-data-dir={self.profile}",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text().strip():
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.close()
                raise RuntimeError("Chromium did not start")
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        pages = []
        while not pages and time.monotonic() < deadline:
            pages = [
                t
                for t in requests.get(f"http://127.0.0.1:{port}/json/list", timeout=5).json()
                if t["type"] == "page"
            ]
            time.sleep(0.1)
        self.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=60)
        self.ids = itertools.count(1)
        self.errors = []
        self.send("Runtime.enable")
        self.send("Page.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def _event(self, message):
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            self.errors.append(f"exception: {text}")
        elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            self.errors.append(f"console.{params['type']}: {text}")

    def send(self, method, **params):
        msg_id = next(self.ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == msg_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._event(message)

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def wait_for(self, selector, timeout=60):
        deadline = time.monotonic() + timeout
        check = f"!!document.querySelector({json.dumps(selector)})"
        while time.monotonic() < deadline:
            if self.evaluate(check):
                return True
            if self.evaluate(f"!!document.querySelector({json.dumps(ERROR_SELECTOR)})"):
                return False
            time.sleep(0.25)
        return False

    def close(self):
        if getattr(self, "ws", None):
            self.ws.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def small_png(data):
    """Quantize to a 256-colour palette: UI screenshots stay sharp at a fraction of the size."""
    from PIL import Image

    image = Image.open(io.BytesIO(data)).convert("RGB")
    out = io.BytesIO()
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(out, "PNG", optimize=True)
    return out.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--odoo", default="http://localhost:8069")
    parser.add_argument("--db", default="lightspeed_demo")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--no-save", action="store_true", help="check only")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=900)
    opts = parser.parse_args()

    executable = os.environ.get("CHROMIUM") or next(
        filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None
    )
    if not executable:
        print("SKIPPED: no chromium on PATH (Debian: apt-get install chromium)")
        return 0

    session = requests.Session()
    response = session.post(
        f"{opts.odoo}/web/session/authenticate",
        json={"params": {"db": opts.db, "login": opts.login, "password": opts.password}},
        timeout=60,
    )
    response.raise_for_status()
    info = response.json().get("result") or {}
    if not info.get("uid"):
        print(f"cannot log in to {opts.odoo} as {opts.login}")
        return 1
    # Every company of the demo (one per currency), the main one first: the web client reads
    # the selected companies from the "cids" cookie.
    companies = info["user_companies"]
    company_ids = [companies["current_company"]] + sorted(
        int(cid)
        for cid in companies["allowed_companies"]
        if int(cid) != companies["current_company"]
    )

    def search(model, domain):
        return session.post(
            f"{opts.odoo}/web/dataset/call_kw",
            json={
                "params": {
                    "model": model,
                    "method": "search",
                    "args": [domain],
                    "kwargs": {
                        "limit": 1,
                        "order": "id",
                        "context": {"allowed_company_ids": company_ids},
                    },
                }
            },
            timeout=60,
        ).json()["result"]

    backend_ids = search("lightspeed.backend", [("state", "=", "connected")])
    if not backend_ids:
        print("the demo database has no connected Lightspeed backend: run scripts/demo first")
        return 1
    # The tour opens the sync record of an imported sale.
    record_ids = search(
        "lightspeed.sync.record",
        [("backend_id", "=", backend_ids[0]), ("record_type", "=", "sale"), ("state", "=", "done")],
    )
    if not record_ids:
        print("the demo's first backend has imported no sale: run scripts/demo first")
        return 1

    chrome = Chrome(executable, opts.width, opts.height)
    failures = []
    try:
        host = opts.odoo.split("://", 1)[1].split("/")[0].split(":")[0]
        chrome.send(
            "Network.setCookie",
            name="session_id",
            value=session.cookies["session_id"],
            domain=host,
            path="/",
        )
        chrome.send(
            "Network.setCookie",
            name="cids",
            value="-".join(map(str, company_ids)),
            domain=host,
            path="/",
        )
        out = Path(opts.out)
        for name, path, selector, script, then in SCREENS:
            url = opts.odoo + path.format(backend_id=backend_ids[0], sync_record_id=record_ids[0])
            chrome.errors = []
            chrome.send("Page.navigate", url=url)
            shown = chrome.wait_for(selector)
            if shown and script:
                time.sleep(0.5)
                chrome.evaluate(script)
                time.sleep(1.5)
                selector = then
                shown = chrome.wait_for(then)
            time.sleep(1.5)  # let charts and late RPCs settle; errors raised meanwhile count
            chrome.evaluate("1")  # drain pending events
            problems = list(chrome.errors)
            if not shown:
                problems.append(f"the view did not show data ({selector})")
            status = "FAIL" if problems else "ok"
            print(f"{status:4} {name[:-4]:24} {url}", flush=True)
            for problem in problems:
                print(f"     {problem}")
                failures.append((name, problem))
            if not opts.no_save:
                shot = chrome.send("Page.captureScreenshot", format="png")
                out.mkdir(parents=True, exist_ok=True)
                data = small_png(base64.b64decode(shot["data"]))
                (out / name).write_bytes(data)
                print(f"     saved {out / name} ({len(data) // 1024} KB)")
    finally:
        chrome.close()
    clean = len(SCREENS) - len({name for name, _problem in failures})
    print(f"{clean}/{len(SCREENS)} screens without errors")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
