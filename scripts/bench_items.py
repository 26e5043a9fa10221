#!/usr/bin/env python3
"""Benchmark: the catalogue and the stock export against the simulator, in fresh databases.

Prints (it measures; it asserts nothing):

1. importing ``--items`` Lightspeed items (default 10,000) into products: items/s, requests;
2. a first sales import of ``--sales`` sales (default 5,000) meeting ``--new-items`` items
   (default 1,500) that have no product yet (created in batches by the sales import): sales/s;
3. exporting ``--changes`` changed stock quantities (default 1,000) of one shop: requests,
   seconds (the simulator's bucket is opened wide; at Lightspeed's 1 drip/s a write of one
   ItemShop costs 1.5 drips, which the printed estimate adds);
4. for comparison, the same sales import when the item import ran first (products exist).

``BENCH_PROFILE=/tmp/x.prof`` writes a cProfile of the item import (or of the sales import).

    python3 scripts/bench_items.py [--db-host localhost --db-user odoo --template-from ls_base]

Each scenario gets its own database, created from a template with the addon installed (built
once from ``--template-from``, then reused: ``--template``).
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import requests
from bench_sales import ensure_template, odoo_args, psql_args  # the same database setup

ROOT = Path(__file__).resolve().parent.parent
CLIENT_ID, CLIENT_SECRET = "bench-client", "bench-secret"
BASE_ITEMS = 66  # the simulator's own catalogue: 60 items and 6 matrix items


def start_simulator(*args):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lightspeed_simulator",
            "--port",
            "0",
            "--client-id",
            CLIENT_ID,
            "--client-secret",
            CLIENT_SECRET,
            "--redirect-uri",
            "http://localhost:8069/lightspeed_connector/oauth/callback",
            "--bucket-size",
            "1000000",
            "--burst-limit",
            "1000000",
            *map(str, args),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    return proc, line.split()[-1]


def fresh_db(opts, name):
    db = f"{opts.template}_{name}"
    subprocess.run(["dropdb", *psql_args(opts), "--if-exists", db], check=True)
    subprocess.run(["createdb", *psql_args(opts), "-T", opts.template, db], check=True)
    return db


def connect(env, url, days):
    backend = env["lightspeed.backend"].create(
        {
            "name": "Bench",
            "api_url": url,
            "auth_url": url,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "initial_import_days": days + 1,
            # the stock export writes items
            "scope": "employee:register_read employee:admin_employees employee:inventory "
            "employee:customers_read",
        }
    )
    authorize_url = backend.action_connect()["url"]
    env.cr.commit()
    location = requests.get(authorize_url, allow_redirects=False, timeout=30).headers["Location"]
    backend._complete_authorization(parse_qs(urlparse(location).query)["code"][0])
    for shop in backend.shop_ids.filtered(lambda s: not s.remote_archived):
        warehouse = env["stock.warehouse"].create(
            {"name": f"WH {shop.name}", "code": f"B{shop.lightspeed_id}"}
        )
        shop.write({"warehouse_id": warehouse.id, "import_enabled": True})
    backend.payment_type_ids.action_create_payment_methods()
    env.cr.commit()
    return backend


def with_env(opts, db, body):
    import odoo
    from odoo import SUPERUSER_ID, api

    odoo.tools.config.parse_config([*odoo_args(opts, db), "--log-level=warn"])
    registry = odoo.modules.registry.Registry(db)
    with registry.cursor() as cr:
        return body(api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True}))


def bench_items_and_export(opts):
    db = fresh_db(opts, "items")
    sim, url = start_simulator(
        "--items", max(opts.items - BASE_ITEMS, 0), "--sales", "10", "--days", "2"
    )

    def body(env):
        backend = connect(env, url, 2)
        started = time.perf_counter()
        if os.environ.get("BENCH_PROFILE"):
            import cProfile

            profiler = cProfile.Profile()
            run = profiler.runcall(env["lightspeed.item.importer"]._run, backend)
            profiler.dump_stats(os.environ["BENCH_PROFILE"])
        else:
            run = env["lightspeed.item.importer"]._run(backend)
        env.cr.commit()
        items_seconds = time.perf_counter() - started
        products = env["lightspeed.item"].search_count([("backend_id", "=", backend.id)])
        started = time.perf_counter()
        again = env["lightspeed.item.importer"]._run(backend)
        env.cr.commit()
        again_seconds = time.perf_counter() - started
        print(
            f"item import: {run.fetched_count} items, {products} bound products, "
            f"{run.failed_count} failed, {items_seconds:.1f} s, "
            f"{run.fetched_count / items_seconds:.1f} items/s, {run.request_count} requests",
            flush=True,
        )
        print(
            f"    second run: {again.fetched_count} fetched, {again.created_count} created, "
            f"{again.updated_count} updated, {again_seconds:.1f} s, {again.request_count} requests",
            flush=True,
        )
        # stock export: `changes` products of shop 1 move in Odoo
        shop = backend.shop_ids.filtered(lambda s: s.lightspeed_id == "1")
        shop.export_stock = True
        env.cr.commit()
        bindings = env["lightspeed.item"].search(
            [("backend_id", "=", backend.id), ("product_id.is_storable", "=", True)],
            limit=opts.changes,
        )
        Quant = env["stock.quant"].with_context(inventory_mode=True)
        quants = Quant.create(
            [
                {
                    "product_id": binding.product_id.id,
                    "location_id": shop.warehouse_id.lot_stock_id.id,
                    "inventory_quantity": 5 + n % 17,
                }
                for n, binding in enumerate(bindings)
            ]
        )
        quants.action_apply_inventory()
        env.cr.commit()
        started = time.perf_counter()
        export = env["lightspeed.stock.exporter"]._export(backend)
        env.cr.commit()
        export_seconds = time.perf_counter() - started
        drips = export.request_count * 1.5
        print(
            f"stock export: {len(bindings)} changed quantities, "
            f"{export.created_count + export.updated_count} written, {export.failed_count} "
            f"failed, {export.request_count} requests, {export_seconds:.1f} s here "
            f"(at Lightspeed's 1 drip/s: about {max(drips - 90, 0):.0f} s more for "
            f"{drips:.0f} drips)",
            flush=True,
        )
        started = time.perf_counter()
        noop = env["lightspeed.stock.exporter"]._export(backend)
        env.cr.commit()
        print(
            f"    next export without moves: {noop.request_count} requests, "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )

    try:
        with_env(opts, db, body)
    finally:
        sim.terminate()
        sim.wait()


def time_session_closing(env):
    """Seconds spent closing sessions and building their pickings (wrapped for this process)."""
    totals = {"sessions": 0, "seconds": 0.0, "picking": 0.0}
    Session = type(env["pos.session"])
    close, picking = Session._lightspeed_close, Session._create_picking_at_end_of_session

    def timed(method, key, count=False):
        def wrapper(self, *args, **kwargs):
            started = time.perf_counter()
            try:
                return method(self, *args, **kwargs)
            finally:
                totals[key] += time.perf_counter() - started
                totals["sessions"] += count

        return wrapper

    Session._lightspeed_close = timed(close, "seconds", count=True)
    Session._create_picking_at_end_of_session = timed(picking, "picking")
    return totals


def bench_sales_over_new_items(opts, items_first=False):
    """The first sales import; with ``items_first`` the item import runs before it (the
    products exist: the comparison figure)."""
    db = fresh_db(opts, "sales_after_items" if items_first else "sales")
    days = max(2, opts.sales // 1500)
    sim, url = start_simulator("--items", opts.new_items, "--sales", opts.sales, "--days", days)

    def body(env):
        closing = time_session_closing(env)
        backend = connect(env, url, days)
        if items_first:
            env["lightspeed.item.importer"]._run(backend)
            env.cr.commit()
        Product = env["product.product"].with_context(active_test=False)
        before = Product.search_count([])
        started = time.perf_counter()
        if os.environ.get("BENCH_PROFILE"):
            import cProfile

            profiler = cProfile.Profile()
            run = profiler.runcall(env["lightspeed.sale.importer"]._run, backend)
            profiler.dump_stats(os.environ["BENCH_PROFILE"])
        else:
            run = env["lightspeed.sale.importer"]._run(backend)
        env.cr.commit()
        seconds = time.perf_counter() - started
        created = Product.search_count([]) - before
        label = "after the item import" if items_first else "first sales import"
        print(
            f"{label}: {run.fetched_count} sales, {created} products created on "
            f"the way, {run.failed_count} failed, {seconds:.1f} s, "
            f"{run.fetched_count / seconds:.1f} sales/s, {run.request_count} requests",
            flush=True,
        )
        moves = env["stock.move"].search_count([("picking_id.pos_session_id", "!=", False)])
        print(
            f"    of which closing {closing['sessions']} sessions: {closing['seconds']:.1f} s "
            f"({closing['picking']:.1f} s for their pickings: {moves} stock moves), "
            f"everything else {seconds - closing['seconds']:.1f} s "
            f"({run.fetched_count / (seconds - closing['seconds']):.1f} sales/s)",
            flush=True,
        )

    try:
        with_env(opts, db, body)
    finally:
        sim.terminate()
        sim.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10000)
    parser.add_argument("--sales", type=int, default=5000)
    parser.add_argument("--new-items", type=int, default=1500)
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--only", choices=("items", "sales", "sales_after_items"))
    parser.add_argument("--db-host", default=os.environ.get("PGHOST", "localhost"))
    parser.add_argument("--db-port", default=os.environ.get("PGPORT"))
    parser.add_argument("--db-user", default=os.environ.get("PGUSER", "odoo"))
    parser.add_argument("--template", default="lightspeed_bench_items")
    parser.add_argument("--template-from", default=None, help="build the template from this DB")
    parser.add_argument("--addons-path", default=os.environ.get("ODOO_ADDONS_PATH"))
    opts = parser.parse_args()
    if not opts.addons_path:
        import odoo

        opts.addons_path = os.path.join(os.path.dirname(odoo.__file__), "addons")
    ensure_template(opts)
    # One process per scenario: the Odoo registry is per database.
    if opts.only == "items":
        bench_items_and_export(opts)
    elif opts.only == "sales":
        bench_sales_over_new_items(opts)
    elif opts.only == "sales_after_items":
        bench_sales_over_new_items(opts, items_first=True)
    else:
        for only in ("items", "sales", "sales_after_items"):
            subprocess.run([sys.executable, *sys.argv, "--only", only], check=True)


if __name__ == "__main__":
    main()
