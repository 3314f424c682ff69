"""Find the exact copies of earlier rows in a file streamed as Arrow record batches, in memory that grows by 16
bytes per distinct row (and briefly three times that, while two runs merge).

A row is a copy when each of its values equals the earlier row's (a null equals only a null, and differs from
an empty string). Rows are compared by a 128-bit hash of their values: every 8-byte word of every value, and
every value's length, is mixed with a key for its column and place, and the mixed words are summed two
independent ways. Two distinct rows share both halves with a chance of about n²/2¹²⁹: under 10⁻²² for ten
million rows, the odds content-addressed stores rely on.
"""

import hashlib
from collections.abc import Sequence

import numpy as np
import pyarrow as pa

# splitmix64's constants: its golden-ratio increment and its finaliser's multipliers.
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
MIX_2 = np.uint64(0x94D049BB133111EB)
LOW_SEED = np.uint64(0xC2B2AE3D27D4EB4F)
NULL_LENGTH = np.uint64(0xFFFFFFFF)
# Rows hashed at a time, so the temporary arrays stay a few megabytes.
SLICE_ROWS = 1 << 15
# Values up to this many bytes are hashed as rows of 64-bit words, vectorised; longer ones one by one.
SHORT_BYTES = 64


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, in place: each input bit flips about half the output bits."""
    values ^= values >> np.uint64(30)
    values *= MIX_1
    values ^= values >> np.uint64(27)
    values *= MIX_2
    values ^= values >> np.uint64(31)
    return values


def _value_bytes(array: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The array's data buffer, each value's offset into it, its length in bytes (0 for a null), and its validity."""
    if not pa.types.is_large_binary(array.type):
        array = array.cast(pa.large_binary())
    rows = len(array)
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[array.offset : array.offset + rows + 1]
    valid = array.is_valid().to_numpy(zero_copy_only=False)
    # A null's slot may still span bytes (what it replaced): they are not its value.
    lengths = np.where(valid, np.diff(offsets), 0)
    data = array.buffers()[2]
    return np.frombuffer(data, dtype=np.uint8) if data else np.zeros(0, np.uint8), offsets[:-1], lengths, valid


