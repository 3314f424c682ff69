"""Render the project's SQL through one Jinja environment, and materialise models.

A model file is one `select`, optionally preceded by `{{ config(...) }}`; its folder names its schema
(`sql/model_staging/<domain>/stg_x.sql` builds `model_staging.stg_x`). One function, `materialise`, owns
what the select does not say: the table's DDL and constraints, the partition a run replaces, and the insert.
DAGs, the benchmark and the tests all run models through it, so they all run the same SQL.

Config keys:
- `materialized`: `table` (default), `temporary` (dropped at commit: an intermediate for the models after it
  in the same step), `view`, or `statement` (the file is run as it is: DDL, seeds, an operation).
- `replace`: the predicate of the partition a run replaces, e.g. `batch_id = %(batch_id)s`; `all` for the
  whole table. Required for a table, unless `upsert` is set.
- `upsert`: `nothing` or `update`: insert, and on a `unique_key` conflict keep or update the existing row.
- `unique_key`: the primary key; `nullable`: the only columns that may be null; `checks`: name -> predicate;
  `indexes`: column lists (`brin:column` for a block-range index).
- `into`: write into an existing relation owned elsewhere (e.g. `audit.rejected_rows`) instead of the
  file's own; no DDL is made for it.
"""

import functools
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import psycopg
from psycopg import ClientCursor, sql

from warehouse.config import SQL_DIR

log = logging.getLogger(__name__)

MATERIALIZATIONS = ("table", "temporary", "view", "statement")


@functools.cache
def environment(*search_path: Path) -> jinja2.Environment:
    """The one Jinja environment SQL is rendered through (one per search path)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(path) for path in search_path]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )


@dataclass(frozen=True)
class Model:
    path: str
    relation: str
    sql: str
    materialized: str = "table"
    replace: str | None = None
    upsert: str | None = None
    unique_key: tuple[str, ...] = ()
    nullable: tuple[str, ...] = ()
    checks: Mapping[str, str] = field(default_factory=dict)
    indexes: tuple[str, ...] = ()
    into: str | None = None


def render(path: str, sql_dir: Path = SQL_DIR, **context: Any) -> Model:
    """Render the SQL file at `path` (relative to `sql_dir`) into a Model."""
    settings: dict[str, Any] = {}

    def config(**options: Any) -> str:
        unknown = set(options) - (set(Model.__dataclass_fields__) - {"path", "relation", "sql"})
        if unknown:
            raise ValueError(f"{path}: unknown model config {sorted(unknown)}")
        settings.update(options)
        return ""

    search_path = (sql_dir,) if sql_dir == SQL_DIR else (sql_dir, SQL_DIR)
    text = environment(*search_path).get_template(path).render(config=config, **context)
    parts = Path(path).parts
    relation = f"{parts[0]}.{Path(path).stem}"
    materialized = settings.pop("materialized", "table" if settings else "statement")
    if materialized not in MATERIALIZATIONS:
        raise ValueError(f"{path}: materialized must be one of {MATERIALIZATIONS}")
    if materialized == "temporary":
        relation = Path(path).stem
    model = Model(
        path=path,
        relation=relation,
        sql=text.strip().rstrip(";"),
        materialized=materialized,
        **{key: tuple(value) if isinstance(value, list) else value for key, value in settings.items()},
    )
    if model.materialized == "table" and not (model.replace or model.upsert):
        raise ValueError(f"{path}: a table model says which partition a run replaces (replace=...) or upserts")
    if model.upsert and not model.unique_key:
        raise ValueError(f"{path}: upsert needs a unique_key")
    return model


def _identifier(relation: str) -> sql.Identifier:
    return sql.Identifier(*relation.split("."))


def _columns(cursor: psycopg.Cursor, model: Model, parameters: Mapping) -> list[str]:
    cursor.execute(f"select * from ({model.sql}\n) as model limit 0", parameters)  # noqa: S608 - a project file
    return [column.name for column in cursor.description]


def _add_new_columns(cursor: psycopg.Cursor, model: Model, parameters: Mapping, columns: list[str]) -> None:
    """Add the columns a model's select has gained since its table was made, typed as the select types them and
    nullable (the rows already there have no value), as dbt's `append_new_columns` does."""
    existing = {
        name
        for (name,) in cursor.execute(
            "select attname from pg_attribute where attrelid = to_regclass(%s) and attnum > 0 and not attisdropped",
            (model.relation,),
        ).fetchall()
    }
    new = [column for column in columns if column not in existing]
    if not new:
        return
    cursor.execute(f"select * from ({model.sql}\n) as model limit 0", parameters)  # noqa: S608 - a project file
    types = {column.name: column.type_code for column in cursor.description}
    for column in new:
        type_name = cursor.execute("select format_type(%s, null)", (types[column],)).fetchone()[0]
        cursor.execute(
            sql.SQL("alter table {} add column {} {}").format(
                _identifier(model.relation), sql.Identifier(column), sql.SQL(type_name)
            )
        )
        log.info("%s: added column %s %s", model.relation, column, type_name)


