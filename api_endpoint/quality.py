"""Data quality a person can see: each loaded batch's row accounting, and the rules that rejected its rows with
the first rejected rows as they arrived. Read from the platform's views over the audit schema
(`model_production.batch_quality`, `model_production.batch_rejects`)."""

from apiflask import APIBlueprint, Schema, fields, validators
from flask import Response, render_template

from api_endpoint import db
from api_endpoint.errors import ApiError
from api_endpoint.negotiation import preferred
from api_endpoint.schemas import QueryParameters
from warehouse import config, registry

bp = APIBlueprint("quality", __name__, tag="Data quality")

BATCHES_QUERY = """
select * from model_production.batch_quality
where cast(:dag_id as text) is null or dag_id = cast(:dag_id as text)
order by batch_id desc
limit :row_limit
"""
BATCH_QUERY = "select * from model_production.batch_quality where batch_id = :batch_id"
REJECTS_QUERY = """
select rule, row_count, sample from model_production.batch_rejects
where batch_id = :batch_id
order by row_count desc, rule
"""


class QualityQuery(QueryParameters):
    dag_id = fields.String(
        validate=validators.OneOf([domain.dag_id for domain in registry.domains()]),
        metadata={"description": "Only the batches this DAG loaded."},
    )
    limit = fields.Integer(load_default=50, validate=validators.Range(min=1, max=1000))


class BatchQuality(Schema):
    batch_id = fields.Integer()
    source_kind = fields.String()
    source_name = fields.String()
    source_checksum = fields.String()
    from_sample = fields.Boolean()
    dag_id = fields.String(allow_none=True)
    run_id = fields.String(allow_none=True)
    loaded_at = fields.DateTime()
    raw_rows = fields.Integer()
    rejected_rows = fields.Integer()
    accepted_rows = fields.Integer(
        allow_none=True,
        metadata={"description": "Raw rows no rule rejected: clean once staged (none when quarantined)."},
    )
    quarantine_reason = fields.String(allow_none=True)


class RuleRejects(Schema):
    rule = fields.String()
    row_count = fields.Integer()
    sample = fields.List(fields.Dict(), metadata={"description": "The first rejected rows, as they arrived."})


class BatchList(Schema):
    batches = fields.List(fields.Nested(BatchQuality))


class BatchDetail(Schema):
    batch = fields.Nested(BatchQuality)
    rules = fields.List(fields.Nested(RuleRejects))


def _accounted(batch: dict) -> dict:
    accepted = None if batch["quarantine_reason"] else batch["raw_rows"] - batch["rejected_rows"]
    return {**batch, "accepted_rows": accepted}


@bp.get("/quality")
@bp.input(QualityQuery, location="query", arg_name="query")
@bp.output(BatchList)
@bp.doc(responses=[400, 503])
def quality(query):
    """List the latest loaded batches with their row accounting; a browser gets a page.

    Each batch is one file as it was loaded: its rows, how many the rules rejected, and, when staging refused
    it, the reason it was quarantined.
    """
    rows = db.fetch_all(BATCHES_QUERY, dag_id=query.get("dag_id"), row_limit=query["limit"])
    batches = [_accounted(row) for row in rows]
    if preferred("application/json", "text/html") == "text/html":
        return Response(render_template("quality.html", batches=batches, query=query), mimetype="text/html")
    return {"batches": batches}


@bp.get("/quality/<int:batch_id>")
@bp.output(BatchDetail)
@bp.doc(responses=[404, 503])
def batch_quality(batch_id: int):
    """Show one batch's row accounting, and each rule that rejected its rows with the first of them as they
    arrived (`API_REJECTED_ROW_SAMPLES` of them, 3 by default); a browser gets a page."""
    row = db.fetch_one(BATCH_QUERY, batch_id=batch_id) if batch_id < 2**63 else None
    if row is None:
        raise ApiError(404, "no_batch", f"no batch {batch_id} was loaded", {"batch_id": batch_id})
    shown = config.API_REJECTED_ROW_SAMPLES.value()
    rules = [
        {**rule, "sample": (rule["sample"] or [])[:shown]} for rule in db.fetch_all(REJECTS_QUERY, batch_id=batch_id)
    ]
    detail = {"batch": _accounted(row), "rules": rules}
    if preferred("application/json", "text/html") == "text/html":
        return Response(render_template("quality_batch.html", **detail), mimetype="text/html")
    return detail
