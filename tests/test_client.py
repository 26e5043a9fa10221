"""LightspeedClient / LightspeedOAuth against the simulator over real HTTP."""

import threading
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from lightspeed_connector.api import (
    AuthenticationError,
    LightspeedClient,
    NotFoundError,
    ReauthorizationRequired,
    RemoteServerError,
    RequestValidationError,
    TokenSet,
)
from lightspeed_connector.api.client import RateLimiter

UTC = timezone.utc


def record_pages(client):
    """Capture (url, next) of every API page the client fetches."""
    pages = []

    def hook(response, *args, **kwargs):
        if "/API/" in response.url and response.status_code == 200:
            body = response.json()
            pages.append((response.url, (body.get("@attributes") or {}).get("next")))

    client.session.hooks["response"].append(hook)
    return pages


def test_authorization_code_flow_with_pkce(fresh_sim):
    sim = fresh_sim("--sales", "10", "--require-pkce")
    oauth = sim.oauth()
    url, state, verifier = oauth.authorization_url()
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"] and "redirect_uri" not in query
    assert query["scope"][0].split() == list(oauth.scope)
    redirect = requests.get(url, allow_redirects=False)
    assert redirect.status_code == 302
    params = parse_qs(urlsplit(redirect.headers["Location"]).query)
    assert params["state"] == [state]
    with pytest.raises(AuthenticationError) as wrong:
        oauth.exchange_code(params["code"][0], "not-the-verifier")
    assert wrong.value.error == "invalid_grant"
    url, state, verifier = oauth.authorization_url(state="fixed")
    assert state == "fixed"
    code = parse_qs(urlsplit(requests.get(url, allow_redirects=False).headers["Location"]).query)
    token = oauth.exchange_code(code["code"][0], verifier)
    assert token.account_id == "12345" and token.user_id and not token.is_expired()
    with pytest.raises(AuthenticationError) as reused:
        oauth.exchange_code(code["code"][0], verifier)
    assert reused.value.error == "invalid_grant" and reused.value.status == 400
    assert sim.stats()["token_content_types"] == {"json": 3}  # documented body type only
    assert oauth.revoke(token.refresh_token) is True
    with pytest.raises(ReauthorizationRequired):
        oauth.refresh(token.refresh_token)


def test_pagination_follows_next_verbatim_every_record_once(sim):
    client = sim.client()
    pages = record_pages(client)
    ids = [s.sale_id for s in client.iter_sales(completed=None, archived=True, sort="saleID")]
    assert len(ids) == len(set(ids)) == 1500
    assert len(pages) == 15
    for (_url, nxt), (following, _n) in zip(pages, pages[1:], strict=False):
        assert following == nxt
    assert pages[-1][1] == ""
    stamps = [s.change_stamp for s in client.iter_sales()]
    assert stamps == sorted(stamps)


def test_requests_per_thousand_sales_with_relations(sim):
    client = sim.client()
    sales = []
    for sale in client.iter_sales(completed=None, archived=True):
        sales.append(sale)
        if len(sales) == 1000:
            break
    assert all(s.lines for s in sales if s.total)  # relations loaded in the same request
    assert any(p.payment_type for s in sales for p in s.payments)
    assert client.request_count <= 12


