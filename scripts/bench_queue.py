#!/usr/bin/env python3
"""Benchmark: Lightspeed imports inline (the crons) against OCA queue_job.

N backends (one simulated Lightspeed account each) × M sales. Both modes run the scheduled
imports of sales and clock-ins for every backend, on the same simulated data, each in a fresh
database made from a template:

* inline: ``lightspeed_connector`` alone; ``_cron_import_sales()`` then
  ``_cron_import_clock_ins()`` in one process, one backend after the other (the cron thread);
* queue: ``lightspeed_connector_queue`` installed; an Odoo server with queue_job's runner
  (``--load=web,queue_job``, ``--workers`` = job slots, ``[queue_job] channels = root:<slots>,
  root.lightspeed:<slots>``) already waits; the two crons queue one job per backend and stream
  and the clock stops when the last job is done.

Prints the wall time, sales per second and the largest number of API requests each account had
in flight at once (the simulator's ``api_max_in_flight``: one simulator is one account), plus
the jobs' retries and the runs that failed on the way. It measures; it asserts nothing.

    python3 scripts/bench_queue.py [--backends 4] [--sales 2500] [--slots 2]
                                   [--db-host localhost --db-user odoo] [--base-template ls_base]

Templates (built once, then reused): ``<template>_base`` (lightspeed_connector) and
``<template>_queue`` (+ lightspeed_connector_queue), from ``--base-template`` when given (a
database with the dependencies installed) or from scratch. Needs Odoo 18 and queue_job 18.0
importable and a PostgreSQL server; drops its run databases at the end unless ``--keep``.
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import requests

ROOT = Path(__file__).resolve().parent.parent
CLIENT_ID, CLIENT_SECRET = "bench-client", "bench-secret"
REDIRECT_URI = "http://localhost:8069/lightspeed_connector/oauth/callback"
SALES, CLOCK_INS = "lightspeed.sale.importer", "lightspeed.clock_in.importer"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", type=int, default=4)
    parser.add_argument("--sales", type=int, default=2500, help="sales per backend")
    parser.add_argument("--days", type=int, default=2, help="days the sales are spread over")
    parser.add_argument("--slots", type=int, default=2, help="jobs at once (runner slots)")
    parser.add_argument("--db-host", default=os.environ.get("PGHOST", "localhost"))
    parser.add_argument("--db-port", default=os.environ.get("PGPORT"))
    parser.add_argument("--db-user", default=os.environ.get("PGUSER", "odoo"))
    parser.add_argument("--template", default="lightspeed_bench_queue")
    parser.add_argument("--base-template", help="a database with the dependencies installed")
    parser.add_argument("--addons-path", help="Odoo's addons folders (default: found)")
    parser.add_argument("--keep", action="store_true", help="keep the run databases")
    return parser.parse_args()


# === plumbing === #


def default_addons_path():
    import odoo

    import odoo.addons.queue_job as queue_job

    paths = [os.path.join(os.path.dirname(odoo.__file__), "addons")]
    paths.append(os.path.dirname(os.path.dirname(queue_job.__file__)))
    return ",".join(dict.fromkeys(p for p in paths if os.path.isdir(p)))


def db_args(opts, db):
    args = [f"--db_host={opts.db_host}", f"--db_user={opts.db_user}", "-d", db]
    if opts.db_port:
        args.append(f"--db_port={opts.db_port}")
    return args + [f"--addons-path={opts.addons_path},{ROOT}"]


def psql(opts, *args, db="postgres"):
    cmd = ["psql", "-h", opts.db_host, "-U", opts.db_user, "-d", db, "-Atc", *args]
    if opts.db_port:
        cmd[1:1] = ["-p", str(opts.db_port)]
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()


def pg_tool(opts, tool, *args, check=True):
    cmd = [tool, "-h", opts.db_host, "-U", opts.db_user, *args]
    if opts.db_port:
        cmd[1:1] = ["-p", str(opts.db_port)]
    subprocess.run(cmd, check=check)


def release_db(db):
    """Close this process's registry and connections of ``db`` (before dropping it)."""
    import odoo

    odoo.modules.registry.Registry.delete(db)
    odoo.sql_db.close_db(db)


def db_exists(opts, db):
    return psql(opts, f"SELECT 1 FROM pg_database WHERE datname = '{db}'") == "1"


def filestore(db):
    from odoo.tools import config

    return Path(config.filestore(db))


def clone_db(opts, template, db):
    pg_tool(opts, "dropdb", "--if-exists", db)
    pg_tool(opts, "createdb", "-T", template, db)
    if filestore(template).is_dir():
        shutil.rmtree(filestore(db), ignore_errors=True)
        shutil.copytree(filestore(template), filestore(db))


