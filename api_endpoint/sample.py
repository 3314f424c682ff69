"""Label what comes from the generated sample: every answer of a domain that serves it carries
`Warehouse-Data: sample`, and every page of that domain says so.

A domain serves the sample when no source was configured for it (see `loading.configured_or_sample`); its
declaration names the fact that tells (`Domain.sample_fact`), asked at most once per request, on the request's
own connection. A blueprint that keeps its latest publication in memory (see `api_endpoint.published`) tells from
there instead, registering how in `FROM_MEMORY`.
"""

import logging
from collections.abc import Callable

from apiflask import HTTPError
from flask import Flask, Response, g, request
from sqlalchemy.exc import SQLAlchemyError

from api_endpoint import db
from api_endpoint.health import published
from warehouse import registry
from warehouse.domain import Fact, import_string

log = logging.getLogger(__name__)

HEADER = "Warehouse-Data"
# By blueprint name: whether its latest publication comes from the sample, told from the worker's memory.
FROM_MEMORY: dict[str, Callable[[], bool]] = {}


def _sample_facts() -> dict[str, Fact]:
    """The sample fact of each domain that declares one, by the name of the domain's blueprint."""
    facts = {}
    for domain in registry.domains():
        if domain.blueprint and domain.sample_fact:
            facts[import_string(domain.blueprint).name] = next(
                fact for fact in domain.facts if fact.name == domain.sample_fact
            )
    return facts


def serves_sample() -> bool:
    """Say whether the domain answering this request serves the generated sample."""
    if "serves_sample" not in g:
        fact = g.get("sample_facts", {}).get(request.blueprint)
        answer = False
        if request.blueprint in FROM_MEMORY:
            try:
                answer = FROM_MEMORY[request.blueprint]()
            except HTTPError:
                # Nothing published yet: nothing to label.
                answer = False
            except SQLAlchemyError as error:
                log.warning("could not tell whether %s serves the sample: %s", request.blueprint, error)
        elif fact is not None:
            try:
                result = published(db.get_db(), fact)
                answer = bool(result.scalar()) if result else False
            except SQLAlchemyError as error:
                # The answer itself has already been made; a label that cannot be read is left out, not an error.
                log.warning("could not tell whether %s serves the sample: %s", request.blueprint, error)
        g.serves_sample = answer
    return g.serves_sample


def init_app(app: Flask) -> None:
    facts = _sample_facts()

    @app.before_request
    def know_the_facts() -> None:
        g.sample_facts = facts

    @app.after_request
    def label(response: Response) -> Response:
        if 200 <= response.status_code < 300 and request.blueprint in facts and serves_sample():
            response.headers[HEADER] = "sample"
        return response

    app.context_processor(lambda: {"serves_sample": serves_sample})
