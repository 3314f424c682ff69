"""The site's front page: what each domain answers, where its pages are, and what it has published."""

from apiflask import APIBlueprint
from flask import render_template
from sqlalchemy.exc import SQLAlchemyError

from api_endpoint import db
from api_endpoint.errors import unavailable
from api_endpoint.health import fact_values
from api_endpoint.negotiation import preferred
from warehouse import registry

bp = APIBlueprint("home", __name__, tag="Home")


def _domains() -> list[dict]:
    described = []
    try:
        connection = db.get_db()
        for domain in registry.domains():
            facts = fact_values(connection, domain.facts)
            described.append(
                {
                    "name": domain.name,
                    "description": domain.description,
                    "dag_id": domain.dag_id,
                    "pages": [{"label": page.label, "path": page.path} for page in domain.pages],
                    "facts": facts,
                    "from_sample": bool(domain.sample_fact and facts.get(domain.sample_fact)),
                }
            )
    except SQLAlchemyError as error:
        raise unavailable(error) from error
    return described


@bp.get("/")
@bp.doc(
    responses={
        200: {
            "description": "Each domain: what it answers, its pages, and what it has published. HTML in a browser.",
            "content": {"application/json": {}, "text/html": {}},
        }
    }
)
def home():
    """Say what the warehouse answers, with a link to every page and what each domain has published."""
    answer = {
        "domains": _domains(),
        "links": {"docs": "/docs", "openapi": "/openapi.json", "snapshots": "/snapshots", "ready": "/ready"},
    }
    if preferred("text/html", "application/json") == "text/html":
        return render_template("home.html", **answer), 200, {"Content-Type": "text/html; charset=utf-8"}
    return answer
