"""Pure loading-gate policy: facts in, decision out (no I/O, no framework imports)."""

from __future__ import annotations

from rules.checks.mass import MassFinding
from rules.checks.mass import check_mass
from rules.checks.mass import mass_violations
from rules.codes import Classified
from rules.codes import classify
from rules.codes import classify_one
from rules.codes import scan_codes
from rules.dates import local_date
from rules.model import BlacklistFacts
from rules.model import CarrierFacts
from rules.model import CheckContext
from rules.model import Decision
from rules.model import GoodsLine
from rules.model import MediumFacts
from rules.model import PermitFacts
from rules.model import PermitGoods
from rules.model import PersonFacts
from rules.model import PlannedLoad
from rules.model import ProductFacts
from rules.model import ScanCode
from rules.model import TankFacts
from rules.model import VehicleFacts
from rules.model import Violation
from rules.model import WaybillFacts
from rules.profile import DEFAULT_PROFILE
from rules.profile import Profile
from rules.profile import ProfileError
from rules.profile import available_profiles
from rules.profile import load_profile
from rules.profile import load_profile_file
from rules.profile import parse_profile
from rules.profile import profile_from_yaml
from rules.profile import show_profile
from rules.registry import CHECKS
from rules.registry import evaluate
from rules.registry import missing_slots
from rules.tankcode import tank_qualifies
from rules.tankcode import tank_satisfies

__all__ = [
    "CHECKS",
    "DEFAULT_PROFILE",
    "BlacklistFacts",
    "CarrierFacts",
    "CheckContext",
    "Classified",
    "Decision",
    "GoodsLine",
    "MassFinding",
    "MediumFacts",
    "PermitFacts",
    "PermitGoods",
    "PersonFacts",
    "PlannedLoad",
    "ProductFacts",
    "Profile",
    "ProfileError",
    "ScanCode",
    "TankFacts",
    "VehicleFacts",
    "Violation",
    "WaybillFacts",
    "available_profiles",
    "check_mass",
    "classify",
    "classify_one",
    "evaluate",
    "load_profile",
    "load_profile_file",
    "local_date",
    "mass_violations",
    "missing_slots",
    "parse_profile",
    "profile_from_yaml",
    "scan_codes",
    "show_profile",
    "tank_qualifies",
    "tank_satisfies",
]
