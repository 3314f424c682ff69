"""Type and check voucher events while they stream into raw: each record batch of the file is checked against
the cleaning rules in Arrow, its clean rows are COPYed, typed, into model_staging.stg_voucher__events, and its
broken rows into audit.rejected_rows with the first rule each broke (audit.rejected_voucher_events shows each with
the row as it arrived). So raw = clean + rejected + duplicates, in the transaction that loads the file.

Every value means what PostgreSQL says it means. Arrow parses a value only in the plain forms on which the
two agree (`2018-07-21 18:59:21.102761`, `2018-04-20`, `-12.50`), and asks PostgreSQL, as one bound query per
batch, for any other value, with the casts the rules have always used.
"""

import collections
import json

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from pgpq.schema import Jsonb
from psycopg import sql

from warehouse.duplicates import DuplicateFinder
from warehouse.loading import Copies

SOURCE_KIND = "voucher_events"
STAGED_TABLE = "model_staging.stg_voucher__events"
STAGED_COLUMNS = [
    "batch_id",
    "source_row_number",
    "event_at",
    "country_code",
    "first_order_at",
    "last_order_at",
    "last_order_date",
    "total_orders",
    "voucher_amount",
]
REJECT_COLUMNS = ["batch_id", "source_kind", "source_row_number", "rule", "record"]
# The cleaning rules, in order: a row is rejected for the first it breaks.
RULES = [
    "duplicate_row",
    "country_code_missing",
    "voucher_amount_missing",
    "voucher_amount_not_a_number",
    "voucher_amount_negative",
    "total_orders_missing",
    "total_orders_not_a_number",
    "total_orders_negative",
    "total_orders_not_whole",
    "total_orders_out_of_range",
    "timestamp_missing",
    "timestamp_unparseable",
    "first_order_ts_missing",
    "first_order_ts_unparseable",
    "last_order_ts_missing",
    "last_order_ts_unparseable",
    "last_order_before_first_order",
    "zero_orders_with_order_dates",
]
INT4_MAX = "2147483647"
# Of each rule's rejects in a batch, the first SAMPLES keep their record in audit.rejected_rows: the samples that
# the quality pages show (model_production.batch_rejects). Raw keeps every row as it arrived, and
# audit.rejected_voucher_events shows each reject with it: writing each as JSON too doubled the rejects' cost.
SAMPLES = 3
# A column with fewer distinct values than a FEWth of its rows is read once per distinct value.
FEW = 4
# The digits an Arrow decimal holds.
DECIMAL_DIGITS = 38
# A plain number of more digits is left to PostgreSQL, which holds up to 131,072 before the point and 16,383 after.
PLAIN_DIGITS = 1000
UTC_MICROSECONDS = pa.timestamp("us", tz="UTC")
# The plain forms Arrow parses as PostgreSQL does (a timestamp without a zone is UTC, in both).
PLAIN_TIMESTAMP = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?)?$"
PLAIN_NUMBER = r"^(?P<sign>[+-]?)(?P<whole>[0-9]*)\.?(?P<fraction>[0-9]*)$"
# What PostgreSQL makes of the values Arrow leaves to it (a timestamp as microseconds since 1970, which reach
# further back than Python's dates, and as far forward as 294246 AD: a later one, which PostgreSQL alone would
# take up to 294276 AD, is unparseable here; a number as plain decimal text): the casts of the rules, guarded. A
# timestamp must start with a digit, which keeps out 'now', 'epoch' and 'infinity'; a number must not contain
# an n, which keeps out 'NaN' and 'Infinity'.
PARSED_BY_POSTGRES = {
    "timestamptz": """
        select case
            when ascii(value) between 48 and 57 and pg_input_is_valid(value, 'timestamptz')
                and value::timestamptz < '294247-01-01 00:00:00+00'
                then (extract(epoch from value::timestamptz) * 1000000)::bigint
        end
        from unnest(%s::text[]) with ordinality as given (value, position)
        order by position
    """,
    "numeric": """
        select case
            when pg_input_is_valid(value, 'numeric') and strpos(lower(value), 'n') = 0 then value::numeric::text
        end
        from unnest(%s::text[]) with ordinality as given (value, position)
        order by position
    """,
}


