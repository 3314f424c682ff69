"""Request and response schemas; they validate input and generate the OpenAPI document."""

import datetime as dt

from apiflask import Schema, fields, validators
from marshmallow import RAISE, ValidationError, validates_schema

SEGMENT_TYPES = ["frequent_segment", "recency_segment"]


class UtcTimestamp(fields.Field):
    """A timestamp as `YYYY-MM-DD HH:MM:SS`, `YYYY-MM-DD_HH:MM:SS` or ISO 8601; UTC unless it carries an offset."""

    def _deserialize(self, value, attr, data, **kwargs) -> dt.datetime:
        if not isinstance(value, str):
            raise ValidationError("must be a string such as 2018-05-03 00:00:00")
        text = value.strip()
        if len(text) == 19 and text[10] == "_":
            text = f"{text[:10]}T{text[11:]}"
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError as error:
            raise ValidationError("not a timestamp: use YYYY-MM-DD_HH:MM:SS or ISO 8601") from error
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        return parsed.astimezone(dt.UTC)

    def _jsonschema_type_mapping(self):
        return {"type": "string", "example": "2017-03-01_08:00:00"}


class VoucherQuestion(Schema):
    class Meta:
        unknown = RAISE

    customer_id = fields.Integer(strict=True, metadata={"example": 123})
    country_code = fields.String(
        required=True, validate=validators.Length(min=1, max=100), metadata={"example": "Peru"}
    )
    last_order_ts = UtcTimestamp(required=True, metadata={"example": "2018-05-03 00:00:00"})
    first_order_ts = UtcTimestamp(required=True, metadata={"example": "2017-05-03 00:00:00"})
    total_orders = fields.Integer(
        required=True, strict=True, validate=validators.Range(min=0), metadata={"example": 15}
    )
    segment_name = fields.String(
        required=True, validate=validators.OneOf(SEGMENT_TYPES), metadata={"example": "recency_segment"}
    )
    as_of = fields.Date(metadata={"description": "Snapshot date; the latest when absent."})

    @validates_schema
    def orders_in_order(self, data, **kwargs):
        if data.get("last_order_ts") and data.get("first_order_ts") and data["last_order_ts"] < data["first_order_ts"]:
            raise ValidationError("must not be earlier than first_order_ts", "last_order_ts")


class RunnerUp(Schema):
    voucher_amount = fields.Float()
    voucher_uses = fields.Integer()


class VoucherAnswer(Schema):
    voucher_amount = fields.Float(metadata={"example": 2640.0})
    segment_type = fields.String(metadata={"example": "recency_segment"})
    segment_name = fields.String(metadata={"example": "121-180"})
    as_of = fields.Date()
    country_code = fields.String()
    customer_id = fields.Integer(allow_none=True)
    total_orders = fields.Integer()
    days_since_last_order = fields.Integer()
    voucher_uses = fields.Integer(metadata={"description": "Uses of the chosen amount in the segment."})
    segment_uses = fields.Integer(metadata={"description": "Uses of any amount in the segment."})
    share = fields.Float(metadata={"description": "voucher_uses / segment_uses."})
    runner_up = fields.Nested(RunnerUp, allow_none=True)


class CriteriaQuery(Schema):
    as_of = fields.Date(metadata={"description": "Snapshot date; the latest when absent."})


class SegmentAnswer(Schema):
    country_code = fields.String()
    voucher_amount = fields.Float()
    voucher_uses = fields.Integer()
    segment_uses = fields.Integer()
    runner_up_voucher_amount = fields.Float(allow_none=True)


class SegmentCriteria(Schema):
    segment_type = fields.String()
    segment_name = fields.String()
    measure = fields.String()
    min_value = fields.Integer()
    max_value = fields.Integer(allow_none=True)
    answers = fields.List(fields.Nested(SegmentAnswer))


class SelectionCriteria(Schema):
    as_of = fields.Date()
    segments = fields.List(fields.Nested(SegmentCriteria))


class QueryParameters(Schema):
    """Query-string parameters that refuse a name they do not know, so a typo is never silently ignored.

    webargs loads query strings with `unknown=EXCLUDE` whatever the schema says, so the check is made here,
    on the original data, and reaches the client as the same 400 naming the parameter.
    """

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def known_parameters(self, data, original_data, **kwargs):
        known = {field.data_key or name for name, field in self.fields.items()}
        unknown = sorted(set(original_data) - known)
        if unknown:
            raise ValidationError({name: [f"unknown parameter; use {sorted(known)}"] for name in unknown})


class KpiQuery(QueryParameters):
    from_ = UtcTimestamp(
        data_key="from", metadata={"description": "Intervals starting at or after this time (UTC unless offset)."}
    )
    to = UtcTimestamp(metadata={"description": "Intervals ending at or before this time (UTC unless offset)."})
    interval = fields.String(validate=validators.OneOf(["5-minute", "1-hour"]))
    limit = fields.Integer(load_default=1000, validate=validators.Range(min=1, max=10000))
    offset = fields.Integer(load_default=0, validate=validators.Range(min=0))

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