def test_filters_with_plus_offset_are_encoded(sim):
    client = sim.client()
    pages = record_pages(client)
    stamps = sorted(s.change_stamp for s in client.iter_sales())
    pivot = stamps[len(stamps) // 2]
    local = pivot.astimezone(timezone(timedelta(hours=2)))
    after = [s for s in client.iter_sales(updated_from=local)]
    assert "%2B02%3A00" in pages[-1][0]
    assert after and all(s.change_stamp >= pivot for s in after)
    assert len(after) == sum(1 for s in stamps if s >= pivot)
    window = list(client.iter_sales(updated_from=local, updated_to=local + timedelta(hours=6)))
    assert all(pivot <= s.change_stamp <= pivot + timedelta(hours=6) for s in window)


def test_typed_iterators(sim):
    client = sim.client()
    shops = list(client.iter_shops())
    assert len(shops) == 3 and len({s.time_zone for s in shops}) == 3
    employees = list(client.iter_employees())
    assert any(e.archived for e in employees)
    assert any(e.clock_in_employee_hours_id for e in employees)
    assert len(list(client.iter_employees(archived=False))) == len(employees) - 1
    items = list(client.iter_items(item_ids=["1", "2", "57"]))
    assert [i.item_id for i in items] == ["1", "2", "57"] and items[2].archived
    assert items[1].upc and items[0].default_price > 0
    taxes = {t.tax_category_id: t for t in client.iter_tax_categories()}
    assert taxes["2"].is_tax_inclusive and taxes["3"].tax2_rate > 0 and taxes["1"].classes
    assert {p.type for p in client.iter_payment_types()} >= {"cash", "credit card", "gift card"}
    assert len(list(client.iter_registers())) >= 5
    customers = list(client.iter_customers())
    assert customers and customers[0].email
    since = datetime.now(UTC) - timedelta(days=3)
    hours = list(client.iter_employee_hours(check_in_from=since))
    assert hours and all(h.check_in >= since for h in hours)
    assert any(h.is_open for h in hours)
    assert client.get_account().account_id == "12345"
    assert client.get_session().employee_id == "1"


def test_employee_hours_need_scope(sim):
    client = sim.client(token=sim.token(scope="employee:register_read"))
    with pytest.raises(AuthenticationError) as err:
        list(client.iter_employee_hours())
    assert err.value.status == 403 and not isinstance(err.value, ReauthorizationRequired)


def test_not_found_and_validation_are_not_retried(sim):
    sleeps = []
    client = sim.client(sleep=sleeps.append)
    with pytest.raises(NotFoundError) as missing:
        client.get("Sale/99999999.json")
    assert missing.value.status == 404 and client.request_count == 1
    with pytest.raises(RequestValidationError) as bad:
        client.get("Sale.json", {"sort": "total"})
    assert bad.value.status == 400 and client.request_count == 2 and not sleeps
    assert client.token.access_token not in str(bad.value)


def test_5xx_and_html_errors_are_retried(sim):
    sleeps = []
    client = sim.client(sleep=sleeps.append)
    sim.hook("inject", kind="5xx", count=2, path_contains="/Shop")
    sim.hook("inject", kind="502html", count=1, path_contains="/Shop")
    assert len(list(client.iter_shops())) == 3
    assert client.request_count == 4 and len(sleeps) == 3
    assert sleeps[0] <= sleeps[1] <= 30
    sim.hook("inject", kind="502html", count=10, path_contains="/Register")
    client = sim.client(sleep=sleeps.append, max_retries=2)
    with pytest.raises(RemoteServerError) as err:
        list(client.iter_registers())
    assert err.value.status == 502 and client.request_count == 3
    assert sim.hook("clear_injections")["dropped"] == 7
    assert len(list(sim.client().iter_registers())) >= 5
    assert sim.stats()["injected"] == 6


def test_429_recovery_with_prefilled_bucket(fresh_sim, sleeper):
    sim = fresh_sim("--sales", "300", "--bucket-size", "10", "--drip-rate", "5", fast=False)
    sim.hook("set_limits", burst_limit=1000)
    expected = sim.client().count("Sale", {"archived": "false"})
    sim.hook("fill_bucket", level=12)
    sleep = sleeper(cap=5)
    client = sim.client(sleep=sleep)
    sales = list(client.iter_sales(completed=None))
    assert len({s.sale_id for s in sales}) == len(sales) == expected
    stats = sim.stats()
    assert stats["served_429_bucket"] >= 1 and 1.0 in sleep.waits
    assert client.limiter.size == 10


def test_burst_limiter_recovery(fresh_sim, sleeper):
    sim = fresh_sim("--sales", "800", "--burst-limit", "3", fast=False)
    sim.hook("set_limits", bucket_size=100000, drip_rate=1000)
    sleep = sleeper(cap=2)
    client = sim.client(sleep=sleep)
    ids = [s.sale_id for s in client.iter_sales(completed=None, archived=True, load_relations=())]
    assert len(set(ids)) == 800
    assert sleep.waits  # paced itself (pre-emptively or after a 429) instead of hammering
    assert sim.stats()["served_429_burst"] <= 2


def test_rate_limiter_formula():
    now = [100.0]
    waits = []
    limiter = RateLimiter(sleep=waits.append, clock=lambda: now[0], wall=lambda: 5.5)
    limiter.update(
        {
            "x-ls-api-bucket-level": "88.5/90",
            "x-ls-api-drip-rate": "2",
            "X-Ls-Api-Request-Cost": "3",
        }
    )
    assert limiter.size == 90 and limiter.drip == 2
    assert limiter.wait() == pytest.approx((88.5 + 3 - 90) / 2)
    now[0] += 10  # leaked 20 drips meanwhile
    assert limiter.wait() == 0
    assert waits == [pytest.approx(0.75)]


def test_expiry_mid_pagination_rotates_before_use(sim):
    oauth = sim.oauth()
    first = sim.token()
    seen = []

    def on_token(new):
        # persisted BEFORE use: the old refresh token is still alive at this point
        seen.append((new, sim.hook("token_state", refresh_token=first.refresh_token)["state"]))

    client = LightspeedClient(sim.base_url, "12345", first, oauth=oauth, on_token=on_token)
    count = 0
    for count, _sale in enumerate(client.iter_sales(completed=None), start=1):
        if count == 150:
            sim.hook("expire_tokens")
    assert count > 1000
    assert len(seen) == 1 and seen[0][1] == "active"
    new = seen[0][0]
    assert client.token is new and new.refresh_token != first.refresh_token
    assert sim.hook("token_state", refresh_token=first.refresh_token)["state"] == "revoked"
    with pytest.raises(ReauthorizationRequired):
        oauth.refresh(first.refresh_token)


def test_proactive_refresh_without_401(fresh_sim):
    sim = fresh_sim("--sales", "5")
    token = sim.token()
    stale = TokenSet(token.access_token, token.refresh_token, datetime.now(UTC) - timedelta(1))
    saved = []
    client = LightspeedClient(
        sim.base_url, "12345", stale, oauth=sim.oauth(), on_token=saved.append
    )
    client.get_account()
    stats = sim.stats()
    assert stats["token_calls"] == {"refresh_token": 1} and stats["served_401"] == 0
    assert len(saved) == 1 and saved[0].refresh_token != token.refresh_token


def test_single_flight_refresh_across_threads(fresh_sim):
    sim = fresh_sim("--sales", "5")
    token = sim.token()
    sim.hook("expire_tokens")
    saved = []
    client = LightspeedClient(
        sim.base_url, "12345", token, oauth=sim.oauth(), on_token=saved.append
    )
    errors = []
    barrier = threading.Barrier(6)

    def work():
        try:
            barrier.wait()
            client.get_account()
            list(client.iter_shops())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert sim.stats()["token_calls"] == {"refresh_token": 1} and len(saved) == 1


def test_custom_refresher_replaces_default(fresh_sim):
    sim = fresh_sim("--sales", "5")
    calls = []

    def refresher(stale):
        calls.append(stale)
        return sim.token()  # e.g. a pair another worker already stored

    client = LightspeedClient(sim.base_url, "12345", sim.token(), refresher=refresher)
    sim.hook("expire_tokens")
    assert client.get_account().account_id == "12345"
    assert len(calls) == 1 and sim.stats()["token_calls"] == {}


def test_revoked_token_requires_reauthorization(fresh_sim):
    sim = fresh_sim("--sales", "5")
    client = sim.client()
    client.get_account()
    sim.hook("revoke_tokens")
    with pytest.raises(ReauthorizationRequired) as err:
        client.get_account()
    assert err.value.error == "invalid_grant"


def test_locked_employee_requires_reauthorization(fresh_sim):
    sim = fresh_sim("--sales", "5")
    client = sim.client()
    sim.hook("lock_employee", locked=True)
    with pytest.raises(ReauthorizationRequired):
        client.get_account()
    sim.hook("lock_employee", locked=False)
    sim.hook("archive_employee", archived=True)
    with pytest.raises(ReauthorizationRequired):
        sim.client().get_account()


def test_401_surviving_refresh_is_reauthorization(fresh_sim):
    sim = fresh_sim("--sales", "5")
    calls = []

    def refresher(stale):
        calls.append(stale)
        return stale  # a "refresh" that does not help

    client = LightspeedClient(sim.base_url, "12345", sim.token(), refresher=refresher)
    sim.hook("expire_tokens")
    with pytest.raises(ReauthorizationRequired) as err:
        client.get_account()
    assert err.value.status == 401 and len(calls) == 1


def test_quirks_from_chaos_payloads(fresh_sim):
    sim = fresh_sim("--sales", "400", "--chaos", "all")
    client = sim.client()
    sales = list(client.iter_sales(completed=None, archived=True))
    by_id = {s.sale_id: s for s in sales}
    for key in ("updateTime", "updatetime"):  # default spelling, and the drift to the other
        spelled = [s for s in sales if key in s.raw]
        assert spelled and all(s.update_time for s in spelled)
    sci = [s for s in sales if "E" in s.raw["totalDue"]]
    assert sci and all(s.total_due == s.total for s in sci)
    single = [s for s in sales if isinstance(s.raw.get("SaleLines", {}).get("SaleLine"), dict)]
    assert single and all(len(s.lines) == 1 for s in single)
    open_sales = [s for s in sales if not s.completed]
    assert open_sales and all(s.payments == [] and s.complete_time is None for s in open_sales)
    assert all(s.customer_id is None for s in sales if s.raw["customerID"] == "0")
    misc = [ln for s in sales for ln in s.lines if ln.raw["itemID"] == "0"]
    assert misc and all(ln.item_id is None and ln.note for ln in misc)
    local = [s for s in sales if not s.raw["createTime"].endswith("+00:00")]
    assert local and all(s.create_time.utcoffset() == timedelta(0) for s in local)
    canonical = sim.hook("get_sale", sale_id=local[0].sale_id)["sale"]
    assert local[0].create_time == datetime.fromisoformat(canonical["createTime"])
    refunds = [ln for s in sales for ln in s.lines if ln.is_refund]
    assert refunds and all(ln.parent_sale_line_id for ln in refunds)
    assert any("futureField" in s.raw for s in sales) and len(by_id) == len(sales)
    hours = list(client.iter_employee_hours())
    assert any(h.is_open and "checkOut" in h.raw for h in hours)  # explicit null


def test_mutations_show_up_in_incremental_poll(fresh_sim):
    sim = fresh_sim("--sales", "200")
    client = sim.client()
    last = max(s.change_stamp for s in client.iter_sales())
    target = next(s for s in client.iter_sales() if len(s.lines) > 1 and not s.voided)
    sim.hook("void_sale", sale_id=target.sale_id)
    edited = sim.hook(
        "edit_sale",
        sale_id=next(s.sale_id for s in client.iter_sales() if s.sale_id != target.sale_id),
        unit_quantity=7,
    )
    added = sim.hook("add_sales", count=2, backdate_minutes=600)["sale_ids"]
    changed = {s.sale_id: s for s in client.iter_sales(updated_from=last + timedelta(seconds=1))}
    assert set(changed) == {target.sale_id, edited["sale_id"], *added}
    assert changed[target.sale_id].voided
    assert changed[edited["sale_id"]].lines[0].unit_quantity == 7
    assert str(changed[edited["sale_id"]].total) == edited["total"]
    voids = list(client.iter_sale_voids(sale_ids=[target.sale_id]))
    assert voids and voids[0].sale_id == target.sale_id


def test_incremental_query_filters_and_sorts_on_time_stamp(sim):
    client = sim.client()
    pages = record_pages(client)
    since = datetime(2020, 1, 1, tzinfo=UTC)
    sales = list(client.iter_sales(updated_from=since, updated_to=datetime.now(UTC)))
    query = parse_qs(urlsplit(pages[0][0]).query)
    assert query["sort"] == ["timeStamp"] and query["timeStamp"][0].startswith("><,")
    assert "updatetime" not in query and "updateTime" not in query
    assert len(pages) > 5 and all("sort=timeStamp" in url for url, _next in pages)
    stamps = [s.change_stamp for s in sales]
    assert stamps == sorted(stamps) and stamps == [s.timestamp for s in sales]
    assert len({s.sale_id for s in sales}) == len(sales)
    assert all("updateTime" in s.raw and s.update_time for s in sales)  # V3 capture spelling


def test_void_keeping_its_stamps_is_only_seen_by_a_re_read(fresh_sim):
    sim = fresh_sim("--sales", "100")
    client = sim.client()
    sales = list(client.iter_sales())
    last = max(s.change_stamp for s in sales)
    target = next(s for s in sales if not s.voided)
    answer = sim.hook("void_sale", sale_id=target.sale_id, keep_stamps=True)
    assert answer["timeStamp"] == target.raw["timeStamp"]
    assert not list(client.iter_sales(updated_from=last + timedelta(seconds=1)))
    [again] = client.iter_sales(sale_ids=[target.sale_id])
    assert again.voided and again.change_stamp == target.change_stamp
