"""Plain-Python client for the Lightspeed Retail R-Series API (no Odoo imports here).

Public interface used by the Odoo side::

    from odoo.addons.lightspeed_connector.api import (
        TokenSet, LightspeedOAuth, LightspeedClient,
        LightspeedError, AuthenticationError, ReauthorizationRequired, RateLimitError,
        RetryableError, NotFoundError, RequestValidationError, RemoteServerError,
    )
"""

from . import models, normalize, query
from .client import DEFAULT_API_URL, DEFAULT_SALE_RELATIONS, PAGE_SIZE, LightspeedClient
from .errors import (
    AuthenticationError,
    LightspeedError,
    NotFoundError,
    PayloadError,
    RateLimitError,
    ReauthorizationRequired,
    RemoteServerError,
    RequestValidationError,
    RetryableError,
)
from .models import (
    Account,
    Category,
    Customer,
    Employee,
    EmployeeHours,
    Item,
    ItemMatrix,
    ItemShop,
    Note,
    PaymentType,
    Register,
    Sale,
    SaleLine,
    SalePayment,
    SaleVoid,
    Session,
    Shop,
    TaxCategory,
    TaxCategoryClass,
    TaxClass,
)
from .oauth import DEFAULT_AUTH_URL, DEFAULT_SCOPES, LightspeedOAuth, TokenSet

__all__ = [
    "Account",
    "AuthenticationError",
    "Category",
    "Customer",
    "DEFAULT_API_URL",
    "DEFAULT_AUTH_URL",
    "DEFAULT_SALE_RELATIONS",
    "DEFAULT_SCOPES",
    "Employee",
    "EmployeeHours",
    "Item",
    "ItemMatrix",
    "ItemShop",
    "LightspeedClient",
    "LightspeedError",
    "LightspeedOAuth",
    "Note",
    "NotFoundError",
    "PAGE_SIZE",
    "PayloadError",
    "PaymentType",
    "RateLimitError",
    "ReauthorizationRequired",
    "Register",
    "RemoteServerError",
    "RequestValidationError",
    "RetryableError",
    "Sale",
    "SaleLine",
    "SalePayment",
    "SaleVoid",
    "Session",
    "Shop",
    "TaxCategory",
    "TaxCategoryClass",
    "TaxClass",
    "TokenSet",
    "models",
    "normalize",
    "query",
]
