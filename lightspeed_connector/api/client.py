"""HTTP client for the Lightspeed Retail R-Series V3 API (spec sections 3-6).

One :class:`LightspeedClient` per (account, connection): one ``requests.Session``, timeouts,
typed errors, leaky-bucket throttling, retries with capped exponential back-off, proactive and
401-triggered token refresh (single flight), and cursor pagination generators.
"""

import logging
import random
import threading
import time
from datetime import datetime, timezone
from urllib.parse import urlsplit

import requests

from . import models
from .errors import (
    AuthenticationError,
    LightspeedError,
    NotFoundError,
    RateLimitError,
    ReauthorizationRequired,
    RemoteServerError,
    RequestValidationError,
    RetryableError,
)
from .normalize import as_list, to_id
from .oauth import DEFAULT_USER_AGENT, TokenSet
from .query import Filter, build_query, chunks, range_filter

_logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.lightspeedapp.com"
PAGE_SIZE = 100
DEFAULT_SALE_RELATIONS = (
    "SaleLines",
    "SaleLines.Item",
    "SaleLines.Note",
    "SalePayments",
    "SalePayments.PaymentType",
    # the sale's customer comes with it: no request per sale to name its contact
    "Customer",
    "Customer.Contact",
)
TOKEN_MARGIN_SECONDS = 60
_TRANSIENT = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


def _header(headers, name):
    """Case-insensitive header lookup (works for plain dicts too)."""
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        for key, val in headers.items():
            if key.lower() == lowered:
                return val
    return value


def _ratio(value):
    """``"75.89/90"`` → ``(75.89, 90.0)``; ``None`` when unparsable."""
    if not value:
        return None
    try:
        level, size = str(value).split("/", 1)
        return float(level), float(size)
    except ValueError:
        return None


class RateLimiter:
    """Client-side view of the leaky bucket and the burst limiter (spec 3.4)."""

    def __init__(self, sleep=time.sleep, clock=time.monotonic, wall=time.time):
        self.sleep = sleep
        self.clock = clock
        self.wall = wall
        self.level = 0.0
        self.size = None
        self.drip = 1.0
        self.burst = None  # (count, max) of the current wall-clock second
        self.burst_second = None
        self.observed_at = None
        self.last_cost = 1.0
        self.waited = 0.0
        self._lock = threading.Lock()

    def update(self, headers):
        bucket = _ratio(_header(headers, "X-LS-API-Bucket-Level"))
        drip = _header(headers, "X-LS-API-Drip-Rate")
        cost = _header(headers, "X-LS-API-Request-Cost")
        burst = _ratio(_header(headers, "X-LS-API-Burst-Level"))
        with self._lock:
            if bucket:
                self.level, self.size = bucket
                self.observed_at = self.clock()
            try:
                if drip:
                    self.drip = max(float(drip), 0.01)
                if cost:
                    self.last_cost = max(float(cost), 0.0)
            except ValueError:
                # A malformed header must not stop the import; keep the previous values.
                _logger.debug("Lightspeed: ignoring malformed rate headers %r/%r", drip, cost)
            if burst:
                self.burst = burst
                self.burst_second = int(self.wall())

    def current_level(self):
        if self.observed_at is None:
            return self.level
        elapsed = max(self.clock() - self.observed_at, 0.0)
        return max(self.level - elapsed * self.drip, 0.0)

    def delay_for(self, cost=None):
        """Seconds to wait so that a request of ``cost`` drips does not overflow the bucket."""
        cost = self.last_cost if cost is None else cost
        delay = 0.0
        if self.size:
            level = self.current_level()
            if level + cost > self.size:
                delay = (level + cost - self.size) / self.drip
        if self.burst and self.burst_second == int(self.wall()):
            count, limit = self.burst
            if count >= limit - 1:
                delay = max(delay, 1.0 - (self.wall() % 1.0) + 0.01)
        return delay

    def wait(self, cost=None):
        delay = self.delay_for(cost)
        if delay > 0:
            _logger.debug("Lightspeed: throttling %.2fs before the next request", delay)
            self.waited += delay
            self.sleep(delay)
        return delay

    def retry_after(self, response):
        """Seconds to wait after a 429: ``Retry-After``, else 1 s (burst) or cost/drip."""
        value = _header(response.headers, "Retry-After")
        if value:
            try:
                return max(float(value), 0.0)
            except ValueError:
                _logger.debug("Lightspeed: ignoring malformed Retry-After %r", value)
        limit_type = (_header(response.headers, "X-LS-API-RateLimit-Type") or "").lower()
        if "burst" in limit_type or "burst" in (response.text or "").lower():
            return 1.0
        bucket = _ratio(_header(response.headers, "X-LS-API-Bucket-Level"))
        if bucket:
            level, size = bucket
            return max((level + self.last_cost - size) / self.drip, 1.0)
        return max(self.last_cost / self.drip, 1.0)


