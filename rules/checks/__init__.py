"""The check functions, one module per family; `rules.registry` orders them."""

from __future__ import annotations

from rules.checks.blacklist import check_c20_blacklist
from rules.checks.checklist import check_c19_visual_state
from rules.checks.checklist import check_c22_grounding
from rules.checks.compatibility import check_c17_compatibility
from rules.checks.completeness import check_c25_data_available
from rules.checks.mass import MassFinding
from rules.checks.mass import check_c15_mass
from rules.checks.mass import check_mass
from rules.checks.mass import mass_violations
from rules.checks.people import check_c05_driver
from rules.checks.people import check_c06_escort
from rules.checks.people import check_c07_identity
from rules.checks.permits import check_c04_carrier
from rules.checks.permits import check_c14_special_permits
from rules.checks.permits import check_c18_sds_label
from rules.checks.tank import check_c08_tank_inspection
from rules.checks.tank import check_c09_tank_medium
from rules.checks.tank import check_c10_tank_code
from rules.checks.vehicle import check_c01_vehicle_registration
from rules.checks.vehicle import check_c02_transport_permit
from rules.checks.vehicle import check_c03_permit_scope
from rules.checks.vehicle import check_c11_vehicle_type
from rules.checks.waybill import check_c12_waybill
from rules.checks.waybill import check_c13_goods_vs_waybill

__all__ = [
    "MassFinding",
    "check_c01_vehicle_registration",
    "check_c02_transport_permit",
    "check_c03_permit_scope",
    "check_c04_carrier",
    "check_c05_driver",
    "check_c06_escort",
    "check_c07_identity",
    "check_c08_tank_inspection",
    "check_c09_tank_medium",
    "check_c10_tank_code",
    "check_c11_vehicle_type",
    "check_c12_waybill",
    "check_c13_goods_vs_waybill",
    "check_c14_special_permits",
    "check_c15_mass",
    "check_c17_compatibility",
    "check_c18_sds_label",
    "check_c19_visual_state",
    "check_c20_blacklist",
    "check_c22_grounding",
    "check_c25_data_available",
    "check_mass",
    "mass_violations",
]
