"""Fetch source files and bulk-load them into `raw` with COPY, one lineage batch per file."""

import hashlib
import io
import logging
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import psycopg
import pyarrow as pa
from psycopg import sql

from warehouse import config
from warehouse.config import Setting
from warehouse.domain import SourceError, import_string

log = logging.getLogger(__name__)

CHUNK_BYTES = 8 * 1024 * 1024
BATCH_ROWS = 250_000
# A CSV file is read this many bytes at a time, each block one record batch. Smaller blocks keep less in memory
# (1.46 M casino rows: 518 MiB at 8 MB against 883 MiB at 64 MB) and keep the COPY thread busier (their load
# took 2.35 s against 3.42 s).
CSV_BLOCK_BYTES = 8 * 1024 * 1024


class Staging(Protocol):
    """Stages a domain's rows while they load: made for each batch, with the loading transaction's Copies, it takes
    the batch's record batches as raw holds them (text, null for an absent value) with their source row numbers,
    in order, and writes them on (typed, or rejected with a rule) through the Copies."""

    def __init__(self, copies: "Copies", batch_id: int) -> None: ...

    @staticmethod
    def staged(connection: psycopg.Connection, batch_id: int) -> bool:
        """Whether each of the batch's rows is staged."""

    @staticmethod
    def forget(connection: psycopg.Connection, batch_id: int) -> None:
        """Remove whatever is staged of the batch."""

    def take(self, values: pa.RecordBatch, row_numbers: pa.Array) -> None: ...

    def finish(self) -> None:
        """After the last record batch."""


@dataclass(frozen=True)
class Batch:
    """What a load produced: small enough to pass between tasks."""

    batch_id: int
    row_count: int
    reused: bool


def configured_or_sample(setting: Setting, name: str, writer: str, **options) -> str | Path:
    """Return the setting's value, or else the generated sample `name` under the state folder, written on first
    use by `writer` (`package.module:function`, called with the path and `options`)."""
    configured = setting.value()
    if configured:
        return configured
    sample = samples_dir() / name
    if not sample.exists():
        import_string(writer)(sample, **options)
    return sample


def samples_dir() -> Path:
    return config.state_dir() / "samples"


def is_generated_sample(path: Path) -> bool:
    """Say whether a file or folder is a sample the warehouse generated (under the state folder's samples)."""
    return path.resolve().is_relative_to(samples_dir().resolve())


def is_url(source: str) -> bool:
    return urlsplit(source).scheme in ("http", "https")


def fetch(source: str, landing_dir: Path) -> Path:
    """Return a local path for `source`, downloading it into `landing_dir` when it is an http(s) URL."""
    if not is_url(source):
        path = Path(source).expanduser()
        if not path.is_file():
            raise SourceError(f"source file not found: {path}")
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
    chunks: Iterable[bytes] | Iterable["TextBatch"] | Callable[[int], Iterable[bytes]],
    copy_format: str = "csv",
    dag_id: str | None = None,
    run_id: str | None = None,
    is_sample: bool = False,
    analyze: bool = True,
    stage: str | None = None,
) -> Batch:
    """COPY `chunks` (CSV, or COPY's text format; or TextBatches, `arrow`) into raw `table` as one new batch, in one
    transaction.

    If the transaction fails part way, neither the batch nor any of its rows exist, so a retry starts clean.
    `is_sample` records, in the batch's lineage, that the file is the generated sample. The table's statistics
    are refreshed with the batch (`analyze`), unless the caller loads several files and analyzes once after.
    TextBatches are COPYed in PostgreSQL's binary format, one COPY each, with the batch's id beside each row. With
    `stage` (`package.module:Class`, see Staging), each is also staged by the class as soon as it is read, in the
    same transaction. Text or CSV `chunks` may be a function, given the new batch's id, that returns them; the
    rows they leave without a batch_id take the table's default, the transaction's `warehouse.batch_id`.
    """
    with connection.transaction():
        batch_id = connection.execute(
            """
            insert into audit.load_batches
                (source_kind, source_name, source_checksum, row_count, dag_id, run_id, is_sample)
            values (%s, %s, %s, 0, %s, %s, %s)
            returning batch_id
            """,
            (source_kind, source_name, checksum, dag_id, run_id, is_sample),
        ).fetchone()[0]
        # The default of a raw table's batch_id, for a COPY that does not send it.
        connection.execute("select set_config('warehouse.batch_id', %s, true)", (str(batch_id),))
        if callable(chunks):
            chunks = chunks(batch_id)
        if copy_format == "arrow":
            with Copies(connection) as copies:
                staging = import_string(stage)(copies, batch_id) if stage else None
                for text_batch in chunks:
                    copies.submit(table, ["batch_id", *columns], text_batch.table(batch_id))
                    if staging:
                        staging.take(text_batch.values, text_batch.row_numbers)
                copies.drain()
                if staging:
                    staging.finish()
            row_count = copies.rows.get(table, 0)
        else:
            with connection.cursor() as cursor:
                with cursor.copy(copy_statement(table, columns, copy_format)) as copy:
                    for chunk in chunks:
                        copy.write(chunk)
                row_count = cursor.rowcount
        connection.execute("update audit.load_batches set row_count = %s where batch_id = %s", (row_count, batch_id))
        # Staging runs next, before autovacuum would notice the new rows: without fresh statistics the planner
        # takes the new batch for empty, and a self-join over it becomes a nested loop over every row.
        if analyze:
            analyze_table(connection, table)
    log.info("loaded %d rows of %s into %s as batch %d", row_count, source_name, table, batch_id)
    return Batch(batch_id=batch_id, row_count=row_count, reused=False)