def _short_hashes(data, starts, lengths, valid, column_number) -> tuple[np.ndarray, np.ndarray]:
    """Hash values of at most SHORT_BYTES: each is its length (NULL_LENGTH for a null) then its bytes, as 64-bit
    words; each word is mixed with a key for its column and place, and the mixed words are summed two ways. Only
    a value's own words count, so its hash does not depend on the values beside it."""
    rows = len(lengths)
    longest = int(lengths.max(initial=0))
    padded = np.zeros((rows, 8 + (longest + 7) // 8 * 8), dtype=np.uint8)
    tokens = padded.view(np.uint64)
    tokens[:, 0] = np.where(valid, lengths, NULL_LENGTH)
    if longest and int(lengths.min()) == longest:
        # Values of one length (timestamps, dates) lie end to end: their bytes are already a matrix.
        padded[:, 8 : 8 + longest] = data[starts[0] : starts[0] + rows * longest].reshape(rows, longest)
    elif longest:
        places = np.arange(longest)
        gathered = data.take(np.minimum(starts[:, None] + places, max(len(data) - 1, 0)))
        gathered[places >= lengths[:, None]] = 0
        padded[:, 8 : 8 + longest] = gathered
    places = np.arange(tokens.shape[1], dtype=np.uint64)
    own = places < (1 + (lengths[:, None] + 7) // 8)
    keys = places + np.uint64(64 * column_number + 1)
    mixed = _mix(tokens + _mix(keys * GOLDEN))
    mixed[~own] = 0
    # Summed times an odd key per place (a one-word difference always shows), and summed mixed again.
    high = _mix((mixed * (keys * np.uint64(2) + np.uint64(1))).sum(1))
    low_terms = _mix(mixed ^ LOW_SEED)
    low_terms[~own] = 0
    return high, _mix(low_terms.sum(1))


def value_hashes(array: pa.Array, column_number: int) -> tuple[np.ndarray, np.ndarray]:
    """Two independent 64-bit hashes of each value, keyed by its column so that columns cannot trade values. A
    value longer than SHORT_BYTES (rare) is hashed by BLAKE2b, so memory stays bounded by the short ones."""
    high = np.empty(len(array), dtype=np.uint64)
    low = np.empty(len(array), dtype=np.uint64)
    for start in range(0, len(array), SLICE_ROWS):
        data, starts, lengths, valid = _value_bytes(array.slice(start, SLICE_ROWS))
        long = lengths > SHORT_BYTES
        short_lengths = np.where(long, 0, lengths)
        part_high, part_low = _short_hashes(data, starts, short_lengths, valid, column_number)
        for row in np.flatnonzero(long):
            value = data[starts[row] : starts[row] + lengths[row]].tobytes()
            digest = hashlib.blake2b(value, digest_size=16, salt=column_number.to_bytes(16, "little")).digest()
            part_high[row], part_low[row] = np.frombuffer(digest, dtype=np.uint64)
        high[start : start + len(lengths)] = part_high
        low[start : start + len(lengths)] = part_low
    return high, low


def row_hashes(columns: Sequence[pa.Array]) -> tuple[np.ndarray, np.ndarray]:
    """A 128-bit hash of each row of `columns`, as its high and low halves; equal rows hash equal, in whatever
    batch they arrive."""
    rows = len(columns[0])
    high = np.zeros(rows, dtype=np.uint64)
    low = np.zeros(rows, dtype=np.uint64)
    for number, column in enumerate(columns):
        encoded = column.dictionary_encode(null_encoding="encode")
        if len(encoded.dictionary) * 4 < rows:
            # A column of few distinct values (a country, a date) is hashed once per value.
            indices = encoded.indices.to_numpy()
            value_high, value_low = value_hashes(encoded.dictionary, number)
            high += value_high.take(indices)
            low ^= _mix(value_low + np.uint64(number + 1)).take(indices)
        else:
            value_high, value_low = value_hashes(column, number)
            high += value_high
            low ^= _mix(value_low + np.uint64(number + 1))
    return _mix(high), low


class DuplicateFinder:
    """Say, batch after batch, which rows copy a row seen before: in an earlier batch, or earlier in the same."""

    def __init__(self) -> None:
        # Sorted runs of the hashes seen so far (high halves sorted, low halves beside them). A run is merged into
        # the one before it once it is as large, so there are at most log2(rows) runs to search, and each hash is
        # merged at most log2(rows) times.
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []

    def copies(self, columns: Sequence[pa.Array]) -> np.ndarray:
        """A boolean per row: True when the row copies an earlier one."""
        row_high, row_low = row_hashes(columns)
        order = np.argsort(row_high, kind="stable")
        high, low = row_high[order], row_low[order]
        same_high = high[1:] == high[:-1]
        if (same_high & (low[1:] != low[:-1])).any():
            # High halves collide while low halves differ (one pair in 2⁶⁴): sort by both (lexsort is stable).
            order = np.lexsort((row_low, row_high))
            high, low = row_high[order], row_low[order]
            same_high = high[1:] == high[:-1]
        first = np.ones(len(order), dtype=bool)
        first[1:] = ~same_high | (low[1:] != low[:-1])
        high, low, order = high[first], low[first], order[first]
        seen = np.zeros(len(order), dtype=bool)
        for run_high, run_low in self._runs:
            at = np.searchsorted(run_high, high)
            # Hashes whose high halves collide while their low halves differ (one pair in 2⁶⁴) sit side by side
            # in a run: step through them.
            pending = np.flatnonzero(at < len(run_high))
            while len(pending):
                pending = pending[run_high[at[pending]] == high[pending]]
                seen[pending] |= run_low[at[pending]] == low[pending]
                at[pending] += 1
                pending = pending[at[pending] < len(run_high)]
        copies = np.ones(len(first), dtype=bool)
        copies[order[~seen]] = False
        self._add(high[~seen], low[~seen])
        return copies

    def _add(self, high: np.ndarray, low: np.ndarray) -> None:
        self._runs.append((high, low))
        while len(self._runs) > 1 and len(self._runs[-2][0]) <= len(self._runs[-1][0]):
            (newer_high, newer_low), (older_high, older_low) = self._runs.pop(), self._runs.pop()
            # Both runs are sorted: insert the newer into the older, rather than sort the two again.
            at = np.searchsorted(older_high, newer_high, side="right")
            self._runs.append((np.insert(older_high, at, newer_high), np.insert(older_low, at, newer_low)))