def odoo_install(opts, db, modules):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "odoo",
            *db_args(opts, db),
            "-i",
            modules,
            "--without-demo=all",
            "--stop-after-init",
            "--max-cron-threads=0",
            "--log-level=warn",
        ],
        check=True,
    )


def ensure_templates(opts):
    base, queue = f"{opts.template}_base", f"{opts.template}_queue"
    if not db_exists(opts, base):
        print(f"building template {base} (one time)...", flush=True)
        if opts.base_template:
            clone_db(opts, opts.base_template, base)
        odoo_install(opts, base, "lightspeed_connector")
    if not db_exists(opts, queue):
        print(f"building template {queue} (one time)...", flush=True)
        clone_db(opts, base, queue)
        odoo_install(opts, queue, "lightspeed_connector_queue")
    return base, queue


def start_simulator(index, opts):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lightspeed_simulator",
            "--port",
            "0",
            "--sales",
            str(opts.sales),
            "--days",
            str(opts.days),
            "--seed",
            str(100 + index),
            "--account-id",
            str(51001 + index),
            "--client-id",
            CLIENT_ID,
            "--client-secret",
            CLIENT_SECRET,
            "--redirect-uri",
            REDIRECT_URI,
            # the accounts' own rate limits are not what is measured
            "--bucket-size",
            "100000",
            "--burst-limit",
            "100000",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = proc.stdout.readline()
    return proc, line.split()[-1]


def sim_stats(url):
    return requests.get(f"{url}/_sim/stats", timeout=30).json()


# === one mode === #


def setup_backends(env, urls, opts):
    """Connect and map one backend per simulated account; committed."""
    backends = env["lightspeed.backend"]
    for index, url in enumerate(urls):
        backend = env["lightspeed.backend"].create(
            {
                "name": f"Bench {index + 1}",
                "api_url": url,
                "auth_url": url,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "initial_import_days": opts.days + 1,
                "create_missing_employees": True,
            }
        )
        authorize_url = backend.action_connect()["url"]
        env.cr.commit()  # as in the UI: the backend is saved before the OAuth round trip
        location = requests.get(authorize_url, allow_redirects=False, timeout=30).headers[
            "Location"
        ]
        backend._complete_authorization(parse_qs(urlparse(location).query)["code"][0])
        for shop in backend.shop_ids.filtered(lambda s: not s.remote_archived):
            code = f"B{index + 1}{shop.lightspeed_id}"
            warehouse = env["stock.warehouse"].create({"name": f"WH {code}", "code": code})
            department = env["hr.department"].create({"name": f"Shop {code}"})
            shop.write(
                {
                    "warehouse_id": warehouse.id,
                    "department_id": department.id,
                    "import_enabled": True,
                }
            )
        backend.payment_type_ids.action_create_payment_methods()
        env.cr.commit()
        backends |= backend
    return backends


def results(env, backends, urls, wall):
    env.invalidate_all()
    ids = tuple(backends.ids)
    env.cr.execute(
        "SELECT count(*) FROM lightspeed_sync_record WHERE backend_id IN %s AND record_type = "
        "'sale'",
        [ids],
    )
    sales = env.cr.fetchone()[0]
    env.cr.execute(
        "SELECT count(*), count(*) FILTER (WHERE state = 'failed') FROM lightspeed_sync_run "
        "WHERE backend_id IN %s AND stream IN ('sale', 'clock_in')",
        [ids],
    )
    runs, failed_runs = env.cr.fetchone()
    env.cr.execute("SELECT count(*) FROM pos_order WHERE lightspeed_backend_id IN %s", [ids])
    orders = env.cr.fetchone()[0]
    return {
        "wall": wall,
        "sales": sales,
        "orders": orders,
        "runs": runs,
        "failed_runs": failed_runs,
        "in_flight": [sim_stats(url)["api_max_in_flight"] for url in urls],
    }