def trimmed(values: pa.Array) -> pa.Array:
    """PostgreSQL's nullif(trim(value), ''): spaces (only) trimmed, and blank as null."""
    values = pc.utf8_trim(values, characters=" ")
    return pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)


def as_numpy(mask: pa.Array) -> np.ndarray:
    return mask.fill_null(False).to_numpy(zero_copy_only=False)


class Numbers:
    """Decimal numbers in text, classified as the rules need them: valid, negative, whole, zero, too large for an
    integer column; `text` is each valid number in plain form, `parts` its sign, whole and fractional digits."""

    def __init__(self, text: pa.Array, parsed_by_postgres) -> None:
        parts = pc.extract_regex(text, PLAIN_NUMBER)
        digits = pc.add(pc.utf8_length(parts.field("whole")), pc.utf8_length(parts.field("fraction")))
        # A number too long for PostgreSQL's numeric is its to refuse.
        plain = (
            as_numpy(pc.is_valid(parts))
            & as_numpy(pc.greater(digits, 0))
            & as_numpy(pc.less_equal(digits, PLAIN_DIGITS))
        )
        others = np.flatnonzero(as_numpy(pc.is_valid(text)) & ~plain)
        if len(others):
            # Any other form (1e3, 0x1A, 1_000, NaN) is what PostgreSQL makes of it, in plain form.
            from_postgres = pa.array(parsed_by_postgres("numeric", text_at(text, others)), pa.string())
            text = _replaced(pc.if_else(pa.array(plain), text, None), others, from_postgres)
            parts = pc.extract_regex(text, PLAIN_NUMBER)
        whole = pc.utf8_ltrim(parts.field("whole"), characters="0")
        fraction = pc.utf8_rtrim(parts.field("fraction"), characters="0")
        zero = as_numpy(pc.and_(pc.equal(whole, ""), pc.equal(fraction, "")))
        whole_length = pc.utf8_length(whole).fill_null(0).to_numpy(zero_copy_only=False)
        self.text = text
        self.parts = parts
        self.valid = as_numpy(pc.is_valid(text))
        self.negative = self.valid & as_numpy(pc.equal(parts.field("sign"), "-")) & ~zero
        self.whole = self.valid & as_numpy(pc.equal(fraction, ""))
        self.zero = self.valid & zero
        self.too_large = self.valid & (
            (whole_length > len(INT4_MAX)) | ((whole_length == len(INT4_MAX)) & as_numpy(pc.greater(whole, INT4_MAX)))
        )
        fits = pa.array(self.whole & ~self.too_large)
        self.integer = pc.cast(pc.if_else(fits, pc.if_else(pc.equal(whole, ""), "0", whole), None), pa.int32())

    @classmethod
    def of(cls, text: pa.Array, parsed_by_postgres) -> "Numbers":
        """The numbers of `text`, each distinct value read once when there are few (amounts, order counts)."""
        encoded = text.dictionary_encode()
        if not 0 < len(encoded.dictionary) * FEW < len(text):
            return cls(text, parsed_by_postgres)
        distinct = cls(encoded.dictionary, parsed_by_postgres)
        present = as_numpy(pc.is_valid(encoded.indices))
        at = encoded.indices.fill_null(0).to_numpy(zero_copy_only=False)
        numbers = cls.__new__(cls)
        for name in ("valid", "negative", "whole", "zero", "too_large"):
            setattr(numbers, name, getattr(distinct, name)[at] & present)
        for name in ("text", "parts", "integer"):
            setattr(numbers, name, getattr(distinct, name).take(encoded.indices))
        return numbers