def copy_statement(table: str, columns: Sequence[str], copy_format: str) -> sql.Composed:
    """`copy table (columns) from stdin` in one of COPY's formats: csv, text or binary."""
    return sql.SQL("copy {} ({}) from stdin (format {})").format(
        sql.Identifier(*table.split(".")),
        sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.SQL({"csv": "csv", "text": "text", "binary": "binary"}[copy_format]),
    )


def copy_arrow(connection: psycopg.Connection, statement: sql.Composable, rows: pa.Table, **encoders) -> int:
    """COPY an Arrow table in PostgreSQL's binary format (`statement` says `format binary`); return its row count.

    Values travel typed, so the server parses nothing. `encoders` names pgpq encoder builders for the columns
    whose type Arrow's alone does not settle (text as jsonb).
    """
    import pgpq
    import pgpq.encoders

    if not rows.num_rows:
        return 0
    builders = {field.name: pgpq.ArrowToPostgresBinaryEncoder.infer_encoder(field) for field in rows.schema}
    for name, output in encoders.items():
        builders[name] = pgpq.encoders.StringEncoderBuilder.new_with_output(rows.schema.field(name), output)
    encoder = pgpq.ArrowToPostgresBinaryEncoder.new_with_encoders(rows.schema, builders)
    with connection.cursor() as cursor:
        with cursor.copy(statement) as copy:
            copy.write(encoder.write_header())
            for record_batch in rows.to_batches():
                copy.write(encoder.write_batch(record_batch))
            copy.write(encoder.finish())
        return cursor.rowcount


class Copies:
    """COPY Arrow tables (copy_arrow) on one connection from a thread of their own, in the order given, so that the
    loader reads and checks the next record batch while the server writes the last. The connection is the thread's
    until `drain` returns: whoever else queries it drains first. The first error is raised to the caller, by the
    next `submit`, by `drain` or on leaving the context. Leaving it on an error skips the COPYs not yet begun, and
    waits for the current one, so the caller's transaction is rolled back once the thread is done with it.
    """

    def __init__(self, connection: psycopg.Connection, depth: int = 2) -> None:
        import queue
        import threading

        self.connection = connection
        self.rows: dict[str, int] = {}
        self._jobs: queue.Queue = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="copies", daemon=True)

    def __enter__(self) -> "Copies":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        if exc_info[0] is not None:
            self._error = self._error or exc_info[1]
        self._jobs.put(None)
        self._thread.join()
        if exc_info[0] is None:
            self._raise()

    def submit(self, table: str, columns: Sequence[str], rows: pa.Table, **encoders) -> None:
        """COPY `rows` into `columns` of `table`, after what was submitted before."""
        self._raise()
        if rows.num_rows:
            self._jobs.put((table, columns, rows, encoders))

    def drain(self) -> None:
        """Wait for every COPY submitted; the connection is the caller's again."""
        self._jobs.join()
        self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            table, columns, rows, encoders = job
            try:
                if self._error is None:
                    statement = copy_statement(table, columns, "binary")
                    self.rows[table] = self.rows.get(table, 0) + copy_arrow(
                        self.connection, statement, rows, **encoders
                    )
            except BaseException as error:  # noqa: BLE001 - handed to the caller's thread
                self._error = error
            finally:
                self._jobs.task_done()
        self._jobs.task_done()


def analyze_table(connection: psycopg.Connection, table: str) -> None:
    """Refresh a table's planner statistics (in a savepoint when a transaction is open)."""
    with connection.transaction():
        connection.execute(sql.SQL("analyze {}").format(sql.Identifier(*table.split("."))))


def is_parquet(path: Path) -> bool:
    with open(path, "rb") as source:
        return source.read(4) == b"PAR1"


