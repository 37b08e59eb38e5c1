"""The resources of the records API: model, schema, natural key, owner and list filters."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from marshmallow import Schema

from .. import models as m
from ..schemas import records as s


@dataclass(frozen=True)
class Resource:
    """How one kind of pre-load record is keyed, owned, filtered and written in files."""

    name: str
    model: type[Any]
    schema: type[Schema]
    key: tuple[str, ...]
    # Which field of the record names the organisation that owns it, when no owner is given.
    owner_from: Callable[[dict[str, Any]], str | None]
    filters: tuple[str, ...] = ()
    # Fields whose values are lists of small records (written as cells like "UN1203 汽油 II").
    row_lists: dict[str, Callable[[dict[str, Any]], str]] = field(default_factory=dict)
    # Fields of the API that map to another column (waybill "status" is its waybill_status).
    columns: dict[str, str] = field(default_factory=dict)

    @property
    def instance(self) -> Schema:
        """A shared instance of the schema (building one per row costs more than the row)."""
        return _schema_instance(self.schema)

    def key_of(self, data: dict[str, Any]) -> tuple[Any, ...]:
        """The natural key of loaded data or of a record."""
        return tuple(data.get(k) for k in self.key)

    def key_text(self, record: Any) -> str:
        """The natural key as it appears in a URL."""
        return "/".join(str(getattr(record, k)) for k in self.key)

    def column(self, api_field: str) -> str:
        """The model attribute behind an API field."""
        return self.columns.get(api_field, api_field)


@functools.cache
def _schema_instance(cls: type[Schema]) -> Schema:
    return cls()


def _get(name: str) -> Callable[[dict[str, Any]], str | None]:
    return lambda data: data.get(name)


RESOURCES: dict[str, Resource] = {
    r.name: r
    for r in (
        Resource(
            "organisations",
            m.Organisation,
            s.OrganisationSchema,
            ("uscc",),
            _get("uscc"),
            ("name",),
        ),
        Resource("sites", m.Site, s.SiteSchema, ("code",), _get("owner_uscc"), ("owner_uscc",)),
        Resource(
            "site_products",
            m.SiteProduct,
            s.SiteProductSchema,
            ("site_code", "product_code"),
            lambda d: None,
            ("site_code", "un_number", "cas"),
        ),
        Resource("carriers", m.Carrier, s.CarrierSchema, ("uscc",), _get("uscc"), ("name",)),
        Resource(
            "vehicles",
            m.Vehicle,
            s.VehicleSchema,
            ("plate",),
            _get("carrier_uscc"),
            ("kind", "carrier_uscc", "adr_vehicle_type"),
        ),
        Resource(
            "tanks",
            m.Tank,
            s.TankSchema,
            ("tank_no",),
            lambda d: None,
            ("kind", "vehicle_plate"),
            row_lists={"media": s.gf.cell_of_media},
        ),
        Resource(
            "persons",
            m.Person,
            s.PersonSchema,
            ("id_number",),
            _get("carrier_uscc"),
            ("carrier_uscc", "qualification_cert_no", "name"),
        ),
        Resource(
            "waybills",
            m.Waybill,
            s.WaybillSchema,
            ("waybill_no",),
            _get("carrier_uscc"),
            ("status", "loader_site", "carrier_uscc", "vehicle_plate", "planned_date"),
            row_lists={"goods": s.gf.cell_of_goods},
            columns={"status": "waybill_status"},
        ),
        Resource(
            "permits",
            m.Permit,
            s.PermitSchema,
            ("permit_no",),
            lambda d: None,
            ("kind", "vehicle_plate"),
            row_lists={"goods": s.gf.cell_of_permit_goods},
        ),
        Resource(
            "blacklist",
            m.BlacklistEntry,
            s.BlacklistSchema,
            ("subject_kind", "subject_key", "valid_from"),
            lambda d: None,
            ("subject_kind", "subject_key"),
        ),
    )
}
