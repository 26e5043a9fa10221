#!/usr/bin/env python3
"""Benchmark: import N simulated Lightspeed sales into a fresh Odoo database.

Prints sales/s end-to-end (fetch + stage + orders + session closing), API requests per 1,000
sales and the peak memory growth of the importing process. It measures; it asserts nothing.

    python3 scripts/bench_sales.py --sales 1000 10000 [--db-host localhost --db-user odoo]

Each size gets its own database, created from a template that has the addon installed
(built once, then reused: ``--template``). Needs Odoo 18 importable and a PostgreSQL server.
"""

import argparse
import datetime
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import requests

ROOT = Path(__file__).resolve().parent.parent
CLIENT_ID, CLIENT_SECRET = "bench-client", "bench-secret"


def psql_args(opts):
    args = ["-h", opts.db_host, "-U", opts.db_user]
    if opts.db_port:
        args += ["-p", str(opts.db_port)]
    return args


def odoo_args(opts, db):
    args = [f"--db_host={opts.db_host}", f"--db_user={opts.db_user}", "-d", db]
    if opts.db_port:
        args.append(f"--db_port={opts.db_port}")
    return args + [f"--addons-path={opts.addons_path},{ROOT}"]


def ensure_template(opts):
    exists = subprocess.run(
        [
            "psql",
            *psql_args(opts),
            "-d",
            "postgres",
            "-Atc",
            f"SELECT 1 FROM pg_database WHERE datname = '{opts.template}'",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if exists:
        return
    print(f"building template database {opts.template} (one time)...", flush=True)
    base = getattr(opts, "template_from", None)  # a database with the dependencies installed
    if base:
        subprocess.run(["createdb", *psql_args(opts), "-T", base, opts.template], check=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "odoo",
            *odoo_args(opts, opts.template),
            "-i",
            "lightspeed_connector",
            "--without-demo=all",
            "--stop-after-init",
            "--log-level=warn",
        ],
        check=True,
    )


def start_simulator(sales, days):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lightspeed_simulator",
            "--port",
            "0",
            "--sales",
            str(sales),
            "--days",
            str(days),
            "--client-id",
            CLIENT_ID,
            "--client-secret",
            CLIENT_SECRET,
            "--redirect-uri",
            "http://localhost:8069/lightspeed_connector/oauth/callback",
            "--bucket-size",
            "100000",
            "--burst-limit",
            "100000",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    return proc, line.split()[-1]


def run_one(opts, sales):
    import odoo
    from odoo import SUPERUSER_ID, api

    db = f"{opts.template}_{sales}"
    subprocess.run(["dropdb", *psql_args(opts), "--if-exists", db], check=True)
    subprocess.run(["createdb", *psql_args(opts), "-T", opts.template, db], check=True)
    # About 1,500 sales a day over three shops, unless --days packs them into fewer days
    # (fewer, fuller sessions: the memory case).
    days = opts.days or max(2, sales // 1500)
    sim, url = start_simulator(sales, days)
    try:
        odoo.tools.config.parse_config([*odoo_args(opts, db), "--log-level=warn"])
        registry = odoo.modules.registry.Registry(db)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            backend = env["lightspeed.backend"].create(
                {
                    "name": "Bench",
                    "api_url": url,
                    "auth_url": url,
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "initial_import_days": days + 1,
                }
            )
            authorize_url = backend.action_connect()["url"]
            cr.commit()  # as in the UI: the backend is saved before the OAuth round trip
            location = requests.get(authorize_url, allow_redirects=False, timeout=30).headers[
                "Location"
            ]
            backend._complete_authorization(parse_qs(urlparse(location).query)["code"][0])
            for shop in backend.shop_ids.filtered(lambda s: not s.remote_archived):
                warehouse = env["stock.warehouse"].create(
                    {"name": f"WH {shop.name}", "code": f"B{shop.lightspeed_id}"}
                )
                shop.write({"warehouse_id": warehouse.id, "import_enabled": True})
            backend.payment_type_ids.action_create_payment_methods()
            cr.commit()
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            started = time.perf_counter()
            if os.environ.get("BENCH_PROFILE"):
                import cProfile

                profiler = cProfile.Profile()
                run = profiler.runcall(env["lightspeed.sale.importer"]._run, backend)
                profiler.dump_stats(os.environ["BENCH_PROFILE"])
            else:
                run = env["lightspeed.sale.importer"]._run(backend)
            cr.commit()
            elapsed = time.perf_counter() - started
            rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            noop, noop_seconds = noop_hourly_run(env, backend, days)
            preview = preview_seconds(env, backend, days)
            return {
                "noop_seconds": noop_seconds,
                "noop_requests": noop.request_count,
                "noop_fetched": noop.fetched_count,
                "preview_seconds": preview,
                "sales": run.fetched_count,
                "orders": env["pos.order"].search_count(
                    [("lightspeed_backend_id", "=", backend.id)]
                ),
                "failed": run.failed_count,
                "seconds": elapsed,
                "requests": run.request_count,
                "peak_growth_mb": (rss_after - rss_before) / 1024,
                "peak_rss_mb": rss_after / 1024,
            }
    finally:
        sim.terminate()
        sim.wait()


def noop_hourly_run(env, backend, days):
    """The next hourly run when nothing changed, with every sale inside the correction window
    (the window is re-read on every run, whatever the change stamps say)."""
    backend.correction_window_days = days + 1
    env.cr.commit()
    started = time.perf_counter()
    run = env["lightspeed.sale.importer"]._run(backend)
    return run, time.perf_counter() - started


def preview_seconds(env, backend, days):
    """The backfill wizard's dry run over the whole imported range."""
    today = datetime.date.today()
    wizard = env["lightspeed.backfill.wizard"].create(
        {
            "backend_id": backend.id,
            "date_from": today - datetime.timedelta(days=days + 1),
            "date_to": today,
        }
    )
    started = time.perf_counter()
    wizard.action_preview()
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, nargs="+", default=[1000])
    parser.add_argument("--db-host", default=os.environ.get("PGHOST", "localhost"))
    parser.add_argument("--db-port", default=os.environ.get("PGPORT"))
    parser.add_argument("--db-user", default=os.environ.get("PGUSER", "odoo"))
    parser.add_argument("--template", default="lightspeed_bench")
    parser.add_argument("--addons-path", default=os.environ.get("ODOO_ADDONS_PATH"))
    parser.add_argument("--days", type=int, help="spread the sales over this many days")
    parser.add_argument("--no-header", action="store_true", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if not opts.addons_path:
        import odoo

        opts.addons_path = os.path.join(os.path.dirname(odoo.__file__), "addons")
    ensure_template(opts)
    if not opts.no_header:
        print(
            f"{'sales':>8} {'orders':>8} {'failed':>6} {'seconds':>8} {'sales/s':>8} "
            f"{'req/1000':>8} {'peak +MB':>9} {'peak MB':>8}",
            flush=True,
        )
    for sales in opts.sales:
        # A fresh process per size keeps peak memory figures comparable.
        if len(opts.sales) > 1:
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--sales",
                    str(sales),
                    "--db-host",
                    opts.db_host,
                    "--db-user",
                    opts.db_user,
                    "--template",
                    opts.template,
                    "--addons-path",
                    opts.addons_path,
                    "--no-header",
                    *(["--db-port", opts.db_port] if opts.db_port else []),
                    *(["--days", str(opts.days)] if opts.days else []),
                ],
                check=True,
            )
            continue
        r = run_one(opts, sales)
        print(
            f"{r['sales']:>8} {r['orders']:>8} {r['failed']:>6} {r['seconds']:>8.1f} "
            f"{r['sales'] / r['seconds']:>8.1f} {r['requests'] * 1000 / max(r['sales'], 1):>8.1f} "
            f"{r['peak_growth_mb']:>9.1f} {r['peak_rss_mb']:>8.1f}",
            flush=True,
        )
        print(
            f"    no-op hourly run over {r['noop_fetched']} sales in the correction window: "
            f"{r['noop_requests']} requests, {r['noop_seconds']:.1f} s; "
            f"backfill preview of {r['sales']} sales: {r['preview_seconds']:.1f} s",
            flush=True,
        )


if __name__ == "__main__":
    main()