def run_inline(opts, template, urls):
    import odoo
    from odoo import SUPERUSER_ID, api

    db = f"{opts.template}_run_inline"
    clone_db(opts, template, db)
    registry = odoo.modules.registry.Registry(db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        backends = setup_backends(env, urls, opts)
        for url in urls:
            requests.post(f"{url}/_sim/reset_stats", json={}, timeout=30)
        started = time.perf_counter()
        env["lightspeed.backend"]._cron_import_sales()
        env["lightspeed.backend"]._cron_import_clock_ins()
        cr.commit()
        wall = time.perf_counter() - started
        out = results(env, backends, urls, wall)
        out["jobs"] = out["retries"] = out["failed_jobs"] = None
    return db, out


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_queue(opts, template, urls, workdir):
    import odoo
    from odoo import SUPERUSER_ID, api

    db = f"{opts.template}_run_queue"
    clone_db(opts, template, db)
    registry = odoo.modules.registry.Registry(db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        backends = setup_backends(env, urls, opts)
        # the account channels exist before the runner reads its configuration
        for backend in backends:
            backend._lightspeed_job_channel()
        cr.commit()
    log = Path(workdir, "odoo-queue.log")
    channels = f"root:{opts.slots},root.lightspeed:{opts.slots}"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "odoo",
            "server",
            *db_args(opts, db),
            f"--db-filter=^{db}$",
            "--load=web,queue_job",
            f"--workers={opts.slots}",
            "--max-cron-threads=0",
            "--http-interface=127.0.0.1",
            f"--http-port={free_port()}",
            "--limit-time-real=3600",
            "--limit-time-cpu=3600",
            f"--logfile={log}",
            "--log-level=info",
        ],
        env=dict(os.environ, ODOO_QUEUE_JOB_CHANNELS=channels),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 180
        while "queue job runner ready" not in (log.read_text() if log.exists() else ""):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Odoo server did not start; see {log}")
            time.sleep(0.5)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            for url in urls:
                requests.post(f"{url}/_sim/reset_stats", json={}, timeout=30)
            cr.execute("SELECT coalesce(max(id), 0) FROM queue_job")
            last_job = cr.fetchone()[0]
            started = time.perf_counter()
            env["lightspeed.backend"]._cron_import_sales()
            env["lightspeed.backend"]._cron_import_clock_ins()
            cr.commit()
            while True:
                cr.execute(
                    "SELECT count(*), count(*) FILTER (WHERE state IN ('done', 'failed')) "
                    "FROM queue_job WHERE id > %s",
                    [last_job],
                )
                jobs, finished = cr.fetchone()
                cr.commit()  # a fresh snapshot for the next poll
                if jobs and finished == jobs:
                    break
                if server.poll() is not None:
                    raise RuntimeError(f"the Odoo server stopped; see {log}")
                time.sleep(0.25)
            wall = time.perf_counter() - started
            out = results(env, backends, urls, wall)
            cr.execute(
                "SELECT count(*), coalesce(sum(greatest(retry - 1, 0)), 0), "
                "count(*) FILTER (WHERE state = 'failed') FROM queue_job WHERE id > %s",
                [last_job],
            )
            out["jobs"], out["retries"], out["failed_jobs"] = cr.fetchone()
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
    return db, out


def main():
    opts = parse_args()
    import odoo

    opts.addons_path = opts.addons_path or default_addons_path()
    odoo.tools.config.parse_config([*db_args(opts, "postgres"), "--log-level=warn"])
    base, queue = ensure_templates(opts)
    sims = [start_simulator(index, opts) for index in range(opts.backends)]
    urls = [url for _proc, url in sims]
    workdir = tempfile.mkdtemp(prefix="bench-queue-")
    dbs = [f"{opts.template}_run_inline", f"{opts.template}_run_queue"]
    try:
        _db, inline = run_inline(opts, base, urls)
        _db, queued = run_queue(opts, queue, urls, workdir)
    finally:
        for proc, _url in sims:
            proc.terminate()
            proc.wait()
        if not opts.keep:
            for db in dbs:
                release_db(db)
                pg_tool(opts, "dropdb", "--if-exists", db, check=False)
                shutil.rmtree(filestore(db), ignore_errors=True)
    cores = os.cpu_count()
    print()
    print(
        f"{opts.backends} backends × {opts.sales} sales over {opts.days} days, crons for sales "
        f"and clock-ins, {cores} cores"
    )
    print(
        f"{'mode':<40}{'wall s':>8}{'sales':>7}{'sales/s':>9}{'orders':>8}{'jobs':>6}"
        f"{'retries':>9}{'failed':>8}{'failed runs':>13}  max API requests in flight per account"
    )
    for label, row in (
        ("inline crons (one cron thread)", inline),
        (f"queue_job ({opts.slots} runner slots, --workers={opts.slots})", queued),
    ):
        cells = [row[key] if row[key] is not None else "-" for key in ("jobs", "retries")]
        cells.append(row["failed_jobs"] if row["failed_jobs"] is not None else "-")
        print(
            f"{label:<40}{row['wall']:>8.1f}{row['sales']:>7}{row['sales'] / row['wall']:>9.1f}"
            f"{row['orders']:>8}{cells[0]:>6}{cells[1]:>9}{cells[2]:>8}{row['failed_runs']:>13}"
            f"  {' '.join(map(str, row['in_flight']))}"
        )
    print(f"speed-up: {inline['wall'] / queued['wall']:.2f}×; queue server log: {workdir}")


if __name__ == "__main__":
    main()