class VoucherStaging:
    """Stage one batch of voucher events, record batch by record batch, through the loading transaction's
    `copies`."""

    def __init__(self, copies: Copies, batch_id: int) -> None:
        self.copies = copies
        self.connection = copies.connection
        self.batch_id = batch_id
        self.duplicates = DuplicateFinder()
        self.sampled: collections.Counter = collections.Counter()
        self.staged_rows = 0
        self.rejected_rows = 0
        # Arrow reads a timestamp without a zone as UTC: so must PostgreSQL, whatever the session's time zone.
        self.connection.execute("select set_config('TimeZone', 'UTC', true)")

    @staticmethod
    def staged(connection: psycopg.Connection, batch_id: int) -> bool:
        """Whether each of the batch's rows is staged, clean or rejected (after a crash, the unlogged staged table
        is empty)."""
        return connection.execute(
            """
            select
                (select count(*) from model_staging.stg_voucher__events where batch_id = %(batch_id)s)
                + (select count(*) from audit.rejected_rows where batch_id = %(batch_id)s)
                = (select row_count from audit.load_batches where batch_id = %(batch_id)s)
            """,
            {"batch_id": batch_id},
        ).fetchone()[0]

    @staticmethod
    def forget(connection: psycopg.Connection, batch_id: int) -> None:
        """Remove whatever is staged of the batch, before it is staged again."""
        connection.execute("delete from model_staging.stg_voucher__events where batch_id = %s", (batch_id,))
        connection.execute("delete from audit.rejected_rows where batch_id = %s", (batch_id,))

    def take(self, record_batch: pa.RecordBatch, row_numbers: pa.Array) -> None:
        """Check one record batch (its values as raw holds them: text or null), and COPY its rows on."""
        raw = [record_batch.column(index) for index in range(record_batch.num_columns)]
        copies = self.duplicates.copies(raw)
        text = {name: trimmed(record_batch.column(name)) for name in record_batch.schema.names}
        missing = {name: as_numpy(pc.is_null(values)) for name, values in text.items()}
        amount = Numbers.of(text["voucher_amount"], self._ask_postgres)
        orders = Numbers.of(text["total_orders"], self._ask_postgres)
        event_at = self._parse_timestamps(text["timestamp"])
        first_order_at = self._parse_timestamps(text["first_order_ts"])
        last_order_at = self._parse_timestamps(text["last_order_ts"])
        # In the order of RULES.
        broken = [
            copies,
            missing["country_code"],
            missing["voucher_amount"],
            ~amount.valid,
            amount.negative,
            missing["total_orders"],
            ~orders.valid,
            orders.negative,
            ~orders.whole,
            orders.too_large,
            missing["timestamp"],
            as_numpy(pc.is_null(event_at)),
            missing["first_order_ts"],
            as_numpy(pc.is_null(first_order_at)),
            missing["last_order_ts"],
            as_numpy(pc.is_null(last_order_at)),
            as_numpy(pc.less(last_order_at, first_order_at)),
            orders.zero,
        ]
        # The first rule broken: rule numbers from 1, 0 for a clean row.
        rule = np.zeros(record_batch.num_rows, dtype=np.int8)
        for number in range(len(RULES), 0, -1):
            rule[broken[number - 1]] = number
        clean = pa.array(rule == 0)
        staged = pa.table(
            {
                "batch_id": pa.repeat(pa.scalar(self.batch_id, pa.int64()), record_batch.num_rows),
                "source_row_number": row_numbers,
                "event_at": event_at,
                "country_code": text["country_code"],
                "first_order_at": first_order_at,
                "last_order_at": last_order_at,
                "last_order_date": utc_dates(last_order_at),
                "total_orders": orders.integer,
                "voucher_amount": amount.text,
            }
        ).filter(clean)
        self._stage(staged, amount.parts.filter(clean))
        broken_rows = ~clean.to_numpy(zero_copy_only=False)
        if broken_rows.any():
            broken_rules = rule[broken_rows]
            samples = self._samples(broken_rules)
            sample_records = records(record_batch.filter(pa.array(broken_rows)).take(pa.array(samples)))
            rejected = pa.table(
                {
                    "batch_id": pa.repeat(pa.scalar(self.batch_id, pa.int64()), len(broken_rules)),
                    "source_kind": pa.repeat(pa.scalar(SOURCE_KIND), len(broken_rules)),
                    "source_row_number": row_numbers.filter(pa.array(broken_rows)),
                    "rule": pa.array(np.array(RULES, dtype=object)[broken_rules - 1], pa.string()),
                    "record": _replaced(pa.nulls(len(broken_rules), pa.string()), samples, sample_records),
                }
            )
            self.copies.submit("audit.rejected_rows", REJECT_COLUMNS, rejected, record=Jsonb())
            self.rejected_rows += rejected.num_rows

    def _samples(self, broken_rules: np.ndarray) -> np.ndarray:
        """The positions, among this record batch's rejects, of the batch's first SAMPLES rejects of each rule."""
        samples = []
        for number in np.unique(broken_rules):
            wanted = SAMPLES - self.sampled[number]
            if wanted > 0:
                taken = np.flatnonzero(broken_rules == number)[:wanted]
                self.sampled[number] += len(taken)
                samples.append(taken)
        return np.sort(np.concatenate(samples)) if samples else np.zeros(0, dtype=np.int64)

    def finish(self) -> None:
        """Refresh the staged table's statistics, for the models that read it next (the COPYs are drained)."""
        with self.connection.transaction():
            self.connection.execute(sql.SQL("analyze {}").format(sql.Identifier(*STAGED_TABLE.split("."))))

    def _stage(self, staged: pa.Table, amount_parts: pa.StructArray) -> None:
        """COPY the clean rows, typed, in the binary format. An amount travels as a decimal of its own scale (one
        COPY per scale in the batch, so 5.5 stays 5.5 beside 1.125); one too long for Arrow's 38 digits (rare)
        travels as text, to a temporary table, and PostgreSQL casts it on the way into staging."""
        if not staged.num_rows:
            return
        whole = pc.utf8_ltrim(amount_parts.field("whole"), characters="0")
        scales = pc.utf8_length(amount_parts.field("fraction"))
        fits = pc.less_equal(pc.add(pc.utf8_length(whole), scales), DECIMAL_DIGITS)
        plain = pc.binary_join_element_wise(
            amount_parts.field("sign"),
            pc.if_else(pc.equal(whole, ""), "0", whole),
            ".",
            amount_parts.field("fraction"),
            "",
        )
        position = STAGED_COLUMNS.index("voucher_amount")
        for scale in pc.unique(pc.filter(scales, fits)).to_pylist():
            rows = pc.and_(fits, pc.equal(scales, scale))
            decimals = pc.cast(pc.filter(plain, rows), pa.decimal128(DECIMAL_DIGITS, scale))
            self.copies.submit(
                STAGED_TABLE, STAGED_COLUMNS, staged.filter(rows).set_column(position, "voucher_amount", decimals)
            )
        too_long = staged.filter(pc.invert(fits))
        if too_long.num_rows:
            self.copies.drain()
            self.connection.execute(
                "create temporary table if not exists voucher_amounts_as_text "
                "(like model_staging.stg_voucher__events) on commit drop"
            )
            self.connection.execute("alter table voucher_amounts_as_text alter column voucher_amount type text")
            self.copies.submit("voucher_amounts_as_text", STAGED_COLUMNS, too_long)
            self.copies.drain()
            columns = sql.SQL(", ").join(map(sql.Identifier, STAGED_COLUMNS))
            casts = sql.SQL(", ").join(
                sql.SQL("voucher_amount::numeric") if name == "voucher_amount" else sql.Identifier(name)
                for name in STAGED_COLUMNS
            )
            self.connection.execute(
                sql.SQL("insert into {} ({}) select {} from voucher_amounts_as_text").format(
                    sql.Identifier(*STAGED_TABLE.split(".")), columns, casts
                )
            )
            self.connection.execute("truncate voucher_amounts_as_text")
        self.staged_rows += staged.num_rows

    def _parse_timestamps(self, text: pa.Array) -> pa.Array:
        """Text to UTC timestamps; null where PostgreSQL cannot parse the value as the rules do (or it is null).
        Each distinct value is read once when there are few (order dates)."""
        encoded = text.dictionary_encode()
        if 0 < len(encoded.dictionary) * FEW < len(text):
            return self._parse_timestamp_values(encoded.dictionary).take(encoded.indices)
        return self._parse_timestamp_values(text)

    def _parse_timestamp_values(self, text: pa.Array) -> pa.Array:
        # Arrow reads the year 0000 as 1 BC; PostgreSQL refuses it.
        plain = pc.and_not(pc.match_substring_regex(text, PLAIN_TIMESTAMP), pc.starts_with(text, "0000"))
        # A date that does not exist (2018-02-30) is left to PostgreSQL here, so the cast below rarely fails.
        days = pc.strptime(
            pc.utf8_slice_codeunits(pc.if_else(plain, text, None), 0, 10), "%Y-%m-%d", "s", error_is_null=True
        )
        plain = pc.and_(plain, pc.is_valid(days)).fill_null(False)
        parsed, unparsed = _cast_where_possible(pc.if_else(plain, text, None), pa.timestamp("us"))
        parsed = pc.cast(parsed, UTC_MICROSECONDS)
        others = np.flatnonzero(as_numpy(pc.is_valid(text)) & ~as_numpy(plain) | unparsed)
        if not len(others):
            return parsed
        micros = pa.array(self._ask_postgres("timestamptz", text_at(text, others)), pa.int64())
        values = micros.cast(UTC_MICROSECONDS)
        return _replaced(parsed, others, values)

    def _ask_postgres(self, type_name: str, values: list) -> list:
        """What PostgreSQL makes of `values` as `type_name`, in one bound query (after the COPYs submitted)."""
        self.copies.drain()
        return [row[0] for row in self.connection.execute(PARSED_BY_POSTGRES[type_name], (values,))]


