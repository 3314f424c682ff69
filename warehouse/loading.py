"""Fetch source files and bulk-load them into `raw` with COPY, one lineage batch per file."""

import hashlib
import logging
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)

CHUNK_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Batch:
    """What a load produced: small enough to pass between tasks."""

    batch_id: int
    row_count: int
    reused: bool


def is_url(source: str) -> bool:
    return urlsplit(source).scheme in ("http", "https")


def fetch(source: str, landing_dir: Path) -> Path:
    """Return a local path for `source`, downloading it into `landing_dir` when it is an http(s) URL."""
    if not is_url(source):
        path = Path(source).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"source file not found: {path}")
        return path

    import requests

    landing_dir.mkdir(parents=True, exist_ok=True)
    name = Path(urlsplit(source).path).name or "download"
    target = landing_dir / f"{hashlib.sha256(source.encode()).hexdigest()[:12]}-{name}"
    partial = target.with_suffix(target.suffix + ".part")
    log.info("downloading %s to %s", source, target)
    with requests.get(source, stream=True, timeout=(10, 300)) as response:
        response.raise_for_status()
        with open(partial, "wb") as out:
            shutil.copyfileobj(response.raw, out, CHUNK_BYTES)
    partial.replace(target)
    return target


def file_checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while chunk := source.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def latest_batch(connection: psycopg.Connection, source_kind: str, source_name: str, checksum: str) -> Batch | None:
    """Return the source's latest batch if it holds exactly this content; None when the content is new."""
    row = connection.execute(
        """
        select batch_id, row_count, source_checksum from audit.load_batches
        where source_kind = %s and source_name = %s
        order by batch_id desc
        limit 1
        """,
        (source_kind, source_name),
    ).fetchone()
    if row is None or row[2] != checksum:
        return None
    return Batch(batch_id=row[0], row_count=row[1], reused=True)


def copy_batch(
    connection: psycopg.Connection,
    *,
    source_kind: str,
    source_name: str,
    checksum: str,
    table: str,
    columns: list[str],
    chunks: Iterable[bytes],
    copy_format: str = "csv",
    dag_id: str | None = None,
    run_id: str | None = None,
) -> Batch:
    """COPY `chunks` (CSV, or COPY's text format) into raw `table` as one new batch, in one transaction.

    If the transaction fails part way, neither the batch nor any of its rows exist, so a retry starts clean.
    """
    schema_name, table_name = table.split(".")
    copy_statement = sql.SQL("copy {} ({}) from stdin (format {})").format(
        sql.Identifier(schema_name, table_name),
        sql.SQL(", ").join(sql.Identifier(column) for column in columns),
        sql.SQL({"csv": "csv", "text": "text"}[copy_format]),
    )
    with connection.transaction():
        batch_id = connection.execute(
            """
            insert into audit.load_batches (source_kind, source_name, source_checksum, row_count, dag_id, run_id)
            values (%s, %s, %s, 0, %s, %s)
            returning batch_id
            """,
            (source_kind, source_name, checksum, dag_id, run_id),
        ).fetchone()[0]
        # The raw table's lineage columns default to these transaction-local settings.
        connection.execute(
            "select set_config('warehouse.batch_id', %s, true), set_config('warehouse.source_name', %s, true)",
            (str(batch_id), source_name),
        )
        with connection.cursor() as cursor:
            with cursor.copy(copy_statement) as copy:
                for chunk in chunks:
                    copy.write(chunk)
            row_count = cursor.rowcount
        connection.execute("update audit.load_batches set row_count = %s where batch_id = %s", (row_count, batch_id))
    log.info("loaded %d rows of %s into %s as batch %d", row_count, source_name, table, batch_id)
    return Batch(batch_id=batch_id, row_count=row_count, reused=False)

