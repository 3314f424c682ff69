"""The example domain's one endpoint."""

from apiflask import APIBlueprint

from api_endpoint import db

bp = APIBlueprint("example", __name__, tag="Example")


@bp.get("/example_totals")
def example_totals():
    """Return the published total of the example amounts."""
    return db.fetch_one("select events, total from model_production.example_totals") or {}
