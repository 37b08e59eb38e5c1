"""The product master: ADR Table A rows and the Chinese catalogue, loaded and queried."""

from __future__ import annotations

from .loader import HIGH_RISK_CHEMICALS
from .loader import LoadStats
from .loader import ProductDataError
from .loader import load_products
from .lookup import adr_row
from .lookup import adr_rows
from .lookup import catalogue_for_cas
from .lookup import product_facts
from .lookup import site_product

__all__ = [
    "HIGH_RISK_CHEMICALS", "LoadStats", "ProductDataError", "adr_row", "adr_rows",
    "catalogue_for_cas", "load_products", "product_facts", "site_product",
]
