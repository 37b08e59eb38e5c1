"""All tables of the service."""

from .auth import ROLES
from .auth import ApiToken
from .base import Base
from .decisions import ChainHead
from .decisions import DecisionReason
from .decisions import DecisionRow
from .decisions import LoadingRecord
from .decisions import OutboxEvent
from .decisions import RulesetVersion
from .history import RecordChange
from .records import RECORD_MODELS
from .records import BlacklistEntry
from .records import Carrier
from .records import Organisation
from .records import Permit
from .records import Person
from .records import Site
from .records import SiteProduct
from .records import Tank
from .records import Vehicle
from .records import Waybill
from .reference import AdrEntry
from .reference import CasIndex
from .reference import CatalogueEntry

__all__ = [
    "ROLES",
    "AdrEntry",
    "ApiToken",
    "Base",
    "BlacklistEntry",
    "Carrier",
    "CasIndex",
    "ChainHead",
    "DecisionReason",
    "DecisionRow",
    "LoadingRecord",
    "OutboxEvent",
    "RulesetVersion",
    "CatalogueEntry",
    "Organisation",
    "Permit",
    "Person",
    "RECORD_MODELS",
    "RecordChange",
    "Site",
    "SiteProduct",
    "Tank",
    "Vehicle",
    "Waybill",
]
