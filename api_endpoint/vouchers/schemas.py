"""Voucher request and response schemas; they validate input and generate the OpenAPI document."""

from apiflask import Schema, fields, validators
from marshmallow import RAISE, ValidationError, validates_schema

from api_endpoint.schemas import UtcTimestamp, storable_text

SEGMENT_TYPES = ["frequent_segment", "recency_segment"]


class VoucherQuestion(Schema):
    class Meta:
        unknown = RAISE

    customer_id = fields.Integer(strict=True, metadata={"example": 123})
    country_code = fields.String(
        required=True, validate=[validators.Length(min=1, max=100), storable_text], metadata={"example": "Peru"}
    )
    last_order_ts = UtcTimestamp(required=True, metadata={"example": "2018-05-03 00:00:00"})
    first_order_ts = UtcTimestamp(required=True, metadata={"example": "2017-05-03 00:00:00"})
    total_orders = fields.Integer(
        required=True,
        strict=True,
        # Orders are counted as PostgreSQL integers.
        validate=validators.Range(min=0, max=2**31 - 1),
        metadata={"example": 15},
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
    from_sample = fields.Boolean(
        metadata={"description": "The snapshot was built from the generated sample, not from a VOUCHER_SOURCE."}
    )
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
    format = fields.String(
        validate=validators.OneOf(["html", "json", "csv"]),
        metadata={"description": "`csv` for a CSV file (as `Accept: text/csv`), `json`, or `html`; else by Accept."},
    )


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
    from_sample = fields.Boolean(
        metadata={"description": "The snapshot was built from the generated sample, not from a VOUCHER_SOURCE."}
    )
    segments = fields.List(fields.Nested(SegmentCriteria))
