"""What a domain declares, once: its DAG, its loader, its models, checks and publication, its API and samples.

The DAG factory, the API factory, readiness, quickstart's first runs and the benchmark all read these
declarations from the registry; nothing else needs to know a domain exists.
"""

import datetime as dt
import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warehouse.config import SQL_DIR, Setting


def import_string(dotted: str) -> Any:
    """Return the object named `package.module:attribute`."""
    module_name, _, attribute = dotted.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


class SourceError(ValueError):
    """A source that cannot be loaded as it is (absent, unreadable, without a required column): retrying the
    same run cannot help, so a loader raises this and its task fails at once, naming the file."""


@dataclass(frozen=True)
class RunContext:
    """What a loader knows of the run that called it."""

    # The DAG's params: name -> JSON-schema keywords of an Airflow Param (default, type, format, description).
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    dag_id: str | None = None
    run_id: str | None = None
    # The end of the run's data interval (a scheduled run), or when it was triggered.
    interval_end: dt.datetime | None = None


@dataclass(frozen=True)
class Schedule:
    """When a DAG runs: a UTC cron expression, and the data interval each run covers (None: a point in time)."""

    cron: str
    interval: dt.timedelta | None = None


@dataclass(frozen=True)
class Step:
    """One task that materialises models, in order, in one transaction.

    `quarantine` names the run's parameter that lists the batches a step takes in at once (such as telecom's
    `batch_ids`): when the database refuses the whole, the step takes each batch in alone, and a batch refused
    alone is quarantined in `audit.quarantined_batches` with the database's reason instead of failing the run.
    """

    task_id: str
    models: Sequence[str]
    quarantine: str | None = None


@dataclass(frozen=True)
class PublishedQuery:
    """A query the API runs over a domain's production tables once `relation` exists, under `name`."""

    name: str
    relation: str
    query: str


class Fact(PublishedQuery):
    """A value `/ready` reports (None before `relation` exists)."""


class Listing(PublishedQuery):
    """Rows `/snapshots` lists for a domain, newest first ([] before `relation` exists)."""


@dataclass(frozen=True)
class Page:
    """A page of the domain's blueprint that the site's menu links to."""

    label: str
    path: str


@dataclass(frozen=True)
class Bench:
    """How the benchmark feeds the pipeline: generate `rows` of input into a folder, then run it from there."""

    # generate(folder, rows) -> (file for the bare COPY baseline, its COPY options, run params for the loader)
    generate: str
    copy_columns: int
    default_rows: int


@dataclass(frozen=True)
class Domain:
    """One domain of the warehouse, from source file to API."""

    name: str
    dag_id: str
    description: str
    # None: triggered only.
    schedule: Schedule | None
    # `package.module:function` that loads the run's source into raw and returns the work for the models
    # (a small dict, their bound parameters), or None when there is nothing new to do.
    load: str
    load_task_id: str
    # None when the loader stages the rows as they load.
    stage: Step | None
    build: Sequence[Step]
    publish: Step
    # Relations the pipeline loads into or reads besides its models: raw tables, seeds, state tables.
    relations: Sequence[str] = ()
    # The DAG's params: name -> JSON-schema keywords of an Airflow Param (default, type, format, description).
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # `package.module:bp`, the API blueprint that answers from this domain's production tables.
    blueprint: str | None = None
    # The blueprint's pages, in the order the site's menu shows them.
    pages: Sequence[Page] = ()
    facts: Sequence[Fact] = ()
    # The fact (by name, a boolean) that says the domain serves the sample generated because no source was
    # configured: its answers then carry `Warehouse-Data: sample`, and its pages say so.
    sample_fact: str | None = None
    # What the domain has published, for `/snapshots`: its snapshots or coverage, with their lineage.
    listings: Sequence[Listing] = ()
    # Settings that name a source file or folder on the host (Docker Compose mounts them).
    sources: Sequence[Setting] = ()
    # conf of the run `quickstart run` triggers first: a function of nothing, read when quickstart runs.
    first_run: Callable[[], dict] = dict
    # Other settings of that first run which `quickstart run` remembers with the sources (an as_of date).
    run_settings: Sequence[Setting] = ()
    # Leave the DAG paused after that first run: when the run pins a date, the schedule would publish a newer
    # snapshot from the same source, which would then answer by default.
    stays_paused: bool = False
    bench: Bench | None = None
    tags: Sequence[str] = ()
    sql_dir: Path = SQL_DIR

    @property
    def checks(self) -> list[str]:
        """The domain's data checks: every query under sql/checks/<domain>/, by name."""
        folder = self.sql_dir / "checks" / self.name
        return sorted(f"checks/{self.name}/{path.name}" for path in folder.glob("*.sql"))

    @property
    def modelling(self) -> list[Step]:
        """The model steps that run before the checks: staging (unless the loader stages) and the builds."""
        return [step for step in (self.stage, *self.build) if step is not None]

    @property
    def steps(self) -> list[Step]:
        """Every model step in the order a run can take them."""
        return [*self.modelling, self.publish]