def record_batches(
    path: Path, columns: Sequence[str], optional: Sequence[str] = (), batch_rows: int | None = None
) -> Iterator[pa.RecordBatch]:
    """Stream a parquet or CSV file as record batches of `columns` then the `optional` columns it carries.

    A required column the file lacks fails the load, naming it. An optional column it lacks is all null.
    CSV columns are read as text, as raw keeps them; blank fields stay blank strings.
    """
    wanted = [*columns, *optional]
    if is_parquet(path):
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(path)
        present = set(parquet.schema_arrow.names)
        _require_columns(path, columns, present)
        for record_batch in parquet.iter_batches(
            batch_size=batch_rows or BATCH_ROWS, columns=[c for c in wanted if c in present]
        ):
            yield _with_absent_columns(record_batch, wanted)
        return

    import csv

    import pyarrow.csv as pcsv

    # Read as Arrow reads it: a byte-order mark is not part of the first name, and names are not trimmed.
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as source:
        header = next(csv.reader(source), [])
    _require_columns(path, columns, set(header))
    reader = pcsv.open_csv(
        path,
        read_options=pcsv.ReadOptions(block_size=CSV_BLOCK_BYTES),
        convert_options=pcsv.ConvertOptions(
            column_types={column: pa.string() for column in wanted},
            include_columns=wanted,
            include_missing_columns=True,
            strings_can_be_null=False,
        ),
    )
    yield from reader


def _require_columns(path: Path, columns: Sequence[str], present: set[str]) -> None:
    missing = [column for column in columns if column not in present]
    if missing:
        raise SourceError(f"{path} lacks the columns {missing}")


def _with_absent_columns(record_batch: pa.RecordBatch, wanted: Sequence[str]) -> pa.RecordBatch:
    names = record_batch.schema.names
    arrays = [
        record_batch.column(name) if name in names else pa.nulls(record_batch.num_rows, pa.string()) for name in wanted
    ]
    return pa.RecordBatch.from_arrays(arrays, names=list(wanted))


