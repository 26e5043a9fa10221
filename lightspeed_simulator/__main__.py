"""``python -m lightspeed_simulator`` entry point (see ``--help`` and README.md)."""

import argparse
import signal
import sys
import threading
import time
from datetime import datetime, timezone

from .data import SHOP_SPECS, World
from .server import Simulator, make_server

CHAOS_FLAGS = (
    "update_time_spelling",
    "sci",
    "unknown_keys",
    "sales_accounts",
    "local_offsets",
    "null_dates",
)


def parse_now(text):
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def share(text):
    """A fraction 0..1 for the ``--*-share`` options."""
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


def shop_list(text):
    """``--shops 2`` / ``--shops 1,3``: shop IDs of the simulated account."""
    known = [spec[0] for spec in SHOP_SPECS]
    ids = [item.strip() for item in text.split(",") if item.strip()]
    unknown = [item for item in ids if item not in known]
    if not ids or unknown:
        raise argparse.ArgumentTypeError(
            f"{text!r}: comma-separated shop IDs among {', '.join(known)}"
        )
    return tuple(dict.fromkeys(ids))


def currency_code(text):
    """``--currency EUR``: the account's default currency (ISO 4217 code)."""
    code = text.strip().upper()
    if len(code) != 3 or not (code.isascii() and code.isalpha()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a currency code such as USD")
    return code


def build_parser():
    p = argparse.ArgumentParser(
        prog="python -m lightspeed_simulator",
        description="Fake Lightspeed Retail R-Series server (API V3 + OAuth) for tests. "
        "Prints 'LIGHTSPEED_SIMULATOR_READY http://127.0.0.1:<port>' once listening.",
    )
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    p.add_argument(
        "--port", type=int, default=8011, help="TCP port; 0 picks a free one (default 8011)"
    )
    p.add_argument("--sales", type=int, default=500, help="number of generated sales (default 500)")
    p.add_argument(
        "--items",
        type=int,
        default=0,
        help="extra catalogue items (ids 1001...), sold like the base ones (default 0)",
    )
    p.add_argument(
        "--seed", type=int, default=42, help="random seed; same seed = same data (default 42)"
    )
    p.add_argument(
        "--days", type=int, default=21, help="days of history ending at --now (default 21)"
    )
    p.add_argument(
        "--now",
        type=parse_now,
        default=None,
        help="ISO datetime the data ends at (default: current UTC time truncated to the hour)",
    )
    p.add_argument(
        "--dst-shop-tz",
        default=None,
        help="IANA time zone of shop 1 (default America/New_York; e.g. Europe/Amsterdam). Put a "
        "DST change inside the range with --now/--days to get a DST day.",
    )
    p.add_argument("--account-id", default="12345", help="account ID (default 12345)")
    p.add_argument(
        "--currency",
        type=currency_code,
        default="USD",
        help="the account's default currency (Account defaultCurrency.code; every amount is "
        "in it), e.g. EUR (default USD)",
    )
    p.add_argument(
        "--shops",
        type=shop_list,
        default=None,
        metavar="ID[,ID]",
        help="serve only these shops (1 Hudson Street Cycles, 2 Amsterdam Centrum, 3 Gastown "
        "Vancouver) with their registers, employees, shifts, tax categories and sales; "
        "--sales sales are all in them (default: all three)",
    )
    p.add_argument("--client-id", default="sim-client", help="OAuth client_id (default sim-client)")
    p.add_argument(
        "--client-secret", default="sim-secret", help="OAuth client_secret (default sim-secret)"
    )
    p.add_argument(
        "--redirect-uri",
        default="https://localhost/lightspeed/callback",
        help="registered redirect URI the authorize endpoint redirects to",
    )
    p.add_argument(
        "--token-lifetime",
        type=int,
        default=3600,
        help="access token expires_in seconds (default 3600)",
    )
    p.add_argument(
        "--strict-rotation",
        action="store_true",
        help="revoke the old refresh token immediately on refresh (2024 behaviour); default "
        "revokes it when the new access token is first used (2026 behaviour)",
    )
    p.add_argument(
        "--reject-form-token-body",
        action="store_true",
        help="token endpoint rejects application/x-www-form-urlencoded (only JSON and multipart "
        "are documented for the current server)",
    )
    p.add_argument(
        "--require-pkce", action="store_true", help="reject authorize without code_challenge"
    )
    p.add_argument(
        "--registers",
        type=int,
        default=1,
        help="register limit R: bucket 90+10(R-1), drip 1+0.5(R-1)",
    )
    p.add_argument("--bucket-size", type=float, default=None, help="override the leaky bucket size")
    p.add_argument("--drip-rate", type=float, default=None, help="override the drip rate (drips/s)")
    p.add_argument(
        "--burst-limit", type=int, default=20, help="requests per wall-clock second (default 20)"
    )
    p.add_argument("--legacy-costs", action="store_true", help="pre-2026 pricing: GET=1, write=10")
    p.add_argument(
        "--stamp-spelling",
        choices=("camel", "lower"),
        default="camel",
        help="spelling of the Sale update stamp: camel = updateTime (as real V3 captures), "
        "lower = updatetime (as the endpoint docs); filters accept both (default camel)",
    )
    p.add_argument(
        "--zero-payments-share",
        type=share,
        default=0.05,
        help="share of completed sales with an extra non-archived 0-amount cash SalePayment, as "
        "seen in real captures; 0 turns it off (default 0.05)",
    )
    p.add_argument(
        "--deposits-share",
        type=share,
        default=0.0,
        help="share of sales that are gift-card / credit-account top-ups: total 0, one 0-price "
        "misc line, +amount tender and -amount gift card / credit account payment (default 0)",
    )
    p.add_argument(
        "--tips-share",
        type=share,
        default=0.0,
        help="share of completed card sales with a 10-20%% tip: added to the last card "
        "tender's amount and repeated in its tipAmount, summed in calcTips (default 0)",
    )
    p.add_argument(
        "--chaos",
        action="append",
        default=[],
        metavar="FLAG",
        help=f"payload chaos, repeatable: {', '.join(CHAOS_FLAGS)} or all",
    )
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    chaos = set()
    for flag in args.chaos:
        for item in flag.split(","):
            item = item.strip().replace("-", "_")
            if item == "all":
                chaos.update(CHAOS_FLAGS)
            elif item in CHAOS_FLAGS:
                chaos.add(item)
            elif item:
                raise SystemExit(f"unknown chaos flag {item!r}")
    started = time.perf_counter()
    world = World(
        sales=args.sales,
        seed=args.seed,
        days=args.days,
        now=args.now,
        dst_shop_tz=args.dst_shop_tz,
        account_id=args.account_id,
        chaos=chaos,
        stamp_spelling=args.stamp_spelling,
        zero_payments_share=args.zero_payments_share,
        deposits_share=args.deposits_share,
        tips_share=args.tips_share,
        shops=args.shops,
        currency=args.currency,
        extra_items=args.items,
    )
    sim = Simulator(world, args)
    server = make_server(sim, args.host, args.port)
    port = server.server_address[1]

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sys.stdout.write(f"LIGHTSPEED_SIMULATOR_READY http://{args.host}:{port}\n")
    sys.stdout.flush()
    sys.stderr.write(
        f"lightspeed_simulator: {args.sales} sales ready in {time.perf_counter() - started:.2f}s\n"
    )
    sys.stderr.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
