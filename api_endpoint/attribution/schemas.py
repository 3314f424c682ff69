"""Attribution questions and answers: they validate input and generate the OpenAPI document."""

import datetime as dt

from apiflask import Schema, fields, validators
from marshmallow import RAISE, ValidationError

from api_endpoint.schemas import storable_text
from warehouse.domains.attribution.algorithms import METHODS, METRICS

DIMENSIONS = ["asset", "bank", "zone", "denomination", "gameType"]
# The columns a group is filtered by, and the production column each names.
GROUP_FILTERS = {"bank": "bank", "zone": "zone", "gameType": "game_type", "denomination": "denomination"}
MAX_RECORDS = 100_000


def _refuse(message: str):
    raise ValidationError(message)


class Question(Schema):
    """What every attribution endpoint asks: which metric, which day, against which baseline, how."""

    class Meta:
        unknown = RAISE

    metric_col = fields.String(
        load_default="coinIn",
        validate=[validators.Length(min=1, max=64), storable_text],
        metadata={"description": f"The metric whose change is explained: one of {', '.join(METRICS)}."},
    )
    date_target = fields.Date(
        required=True,
        # Far enough from the calendar's ends for the baseline and normdiff windows before it.
        validate=lambda day: dt.date(1900, 1, 1) <= day or _refuse("must be 1900-01-01 or later"),
        metadata={"description": "The gaming day to explain (YYYY-MM-DD).", "example": "2018-03-23"},
    )
    baseline_weeks = fields.Integer(
        load_default=1,
        validate=validators.Range(min=1, max=12),
        metadata={
            "description": "The baseline is the mean over those of this many previous same weekdays "
            "(date - 7k days) that have data."
        },
    )
    method = fields.String(
        load_default="bestranks",
        validate=validators.OneOf(METHODS),
        metadata={"description": "bestranks: the greatest contribution in the direction of the change first."},
    )
    algorithm = fields.String(validate=[validators.Length(min=1, max=64), storable_text])
    limit = fields.Integer(
        validate=validators.Range(min=1, max=10_000),
        metadata={"description": "How many ranks to list (adtributor: how many dimensions); default 10 (3)."},
    )
    window_days = fields.Integer(
        load_default=28,
        validate=validators.Range(min=2, max=366),
        metadata={"description": "normdiff only: the days, ending on date_target, each metric is normalised over."},
    )
    data = fields.List(
        fields.Dict(keys=fields.String()),
        validate=validators.Length(min=1, max=MAX_RECORDS),
        metadata={
            "description": "POST only: your own daily rows, one object per day (and asset), with the date in "
            "`date_col` and metric columns such as coinInCarded. The same algorithms then run on them instead "
            "of the warehouse's data.",
        },
    )
    date_col = fields.String(
        load_default="gamingDate",
        validate=[validators.Length(min=1, max=64), storable_text],
        metadata={"description": "The date's key in each `data` record."},
    )


class AssetQuestion(Question):
    asset = fields.String(
        validate=[validators.Length(min=1, max=100), storable_text],
        metadata={"description": "The asset (slot machine) number; not needed with `data`.", "example": "A0017"},
    )


class GroupQuestion(Question):
    # Only `zone` carries an example: "Try it out" fills every example in, and the filters intersect.
    bank = fields.String(
        validate=[validators.Length(min=1, max=100), storable_text], metadata={"description": "A bank, such as B07."}
    )
    zone = fields.String(validate=[validators.Length(min=1, max=100), storable_text], metadata={"example": "Z2"})
    gameType = fields.String(
        validate=[validators.Length(min=1, max=100), storable_text],
        metadata={"description": "A game type, such as Video Poker."},
    )
    denomination = fields.Decimal(
        validate=lambda value: 0 < value <= 1_000_000 or _refuse("must be more than 0 and at most 1000000"),
        metadata={"description": "A credit value such as 0.25; 1 and 1.00 are the same."},
    )
    assets = fields.List(
        fields.String(validate=[validators.Length(min=1, max=100), storable_text]),
        validate=validators.Length(min=1, max=10_000),
        metadata={"description": "Only these assets (a query string may repeat it or separate with commas)."},
    )


class DimensionQuestion(GroupQuestion):
    dimension = fields.String(
        load_default="asset",
        validate=validators.OneOf(DIMENSIONS),
        metadata={"description": "contribution only: the attribute whose values are ranked."},
    )
    min_element_ep = fields.Float(
        load_default=0.1,
        validate=validators.Range(min=0, max=1),
        metadata={"description": "adtributor only: a value joins a set only with more explanatory power."},
    )
    min_total_ep = fields.Float(
        load_default=0.67,
        validate=validators.Range(min=0, max=1, min_inclusive=False),
        metadata={"description": "adtributor only: a set is complete once its values explain this share."},
    )


class Rank(Schema):
    metric = fields.String(metadata={"description": "Metric endpoints: the metric."})
    dimension = fields.String(metadata={"description": "adtributor: the dimension of the value."})
    value = fields.String(metadata={"description": "Dimension endpoint: the asset or attribute value."})
    level = fields.Integer(metadata={"description": "decomposition: depth in the identity tree."})
    parent = fields.String(metadata={"description": "decomposition: the node this one splits."})
    target_value = fields.Float(allow_none=True)
    baseline_value = fields.Float(allow_none=True)
    contribution = fields.Float(allow_none=True, metadata={"description": "Its part of the change."})
    share = fields.Float(allow_none=True, metadata={"description": "contribution / change."})
    score = fields.Float(allow_none=True, metadata={"description": "normdiff: normalised target minus baseline."})
    rate_effect = fields.Float(allow_none=True, metadata={"description": "Ratio metrics: the value's own change."})
    mix_effect = fields.Float(allow_none=True, metadata={"description": "Ratio metrics: its change in weight."})
    ep = fields.Float(allow_none=True, metadata={"description": "adtributor: explanatory power."})
    surprise = fields.Float(allow_none=True, metadata={"description": "adtributor: Jensen-Shannon surprise."})


class DimensionSet(Schema):
    dimension = fields.String()
    surprise = fields.Float(allow_none=True)
    explained_share = fields.Float(allow_none=True)


class Answer(Schema):
    metric_col = fields.String()
    date_target = fields.Date()
    baseline_dates = fields.List(fields.Date())
    group = fields.Dict(metadata={"description": "What was selected: the asset, the filters, {} for all."})
    algorithm = fields.String()
    method = fields.String()
    dimension = fields.String(metadata={"description": "contribution: the dimension ranked."})
    target_value = fields.Float(allow_none=True)
    baseline_value = fields.Float(allow_none=True)
    change = fields.Float(allow_none=True)
    relative_change = fields.Float(allow_none=True, metadata={"description": "A fraction: 0.12, not 12."})
    explained_share = fields.Float(allow_none=True, metadata={"description": "The share the listed ranks explain."})
    ranks = fields.List(fields.Nested(Rank))
    nodes = fields.List(fields.Nested(Rank), metadata={"description": "decomposition: every node of the tree."})
    dimensions = fields.List(fields.Nested(DimensionSet), metadata={"description": "adtributor: every dimension."})