def _named_errors(path: Path, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Pass the batches through; a file Arrow cannot read (corrupt parquet, a broken CSV) fails naming it."""
    try:
        yield from batches
    except (pa.ArrowException, OSError) as error:
        raise SourceError(f"{path} cannot be read: {error}") from error


@dataclass(frozen=True)
class TextBatch:
    """A record batch of the file as raw keeps it (text, null for an absent value), its source row numbers, and
    the same rows as CSV for COPY."""

    values: pa.RecordBatch
    row_numbers: pa.Array

    def renamed(self, names: Mapping[str, str]) -> "TextBatch":
        """The same batch with its columns renamed (source name -> raw name)."""
        values = pa.RecordBatch.from_arrays(self.values.columns, [names[name] for name in self.values.schema.names])
        return TextBatch(values, self.row_numbers)

    def table(self, batch_id: int | None = None) -> pa.Table:
        """The rows as raw holds them: the batch (when given), the source row number, then the values."""
        columns = [self.row_numbers, *self.values.columns]
        names = ["source_row_number", *self.values.schema.names]
        if batch_id is not None:
            columns.insert(0, pa.repeat(pa.scalar(batch_id, pa.int64()), len(self.row_numbers)))
            names.insert(0, "batch_id")
        return pa.Table.from_arrays(columns, names)

    def csv(self) -> bytes:
        import pyarrow.csv as pcsv

        table = self.table()
        buffer = io.BytesIO()
        # An empty string is written quoted and a null unquoted, so COPY tells a blank field from an absent one.
        pcsv.write_csv(table, buffer, pcsv.WriteOptions(include_header=False, quoting_style="needed"))
        return buffer.getvalue()


def text_batches(path: Path, columns: Sequence[str], optional: Sequence[str] = ()) -> Iterator[TextBatch]:
    """Stream the file as TextBatches: the columns, then the optional ones, each as text."""
    wanted = [*columns, *optional]
    next_row_number = 1
    for record_batch in _named_errors(path, record_batches(path, columns, optional)):
        row_numbers = pa.array(range(next_row_number, next_row_number + record_batch.num_rows), pa.int64())
        next_row_number += record_batch.num_rows
        values = [record_batch.column(name).cast(pa.string()) for name in wanted]
        yield TextBatch(pa.RecordBatch.from_arrays(values, names=wanted), row_numbers)


def csv_chunks(path: Path, columns: Sequence[str], optional: Sequence[str] = ()) -> Iterator[bytes]:
    """Yield the file as CSV for COPY: a source row number, then the columns as text (null: an absent column)."""
    for batch in text_batches(path, columns, optional):
        yield batch.csv()


def load_file(
    connection: psycopg.Connection,
    source: str,
    *,
    source_kind: str,
    table: str,
    columns: Mapping[str, str],
    optional: Mapping[str, str] | None = None,
    landing_dir: Path,
    dag_id: str | None = None,
    run_id: str | None = None,
    stage: str | None = None,
) -> Batch:
    """Load a file (path or http(s) URL, parquet or CSV) into raw `table` as one batch, unless already loaded.

    `columns` maps each required source column to its raw column, `optional` those a file may leave out. With
    `stage` (see Staging), the file's rows are staged as they load; a batch already loaded whose staged rows are
    gone is staged again from raw.
    """
    optional = optional or {}
    path = fetch(source, landing_dir)
    checksum = file_checksum(path)
    existing = latest_batch(connection, source_kind, source, checksum)
    if existing is not None:
        log.info("%s (sha256 %s) is already batch %d; not loading it again", source, checksum, existing.batch_id)
        if stage is not None:
            restage(connection, stage, table, [*columns.values(), *optional.values()], existing.batch_id)
        return existing
    raw_names = {**columns, **optional}
    chunks = (batch.renamed(raw_names) for batch in text_batches(path, list(columns), list(optional)))
    return copy_batch(
        connection,
        source_kind=source_kind,
        source_name=source,
        checksum=checksum,
        table=table,
        columns=["source_row_number", *columns.values(), *optional.values()],
        chunks=chunks,
        copy_format="arrow",
        dag_id=dag_id,
        run_id=run_id,
        is_sample=not is_url(source) and is_generated_sample(path),
        stage=stage,
    )


def restage(connection: psycopg.Connection, stage: str, table: str, columns: Sequence[str], batch_id: int) -> None:
    """Stage a batch again from raw, in one transaction, unless each of its rows is staged (staged rows were
    removed, or lost in a crash, or the batch was loaded before its domain staged while loading)."""
    import tempfile

    import pyarrow.csv as pcsv

    staging_class = import_string(stage)
    with connection.transaction():
        # One restaging of a batch at a time: the second waits, then finds the batch staged.
        connection.execute("select pg_advisory_xact_lock(%s)", (batch_id,))
        if staging_class.staged(connection, batch_id):
            return
        log.info("batch %d is not wholly staged: staging it again from %s", batch_id, table)
        staging_class.forget(connection, batch_id)
        select = sql.SQL(
            "copy (select source_row_number, {} from {} where batch_id = {} order by source_row_number) "
            "to stdout (format csv)"
        ).format(
            sql.SQL(", ").join(map(sql.Identifier, columns)),
            sql.Identifier(*table.split(".")),
            sql.Literal(batch_id),
        )
        with tempfile.TemporaryFile() as spool:
            with connection.cursor().copy(select) as copy:
                for data in copy:
                    spool.write(data)
            spool.seek(0)
            names = ["source_row_number", *columns]
            reader = pcsv.open_csv(
                spool,
                read_options=pcsv.ReadOptions(column_names=names, block_size=CSV_BLOCK_BYTES),
                # COPY writes a null unquoted and an empty string quoted: read them back apart.
                # A value may hold a line break.
                parse_options=pcsv.ParseOptions(newlines_in_values=True),
                convert_options=pcsv.ConvertOptions(
                    column_types={"source_row_number": pa.int64(), **{name: pa.string() for name in columns}},
                    null_values=[""],
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=False,
                ),
            )
            with Copies(connection) as copies:
                staging = staging_class(copies, batch_id)
                for record_batch in reader:
                    values = pa.RecordBatch.from_arrays(record_batch.columns[1:], names=list(columns))
                    staging.take(values, record_batch.column(0))
                copies.drain()
                staging.finish()


@dataclass(frozen=True)
class FileSource:
    """A domain's source file: the kind its batches are recorded as, the raw table it lands in, its columns (source
    name -> raw name; `optional` ones a file may leave out) and the folder under `<state>/landing` that keeps a
    downloaded copy."""

    kind: str
    table: str
    columns: Mapping[str, str]
    optional: Mapping[str, str] = field(default_factory=dict)
    landing: str = ""
    # `package.module:Class` that stages the file's rows while they load (see Staging), or None.
    stage: str | None = None

    def load(
        self, connection: psycopg.Connection, source: str, *, dag_id: str | None = None, run_id: str | None = None
    ) -> Batch:
        """Load `source` into raw as one batch; a file already loaded is not loaded again."""
        return load_file(
            connection,
            source,
            source_kind=self.kind,
            table=self.table,
            columns=self.columns,
            optional=self.optional,
            landing_dir=config.state_dir() / "landing" / self.landing,
            dag_id=dag_id,
            run_id=run_id,
            stage=self.stage,
        )