def utc_dates(timestamps: pa.Array) -> pa.Array:
    """The UTC day of each timestamp (PostgreSQL's (value at time zone 'UTC')::date)."""
    micros = pc.cast(timestamps, pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
    days = np.floor_divide(micros, 86_400_000_000).astype(np.int32)
    return pa.array(days, pa.date32(), mask=as_numpy(pc.is_null(timestamps)))


def _cast_where_possible(values: pa.Array, to_type: pa.DataType) -> tuple[pa.Array, np.ndarray]:
    """Cast what Arrow can; the rest is null, and flagged (a date Arrow refuses, such as 2018-02-30)."""
    try:
        return values.cast(to_type), np.zeros(len(values), dtype=bool)
    except pa.ArrowInvalid:
        if len(values) == 1:
            return pa.nulls(1, to_type), np.ones(1, dtype=bool)
        half = len(values) // 2
        first, first_unparsed = _cast_where_possible(values.slice(0, half), to_type)
        second, second_unparsed = _cast_where_possible(values.slice(half), to_type)
        return pa.concat_arrays([first, second]), np.concatenate([first_unparsed, second_unparsed])


def text_at(values: pa.Array, positions: np.ndarray) -> list:
    return values.take(pa.array(positions)).to_pylist()


def _replaced(values: pa.Array, positions: np.ndarray, replacements: pa.Array) -> pa.Array:
    """`values` with those at `positions` replaced."""
    if not len(positions):
        return values
    index = np.full(len(values), -1, dtype=np.int64)
    index[positions] = np.arange(len(positions))
    taken = replacements.take(pa.array(np.where(index >= 0, index, 0)))
    return pc.if_else(pa.array(index >= 0), taken, values)


def records(rows: pa.RecordBatch) -> pa.Array:
    """Each row as it arrived: a JSON object of its text values (null for an absent value)."""
    parts = []
    for name, values in zip(rows.schema.names, rows.columns, strict=True):
        parts += [("{" if not parts else ", ") + json.dumps(name) + ": ", json_strings(values)]
    return pc.binary_join_element_wise(*parts, "}", "")


def json_strings(values: pa.Array) -> pa.Array:
    """Each value as a JSON string (null as JSON's null)."""
    original = values
    data = values.buffers()[2]
    # Finding a control character takes a pattern match: only when the buffer holds a byte below 0x20 at all.
    if data is not None and (np.frombuffer(data, dtype=np.uint8) < 0x20).any():
        control = as_numpy(pc.match_substring_regex(values, "[\\x00-\\x1f]"))
    else:
        control = np.zeros(len(values), dtype=bool)
    if pc.any(pc.match_substring(values, "\\")).as_py():
        values = pc.replace_substring(values, "\\", "\\\\")
    escaped = pc.replace_substring(values, '"', '\\"') if pc.any(pc.match_substring(values, '"')).as_py() else values
    quoted = pc.fill_null(pc.binary_join_element_wise('"', escaped, '"', ""), "null")
    if not control.any():
        return quoted
    # Control characters (rare) are escaped the standard library's way.
    positions = np.flatnonzero(control)
    return _replaced(quoted, positions, pa.array([json.dumps(value) for value in text_at(original, positions)]))
