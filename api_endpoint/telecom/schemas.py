"""KPI request and response schemas; they validate input and generate the OpenAPI document."""

from apiflask import Schema, fields, validators
from marshmallow import ValidationError, pre_load, validates_schema

from api_endpoint.schemas import QueryParameters, UtcTimestamp


class KpiQuery(QueryParameters):
    from_ = UtcTimestamp(
        data_key="from", metadata={"description": "Intervals starting at or after this time (UTC unless offset)."}
    )
    to = UtcTimestamp(metadata={"description": "Intervals ending at or before this time (UTC unless offset)."})
    interval = fields.String(validate=validators.OneOf(["5-minute", "1-hour"]))
    limit = fields.Integer(load_default=1000, validate=validators.Range(min=1, max=10000))
    offset = fields.Integer(load_default=0, validate=validators.Range(min=0, max=2**63 - 1))
    format = fields.String(
        validate=validators.OneOf(["json", "csv"]),
        metadata={"description": "`csv` for a CSV file (as `Accept: text/csv`); JSON otherwise."},
    )

    @pre_load
    def empty_is_absent(self, data, **kwargs):
        """A parameter sent empty, as a form sends a field left blank, is one not sent."""
        return {key: value for key, value in data.items() if value != ""}

    @validates_schema
    def from_before_to(self, data, **kwargs):
        if data.get("from_") and data.get("to") and data["from_"] > data["to"]:
            raise ValidationError("must not be earlier than from", "to")


class TopService(Schema):
    interval_start_timestamp = fields.String(metadata={"example": "2017-03-01 08:00:00"})
    interval_end_timestamp = fields.String(metadata={"example": "2017-03-01 08:05:00"})
    service_id = fields.Integer(metadata={"example": 1})
    total_bytes = fields.Integer(metadata={"example": 16100})
    interval = fields.String(metadata={"example": "5-minute"})


class TopCell(Schema):
    interval_start_timestamp = fields.String(metadata={"example": "2017-03-01 08:00:00"})
    interval_end_timestamp = fields.String(metadata={"example": "2017-03-01 08:05:00"})
    cell_id = fields.Integer(metadata={"example": 1001})
    number_of_unique_users = fields.Integer(metadata={"example": 4})
    interval = fields.String(metadata={"example": "5-minute"})