def _create_table(cursor: psycopg.Cursor, model: Model, parameters: Mapping, columns: list[str]) -> None:
    """Create the model's table from its select's own column types, with the declared constraints."""
    target = _identifier(model.relation)
    cursor.execute(
        sql.SQL("create table {} as select * from ({}\n) as model with no data").format(target, sql.SQL(model.sql)),
        parameters,
    )
    for column in columns:
        if column not in model.nullable:
            cursor.execute(
                sql.SQL("alter table {} alter column {} set not null").format(target, sql.Identifier(column))
            )
    if model.unique_key:
        cursor.execute(
            sql.SQL("alter table {} add primary key ({})").format(
                target, sql.SQL(", ").join(map(sql.Identifier, model.unique_key))
            )
        )
    for name, predicate in model.checks.items():
        cursor.execute(
            sql.SQL("alter table {} add constraint {} check ({})").format(
                target, sql.Identifier(name), sql.SQL(predicate)
            )
        )
    for index in model.indexes:
        method, _, index_columns = index.rpartition(":")
        cursor.execute(
            sql.SQL("create index on {} using {} ({})").format(
                target,
                sql.SQL(method or "btree"),
                sql.SQL(", ").join(sql.Identifier(column.strip()) for column in index_columns.split(",")),
            )
        )


def materialise(connection: psycopg.Connection, model: Model, parameters: Mapping | None = None) -> int:
    """Run one model; return the rows it wrote. Call it inside a transaction: a step is all or nothing."""
    parameters = dict(parameters or {})
    # Client-side binding: DDL takes no server-side parameters, and a statement file may hold several statements.
    cursor = ClientCursor(connection)
    if model.materialized == "statement":
        cursor.execute(model.sql, parameters or None)
        return max(cursor.rowcount, 0)
    if model.materialized == "view":
        # Every DAG's first step replaces the platform's views: two at once would collide in the catalog.
        cursor.execute("select pg_advisory_xact_lock(hashtext(%s))", (model.relation,))
        cursor.execute(
            sql.SQL("create or replace view {} as {}").format(_identifier(model.relation), sql.SQL(model.sql))
        )
        return 0
    if model.materialized == "temporary":
        cursor.execute(
            sql.SQL("create temporary table {} on commit drop as {}").format(
                sql.Identifier(model.relation), sql.SQL(model.sql)
            ),
            parameters,
        )
        written = cursor.rowcount
        cursor.execute(sql.SQL("analyze {}").format(sql.Identifier(model.relation)))
        return written

    target_name = model.into or model.relation
    target = _identifier(target_name)
    columns = _columns(cursor, model, parameters)
    if model.into is None:
        if cursor.execute("select to_regclass(%s)", (target_name,)).fetchone()[0] is None:
            _create_table(cursor, model, parameters, columns)
        else:
            _add_new_columns(cursor, model, parameters, columns)
    if model.replace == "all":
        cursor.execute(sql.SQL("delete from {}").format(target))
    elif model.replace:
        cursor.execute(sql.SQL("delete from {} where {}").format(target, sql.SQL(model.replace)), parameters)
    column_list = sql.SQL(", ").join(map(sql.Identifier, columns))
    insert = sql.SQL("insert into {} ({}) select {} from ({}\n) as model").format(
        target, column_list, column_list, sql.SQL(model.sql)
    )
    if model.upsert == "nothing":
        insert += sql.SQL(" on conflict do nothing")
    elif model.upsert == "update":
        keys = sql.SQL(", ").join(map(sql.Identifier, model.unique_key))
        updates = sql.SQL(", ").join(
            sql.SQL("{} = excluded.{}").format(sql.Identifier(column), sql.Identifier(column))
            for column in columns
            if column not in model.unique_key
        )
        insert += sql.SQL(" on conflict ({}) do update set {}").format(keys, updates)
    cursor.execute(insert, parameters)
    return cursor.rowcount


def run_step(
    connection: psycopg.Connection,
    paths: Iterable[str],
    parameters: Mapping | None = None,
    sql_dir: Path = SQL_DIR,
) -> dict[str, int]:
    """Materialise models in order, in one transaction; return the rows each wrote."""
    written = {}
    with connection.transaction():
        for path in paths:
            model = render(path, sql_dir)
            written[path] = materialise(connection, model, parameters)
            log.info("%s: %s rows (%s)", model.relation, written[path], model.materialized)
    return written


def run_statements(connection: psycopg.Connection, paths: Sequence[str], sql_dir: Path = SQL_DIR) -> None:
    """Run parameterless SQL files (DDL and seeds), each in its own transaction."""
    for path in paths:
        run_step(connection, [path], None, sql_dir)
