"""Pick up IP-flow files from the landing folder and load each new or changed one into raw.ipflow_records."""

import codecs
import functools
import logging
from collections.abc import Iterator
from pathlib import Path

import psycopg

from warehouse import loading
from warehouse.domain import RunContext, SourceError
from warehouse.domains.telecom import TELECOM_LANDING_DIR
from warehouse.domains.telecom.contract import FILE_PATTERN, HEADER

log = logging.getLogger(__name__)

SOURCE_KIND = "ipflow_records"
RAW_TABLE = "raw.ipflow_records"
LINES_PER_CHUNK = 100_000
NUL = b"\x00"


def landing_dir() -> Path:
    """Return TELECOM_LANDING_DIR, or the generated sample folder (made on first use)."""
    return Path(
        loading.configured_or_sample(TELECOM_LANDING_DIR, "telecom", "warehouse.domains.telecom.sample:write_landing")
    )


def landed_files(folder: Path) -> list[Path]:
    """Return the folder's IP-flow files in delivery order: by timestamp, then part."""
    if not folder.is_dir():
        raise SourceError(f"landing folder not found: {folder}")
    delivered = {}
    for path in folder.iterdir():
        match = FILE_PATTERN.match(path.name)
        # Only regular files that live in the folder: a symlink could point anywhere on the machine.
        if match and path.is_file() and not path.is_symlink():
            delivered[path] = (int(match[1]), int(match[2]))
    return sorted(delivered, key=delivered.get)


def copy_lines(path: Path, batch_id: int) -> Iterator[bytes]:
    """Yield the file's rows in COPY text format: batch, row number and the line as it arrived (CRLF or LF)."""
    buffer: list[bytes] = []
    with open(path, "rb") as source:
        source.readline()
        for row_number, line in enumerate(source, start=1):
            line = line.rstrip(b"\r\n").replace(b"\\", b"\\\\").replace(b"\t", b"\\t").replace(b"\r", b"\\r")
            buffer.append(b"%d\t%d\t%s\n" % (batch_id, row_number, line))
            if len(buffer) == LINES_PER_CHUNK:
                yield b"".join(buffer)
                buffer.clear()
    if buffer:
        yield b"".join(buffer)


def file_problem(path: Path) -> str | None:
    """Say why a landed file cannot be loaded at all, or None: a header other than the contract's, or bytes that
    are not UTF-8 text (PostgreSQL would refuse the whole COPY, and every later run with it)."""
    with open(path, "rb") as source:
        header = source.readline().decode("utf-8", errors="replace").strip().lower().replace(" ", "")
        if header != HEADER:
            return f"unexpected header {header[:200]!r}; expected {HEADER!r}"
        source.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        offset = 0
        while chunk := source.read(loading.CHUNK_BYTES):
            if NUL in chunk:
                return f"a NUL byte at byte {offset + chunk.index(NUL)}: not text"
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                return f"not UTF-8 text: byte {offset + error.start} cannot be decoded"
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "not UTF-8 text: the file ends inside a character"
    return None


def load_landing(
    connection: psycopg.Connection, folder: Path, *, dag_id: str | None = None, run_id: str | None = None
) -> list[loading.Batch]:
    """Load every file not yet loaded with its current content; return the new batches.

    A file whose size, times and inode are those it had when last read is not read again; any other is hashed,
    and loaded unless that content is already its latest batch or was refused.
    """
    batches = []
    seen = seen_files(connection)
    for path in landed_files(folder):
        status = path.stat()
        quick = (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)
        if seen.get(path.name) == quick:
            continue
        checksum = loading.file_checksum(path)
        if loading.latest_batch(connection, SOURCE_KIND, path.name, checksum) or _already_refused(
            connection, path.name, checksum
        ):
            remember_seen(connection, path.name, quick, checksum)
            continue
        problem = file_problem(path)
        if problem:
            log.error("refusing %s: %s", path.name, problem)
            with connection.transaction():
                connection.execute(
                    """
                    insert into audit.rejected_files (source_kind, source_name, source_checksum, reason, dag_id, run_id)
                    values (%s, %s, %s, %s, %s, %s)
                    """,
                    (SOURCE_KIND, path.name, checksum, problem, dag_id, run_id),
                )
            remember_seen(connection, path.name, quick, checksum)
            continue
        batches.append(
            loading.copy_batch(
                connection,
                source_kind=SOURCE_KIND,
                source_name=path.name,
                checksum=checksum,
                table=RAW_TABLE,
                columns=["batch_id", "source_row_number", "line"],
                chunks=functools.partial(copy_lines, path),
                copy_format="text",
                dag_id=dag_id,
                run_id=run_id,
                is_sample=loading.is_generated_sample(folder),
                analyze=False,
            )
        )
        # Only once the file's batch is committed: a load that failed leaves the file to be read again.
        remember_seen(connection, path.name, quick, checksum)
    if batches:
        # Once for all the files, before staging plans its queries over them.
        loading.analyze_table(connection, RAW_TABLE)
    return batches


def seen_files(connection: psycopg.Connection) -> dict[str, tuple[int, int, int, int]]:
    """The size, modification and change times (ns) and inode with which each landed file was last read."""
    rows = connection.execute(
        "select source_name, size_bytes, modified_ns, changed_ns, inode from state.telecom_seen_files"
    ).fetchall()
    return {name: tuple(quick) for name, *quick in rows}


def remember_seen(connection: psycopg.Connection, name: str, quick: tuple[int, int, int, int], checksum: str) -> None:
    with connection.transaction():
        connection.execute(
            """
            insert into state.telecom_seen_files
                (source_name, size_bytes, modified_ns, changed_ns, inode, source_checksum)
            values (%s, %s, %s, %s, %s, %s)
            on conflict (source_name) do update set
                size_bytes = excluded.size_bytes,
                modified_ns = excluded.modified_ns,
                changed_ns = excluded.changed_ns,
                inode = excluded.inode,
                source_checksum = excluded.source_checksum,
                seen_at = now()
            """,
            (name, *quick, checksum),
        )


def _already_refused(connection: psycopg.Connection, name: str, checksum: str) -> bool:
    return bool(
        connection.execute(
            "select 1 from audit.rejected_files where source_kind = %s and source_name = %s and source_checksum = %s",
            (SOURCE_KIND, name, checksum),
        ).fetchone()
    )


def load(connection: psycopg.Connection, context: RunContext) -> dict | None:
    """Load what is new in the landing folder; return the batches to stage (also any a failed run left behind),
    or None when there is nothing to do."""
    folder = Path(context.params.get("landing_dir") or landing_dir())
    load_landing(connection, folder, dag_id=context.dag_id, run_id=context.run_id)
    pending = pending_batches(connection)
    if pending or has_dirty_intervals(connection):
        return {"batch_ids": pending}
    log.info("nothing new in %s", folder)
    return None


def pending_batches(connection: psycopg.Connection) -> list[int]:
    """Return loaded batches that staging has neither taken in nor quarantined yet, oldest first."""
    rows = connection.execute(
        """
        select batch_id from audit.load_batches as batches
        where source_kind = %s
            and not exists (
                select 1 from state.telecom_staged_batches as staged
                where staged.batch_id = batches.batch_id
            )
            and not exists (
                select 1 from audit.quarantined_batches as quarantined
                where quarantined.batch_id = batches.batch_id
            )
        order by batch_id
        """,
        (SOURCE_KIND,),
    ).fetchall()
    return [batch_id for (batch_id,) in rows]


def has_dirty_intervals(connection: psycopg.Connection) -> bool:
    return bool(connection.execute("select 1 from state.telecom_dirty_intervals limit 1").fetchone())