class LightspeedClient:
    """R-Series V3 client bound to one account and one token pair."""

    def __init__(
        self,
        api_url,
        account_id,
        token,
        oauth=None,
        on_token=None,
        refresher=None,
        timeout=30,
        user_agent=DEFAULT_USER_AGENT,
        max_retries=5,
        sleep=time.sleep,
        backoff_base=0.5,
        backoff_cap=30.0,
        session=None,
    ):
        base = (api_url or DEFAULT_API_URL).rstrip("/")
        for suffix in ("/API/V3", "/API"):
            if base.endswith(suffix):
                base = base[: -len(suffix)]
        self.api_url = base
        if isinstance(token, dict):
            token = TokenSet.from_dict(token)
        self.token = token
        # "0" / "" / None: unknown yet (JWT acct claim or get_account() fills it in)
        self.account_id = to_id(account_id) or (token.account_id if token else None)
        self.oauth = oauth
        self.on_token = on_token
        self.refresher = refresher
        self.timeout = timeout
        self.max_retries = max_retries
        self.sleep = sleep
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.limiter = RateLimiter(sleep=sleep)
        self.request_count = 0
        self.refresh_count = 0
        self.transport_seconds = 0.0
        self._refresh_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self.session = session or requests.Session()
        self.session.headers.update({"User-Agent": user_agent, "Accept": "application/json"})

    def __repr__(self):
        return f"LightspeedClient(api_url={self.api_url!r}, account_id={self.account_id!r})"

    # -- tokens --------------------------------------------------------------------------
    def _refresh(self, stale):
        """Replace ``stale`` by a fresh pair, once, whatever the number of threads."""
        with self._refresh_lock:
            if self.token is not stale and not self.token.is_expired(TOKEN_MARGIN_SECONDS):
                return self.token  # another thread already refreshed
            if self.refresher is not None:
                new = self.refresher(stale)
            elif self.oauth is not None:
                new = self.oauth.refresh(stale.refresh_token)
            else:
                raise ReauthorizationRequired(
                    "The access token expired and no refresh is configured", code="expired_token"
                )
            if not isinstance(new, TokenSet):
                new = TokenSet.from_dict(new)
            self.refresh_count += 1
            if self.on_token is not None and new is not stale:
                self.on_token(new)  # persist BEFORE the new access token is used
            self.token = new
            _logger.info("Lightspeed[%s]: access token renewed", self.account_id)
            return new

    def _valid_token(self):
        token = self.token
        if token.is_expired(TOKEN_MARGIN_SECONDS):
            token = self._refresh(token)
        return token

    # -- transport -----------------------------------------------------------------------
    def _url(self, path):
        if path.startswith(("http://", "https://")):
            return path
        if not path.startswith("/"):
            path = f"/API/V3/Account/{self.account_id}/{path}"
        return self.api_url + path

    def _backoff(self, attempt, response=None):
        delay = None
        if response is not None:
            value = _header(response.headers, "Retry-After")
            try:
                delay = float(value) if value else None
            except ValueError:
                delay = None
        if delay is None:
            delay = min(self.backoff_cap, self.backoff_base * (2 ** (attempt - 1)))
            delay *= 0.5 + random.random() / 2  # jitter
        self.sleep(delay)

    @staticmethod
    def _error_details(response):
        try:
            data = response.json()
        except ValueError:
            return None, None, None
        if not isinstance(data, dict):
            return None, None, None
        code = data.get("error") or data.get("errorClass")
        message = data.get("message") or data.get("error_description") or data.get("httpMessage")
        return code, message, data.get("hint")

    def _raise_for_status(self, response, url):
        status = response.status_code
        code, message, hint = self._error_details(response)
        message = message or f"Lightspeed API error {status}"
        if hint:
            message = f"{message} ({hint})"
        path = urlsplit(url).path
        kwargs = {"status": status, "code": code, "hint": hint, "url": path}
        if status in (401, 403):
            raise AuthenticationError(message, **kwargs)
        if status == 404:
            raise NotFoundError(message, **kwargs)
        if status in (400, 405, 406, 409, 422) or 400 <= status < 500:
            raise RequestValidationError(message, **kwargs)
        raise RemoteServerError(message, **kwargs)

    def _send(self, method, url, token, json_body):
        self.limiter.wait()
        with self._count_lock:
            self.request_count += 1
        started = time.perf_counter()
        try:
            return self.session.request(
                method,
                url,
                json=json_body,
                headers={"Authorization": f"{token.token_type or 'Bearer'} {token.access_token}"},
                timeout=self.timeout,
            )
        finally:
            self.transport_seconds += time.perf_counter() - started

    def request(self, method, path, json_body=None):
        """Send one API call with throttling, retries and refresh; return the decoded JSON."""
        url = self._url(path)
        attempt = 0
        refreshed_after_401 = False
        while True:
            token = self._valid_token()
            try:
                response = self._send(method, url, token, json_body)
            except _TRANSIENT as exc:
                attempt += 1
                if attempt > self.max_retries:
                    raise RetryableError(
                        f"Lightspeed API unreachable: {type(exc).__name__}",
                        code="connection_error",
                        url=urlsplit(url).path,
                    ) from None
                _logger.warning("Lightspeed: %s, retry %d", type(exc).__name__, attempt)
                self._backoff(attempt)
                continue
            self.limiter.update(response.headers)
            status = response.status_code
            if status == 401:
                if refreshed_after_401:
                    code, message, _hint = self._error_details(response)
                    raise ReauthorizationRequired(
                        message or "Access token rejected after a refresh",
                        status=401,
                        code=code or "access_denied",
                    )
                refreshed_after_401 = True
                if self.token is token:
                    self._refresh(token)
                continue
            if status == 429 or status >= 500:
                attempt += 1
                if attempt > self.max_retries:
                    if status == 429:
                        raise RateLimitError(
                            "Lightspeed rate limit still exceeded after retries",
                            status=429,
                            code=_header(response.headers, "X-LS-API-RateLimit-Type")
                            or "rate_limited",
                            retry_after=self.limiter.retry_after(response),
                            url=urlsplit(url).path,
                        )
                    self._raise_for_status(response, url)
                if status == 429:
                    delay = self.limiter.retry_after(response)
                    _logger.info("Lightspeed: 429, waiting %.1fs", delay)
                    self.sleep(delay)
                else:
                    _logger.warning("Lightspeed: HTTP %s, retry %d", status, attempt)
                    self._backoff(attempt, response)
                continue
            if status >= 400:
                self._raise_for_status(response, url)
            try:
                return response.json()
            except ValueError:
                attempt += 1
                if attempt > self.max_retries:
                    raise RemoteServerError(
                        "Lightspeed answered with a non-JSON body",
                        status=status,
                        code="invalid_response",
                        url=urlsplit(url).path,
                    ) from None
                self._backoff(attempt)

    def get(self, path, params=None):
        """GET ``path`` (``"Sale.json"``, ``"/API/V3/Account.json"`` or a full URL)."""
        url = self._url(path)
        if params:
            url = f"{url}{'&' if '?' in url else '?'}{build_query(params)}"
        return self.request("GET", url)

    def put(self, path, body):
        """PUT ``body`` (a dict, sent as JSON) to ``path``; returns the decoded answer. Writes go
        through the same limiter: the simulator and Lightspeed charge them per nested entity,
        so the cost is learnt from the answer's headers like any other."""
        return self.request("PUT", self._url(path), json_body=body)

    def update_item(self, item_id, body):
        """``PUT Item/{itemID}.json`` (spec §13): the updated :class:`~.models.Item`."""
        data = self.put(f"Item/{item_id}.json", body)
        items = as_list(data.get("Item")) if isinstance(data, dict) else []
        if not items or not isinstance(items[0], dict):
            raise RemoteServerError("Item PUT answered without an Item", code="invalid_response")
        return models.Item.from_payload(items[0])

    def iter_pages(self, entity, params=None):
        """Yield raw records of ``entity`` across all pages, following ``next`` verbatim."""
        params = dict(params or {})
        params.setdefault("limit", PAGE_SIZE)
        url = f"{self._url(entity + '.json')}?{build_query(params)}"
        seen = set()
        while url:
            seen.add(url)
            data = self.request("GET", url)
            if not isinstance(data, dict):
                raise RemoteServerError("Unexpected list payload", code="invalid_response")
            yield from (r for r in as_list(data.get(entity)) if isinstance(r, dict))
            attributes = data.get("@attributes") or {}
            url = attributes.get("next") or None
            if url in seen:  # never loop forever (nor silently skip data) on a broken cursor
                raise RemoteServerError(
                    f"Lightspeed returned a repeated {entity} cursor", code="cursor_loop"
                )

    def count(self, entity, params=None):
        params = {k: v for k, v in (params or {}).items() if k not in ("limit", "sort")}
        params["count"] = 1
        data = self.get(f"{entity}.json", params)
        return int((data.get("@attributes") or {}).get("count") or 0)

    def _iter_typed(self, entity, cls, params):
        for raw in self.iter_pages(entity, params):
            yield cls.from_payload(raw)

    # -- discovery -----------------------------------------------------------------------
    def get_account(self):
        data = self.get("/API/V3/Account.json")
        accounts = as_list(data.get("Account"))
        if not accounts:
            raise NotFoundError("No Lightspeed account is linked to this token")
        account = models.Account.from_payload(accounts[0])
        if not self.account_id:
            self.account_id = account.account_id
        return account

    def get_session(self):
        return models.Session.from_payload(self.get("/API/Session.json"))

    # -- typed iterators -----------------------------------------------------------------
    @staticmethod
    def _archived(archived):
        if archived is None:
            return None
        if archived == "only":
            return "only"
        return "true" if archived else "false"

    def iter_shops(self, archived=True):
        params = {"archived": self._archived(archived), "sort": "shopID"}
        return self._iter_typed("Shop", models.Shop, params)

    def iter_registers(self, archived=True):
        params = {"archived": self._archived(archived), "sort": "registerID"}
        return self._iter_typed("Register", models.Register, params)

    def iter_employees(self, archived=True, load_contact=False):
        params = {"archived": self._archived(archived), "sort": "employeeID"}
        if load_contact:
            params["load_relations"] = ["Contact"]
        return self._iter_typed("Employee", models.Employee, params)

    def iter_payment_types(self, archived=True):
        params = {"archived": self._archived(archived), "sort": "paymentTypeID"}
        return self._iter_typed("PaymentType", models.PaymentType, params)

    def iter_tax_categories(self):
        params = {"load_relations": ["TaxCategoryClasses"], "sort": "taxCategoryID"}
        return self._iter_typed("TaxCategory", models.TaxCategory, params)

    def iter_tax_classes(self):
        return self._iter_typed("TaxClass", models.TaxClass, {"sort": "taxClassID"})

    def iter_categories(self):
        return self._iter_typed("Category", models.Category, {"sort": "categoryID"})

    def iter_items(
        self, item_ids=None, archived=True, updated_from=None, relations=None, sort="itemID"
    ):
        base = {"archived": self._archived(archived), "sort": sort}
        if relations:
            base["load_relations"] = list(relations)
        if updated_from is not None:
            base["timeStamp"] = Filter(">=", updated_from)
        if item_ids is None:
            yield from self._iter_typed("Item", models.Item, base)
            return
        for chunk in chunks(item_ids):
            yield from self._iter_typed(
                "Item", models.Item, {**base, "itemID": Filter("IN", chunk)}
            )

    def iter_item_matrices(self, archived=True):
        params = {
            "archived": self._archived(archived),
            "sort": "itemMatrixID",
            "load_relations": ["ItemAttributeSet"],
        }
        return self._iter_typed("ItemMatrix", models.ItemMatrix, params)

    def iter_customers(
        self,
        customer_ids=None,
        archived=True,
        updated_from=None,
        load_contact=True,
        sort="customerID",
    ):
        """Customers (archived ones too by default), with their ``Contact``. An incremental
        import sorts on ``timeStamp`` so that a cursor taken from a page resumes exactly."""
        base = {"archived": self._archived(archived), "sort": sort}
        if load_contact:
            base["load_relations"] = ["Contact"]
        if updated_from is not None:
            base["timeStamp"] = Filter(">=", updated_from)
        if customer_ids is None:
            yield from self._iter_typed("Customer", models.Customer, base)
            return
        for chunk in chunks(customer_ids):
            params = {**base, "customerID": Filter("IN", chunk)}
            yield from self._iter_typed("Customer", models.Customer, params)

    def iter_employee_hours(self, check_in_from=None, check_in_to=None, shop_id=None):
        params = {
            "checkIn": range_filter(check_in_from, check_in_to),
            "shopID": shop_id,
            "sort": "employeeHoursID",
        }
        return self._iter_typed("EmployeeHours", models.EmployeeHours, params)

    def iter_sale_voids(self, sale_ids=None):
        if sale_ids is None:
            yield from self._iter_typed("SaleVoid", models.SaleVoid, {"sort": "saleVoidID"})
            return
        for chunk in chunks(sale_ids):
            params = {"saleID": Filter("IN", chunk), "sort": "saleVoidID"}
            yield from self._iter_typed("SaleVoid", models.SaleVoid, params)

    def iter_sales(
        self,
        updated_from=None,
        updated_to=None,
        completed_from=None,
        completed_to=None,
        shop_ids=None,
        sale_ids=None,
        completed=True,
        load_relations=DEFAULT_SALE_RELATIONS,
        archived=None,
        sort="timeStamp",
    ):
        """Sales sorted by ``timeStamp`` (change stamp, ties by saleID), one request/page.

        ``updated_from``/``updated_to`` filter on ``timeStamp``: it is documented as a filter
        on every resource, whereas ``updatetime`` is only documented as sortable and the real
        API may reject a filter on it (spec §6.5, §11.2, §12.1). ``Sale.change_stamp`` returns
        the same stamp, so a cursor taken from it resumes this query exactly.
        """
        params = {
            "completed": None if completed is None else bool(completed),
            "archived": self._archived(archived),
            "timeStamp": range_filter(updated_from, updated_to),
            "completeTime": range_filter(completed_from, completed_to),
            "sort": sort,
        }
        if load_relations:
            params["load_relations"] = list(load_relations)
        if shop_ids:
            shop_ids = [to_id(s) or str(s) for s in shop_ids]
            params["shopID"] = shop_ids[0] if len(shop_ids) == 1 else Filter("IN", shop_ids)
        if sale_ids is None:
            yield from self._iter_typed("Sale", models.Sale, params)
            return
        for chunk in chunks(sale_ids):
            yield from self._iter_typed(
                "Sale", models.Sale, {**params, "saleID": Filter("IN", chunk)}
            )

    # -- stats ---------------------------------------------------------------------------
    def stats(self):
        return {
            "requests": self.request_count,
            "refreshes": self.refresh_count,
            "transport_seconds": round(self.transport_seconds, 6),
            "throttled_seconds": round(self.limiter.waited, 6),
            "bucket_level": self.limiter.current_level(),
            "bucket_size": self.limiter.size,
            "at": datetime.now(timezone.utc).isoformat(),
        }


__all__ = ["LightspeedClient", "RateLimiter", "DEFAULT_SALE_RELATIONS", "LightspeedError"]
