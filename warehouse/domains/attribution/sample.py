"""Generate a casino's daily asset metrics with known injected causes, deterministically from a seed."""

import argparse
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from warehouse.domains.attribution.algorithms import ADDITIVE

DEFAULT_SEED = 20180101
GAME_TYPES = ["Video Reels", "Reel Spinner", "Video Poker", "Multi-Game", "Keno"]
GAME_TYPE_WEIGHTS = [0.42, 0.22, 0.16, 0.12, 0.08]
GAME_TYPE_BET_FACTOR = np.array([1.25, 0.85, 0.95, 1.0, 0.6])
GAME_TYPE_HOLD_FACTOR = np.array([1.1, 1.0, 0.45, 0.9, 1.5])
GAME_TYPE_SECONDS_PER_GAME = np.array([4.2, 6.0, 5.5, 4.8, 7.5])
DENOMINATIONS = ["0.01", "0.02", "0.05", "0.25", "1.00", "5.00"]
DENOMINATION_WEIGHTS = [0.38, 0.12, 0.14, 0.16, 0.14, 0.06]
DENOMINATION_BET = np.array([0.80, 1.00, 1.25, 1.25, 2.75, 11.00])
DENOMINATION_HOLD = np.array([0.105, 0.095, 0.085, 0.075, 0.06, 0.05])
# High-limit machines see fewer games a day than penny machines.
DENOMINATION_PULL_FACTOR = np.array([1.0, 1.0, 0.95, 0.9, 0.8, 0.6])
# Monday first; the same every week, so a same-weekday baseline compares like with like.
WEEKDAY_FACTOR = np.array([0.82, 0.78, 0.84, 0.93, 1.18, 1.38, 1.07])

MONEY_COLUMNS = ["coinInCarded", "coinInUncarded", "theoWin", "actualWin", "timeOnDevice"]
METER_COLUMNS = list(ADDITIVE)
COLUMNS = ["gamingDate", "assetNumber", "bank", "zone", "gameType", "denomination", *METER_COLUMNS]
TOTAL_COLUMNS = ["coinIn", "handlePulls"]

CAUSE_KINDS = [
    "zone_uncarded_bet_drop",
    "bank_dark",
    "denomination_carded_play_rise",
    "asset_failure",
    "gametype_carded_bet_rise",
]
UNCARDED_BET_DROP = 0.5
CARDED_PLAY_RISE = 1.8
CARDED_BET_RISE = 1.6
BASELINE_WEEKS = 12
# Causes k and k+7 share a weekday; 13 weeks apart keeps each cause out of the other's 12-week baseline.
MIN_CAUSE_SPACING_DAYS = 13

DARK_ASSET_DAY_SHARE = 0.003
DIRTY_ROW_SHARE = 0.001
ROWS_PER_CHUNK = 200_000


@dataclass(frozen=True)
class Casino:
    """Static attributes of every asset; `home_bank` is where it stands at the start of the period."""

    asset_numbers: list[str]
    bank_names: list[str]
    zone_names: list[str]
    zone_of_bank: np.ndarray
    home_bank: np.ndarray
    game_type: np.ndarray
    denomination: np.ndarray
    base_pulls: np.ndarray
    carded_share: np.ndarray
    bet_carded: np.ndarray
    bet_uncarded: np.ndarray
    hold: np.ndarray
    win_volatility: np.ndarray
    seconds_per_game: np.ndarray
    games_per_session: np.ndarray

    @property
    def expected_carded_coin_in(self) -> np.ndarray:
        return self.base_pulls * self.carded_share * self.bet_carded

    @property
    def expected_uncarded_coin_in(self) -> np.ndarray:
        return self.base_pulls * (1 - self.carded_share) * self.bet_uncarded

    @property
    def expected_coin_in(self) -> np.ndarray:
        return self.expected_carded_coin_in + self.expected_uncarded_coin_in

    @property
    def expected_carded_to_uncarded(self) -> np.ndarray:
        return self.expected_carded_coin_in / self.expected_uncarded_coin_in


@dataclass(frozen=True)
class Move:
    """An asset that stands in `to_bank` from `day` (an index into the period) on."""

    asset: int
    day: int
    to_bank: int


@dataclass(frozen=True)
class Cause:
    """An injected cause on `day`; `entity` indexes the zone, bank, denomination, asset or game type `value`."""

    day: int
    kind: str
    dimension: str
    value: str
    entity: int


@dataclass(frozen=True)
class WrittenSample:
    """What `write_asset_metrics` wrote: the metrics file, its causes sidecar and the number of data rows."""

    data_path: Path
    causes_path: Path
    rows: int


def casino_shape(assets: int) -> tuple[int, int]:
    """Return (zones, banks per zone): 8 x 12 at 2,000 assets, never fewer than 3 zones of 4 banks."""
    zones = int(np.clip(round(assets / 250), 3, 8))
    # Twelve banks to a zone keep each bank's share of a zone-wide change under Adtributor's 0.1 EP floor, so
    # a zone's change is explained by the zone and not by a set of its banks.
    banks_per_zone = int(np.clip(assets // (zones * 10), 4, 12))
    return zones, banks_per_zone


def build_casino(assets: int, rng: np.random.Generator) -> Casino:
    zones, banks_per_zone = casino_shape(assets)
    bank_count = zones * banks_per_zone
    width = max(4, len(str(assets)))
    # Banks are rows of machines of (nearly) the same length, numbered along the floor.
    home_bank = np.arange(assets) * bank_count // assets
    game_type = rng.choice(len(GAME_TYPES), size=assets, p=GAME_TYPE_WEIGHTS)
    denomination = rng.choice(len(DENOMINATIONS), size=assets, p=DENOMINATION_WEIGHTS)
    base_pulls = np.clip(rng.lognormal(np.log(850), 0.35, assets), 260, 2150) * DENOMINATION_PULL_FACTOR[denomination]
    bet = DENOMINATION_BET[denomination] * GAME_TYPE_BET_FACTOR[game_type] * rng.lognormal(0, 0.15, assets)
    return Casino(
        asset_numbers=[f"A{number:0{width}d}" for number in range(1, assets + 1)],
        bank_names=[f"B{number:02d}" for number in range(1, bank_count + 1)],
        zone_names=[f"Z{number}" for number in range(1, zones + 1)],
        zone_of_bank=np.arange(bank_count) // banks_per_zone,
        home_bank=home_bank,
        game_type=game_type,
        denomination=denomination,
        base_pulls=base_pulls,
        carded_share=rng.uniform(0.55, 0.75, assets),
        # Rated players bet more per game than walk-up players.
        bet_carded=bet * 1.12,
        bet_uncarded=bet * 0.88,
        hold=np.clip(DENOMINATION_HOLD[denomination] * GAME_TYPE_HOLD_FACTOR[game_type], 0.02, 0.16),
        win_volatility=rng.uniform(4.0, 9.0, assets),
        seconds_per_game=GAME_TYPE_SECONDS_PER_GAME[game_type] * rng.lognormal(0, 0.1, assets),
        games_per_session=rng.uniform(120, 260, assets),
    )


def cause_days(days: int, causes: int, rng: np.random.Generator) -> list[int]:
    """Spread `causes` days over the period so that no cause falls on another's 12 previous same weekdays."""
    if causes == 0:
        return []
    needed = MIN_CAUSE_SPACING_DAYS * (causes - 1) + 1
    # Prefer causes with a full 12-week history; a short period settles for a one-week baseline.
    first_allowed = 7 * BASELINE_WEEKS if days - 7 * BASELINE_WEEKS >= needed else 7
    room = days - first_allowed
    if room < needed:
        raise ValueError(f"{causes} causes need at least {needed + 7} days, got {days}")
    spacing = room - 1 if causes == 1 else (room - 1) // (causes - 1)
    if causes > 1 and spacing % 7 == 0:
        spacing -= 1
    slack = room - 1 - spacing * (causes - 1)
    first = first_allowed + int(rng.integers(0, slack + 1))
    return [first + spacing * index for index in range(causes)]


def protected_days(days_of_causes: list[int]) -> set[int]:
    """Cause days and their one-week baselines: no dark machines, moves or dirty rows land on them."""
    return {day for cause_day in days_of_causes for day in (cause_day, cause_day - 7)}


def plan_moves(casino: Casino, days: int, days_of_causes: list[int], rng: np.random.Generator) -> list[Move]:
    # A move between a cause's baseline and its day would shift group totals for a reason other than the cause.
    blocked = {day for cause_day in days_of_causes for day in range(cause_day - 6, cause_day + 1)}
    candidate_days = [day for day in range(max(1, days // 4), max(2, 3 * days // 4)) if day not in blocked]
    count = min(max(2, round(0.005 * len(casino.asset_numbers))), len(casino.asset_numbers) // 10)
    if not candidate_days:
        return []
    movers = rng.choice(len(casino.asset_numbers), size=count, replace=False)
    moves = []
    for asset in sorted(int(asset) for asset in movers):
        home_zone = casino.zone_of_bank[casino.home_bank[asset]]
        other_banks = np.flatnonzero(casino.zone_of_bank != home_zone)
        moves.append(Move(asset, int(rng.choice(candidate_days)), int(rng.choice(other_banks))))
    return moves


def bank_on_day(casino: Casino, moves: list[Move], day: int) -> np.ndarray:
    bank = casino.home_bank.copy()
    for move in moves:
        if day >= move.day:
            bank[move.asset] = move.to_bank
    return bank


def _finer_set_can_form(weights: np.ndarray, in_value: np.ndarray, part_of: np.ndarray) -> bool:
    """Whether the parts of one value (the banks of a zone, the machines of a bank) could make an Adtributor set.

    Parts share their value's change in proportion to `weights`, so a part's EP is about its weight share, and
    a set needs parts above the 0.1 element floor that sum to 0.67. Such a set would carry nearly the value's
    own surprise, so the value would no longer be the clear answer. The margins leave room for the day's noise.
    """
    parts = np.bincount(part_of[in_value], weights=weights[in_value])
    shares = parts / parts.sum()
    return bool(shares[shares > 0.08].sum() >= 0.6)


def adtributor_is_clear(cause: Cause, casino: Casino, bank: np.ndarray) -> bool:
    """Whether Adtributor must name the cause's own value: no finer breakdown can explain its change instead."""
    machine = np.arange(len(casino.asset_numbers))
    if cause.kind == "zone_uncarded_bet_drop":
        in_zone = casino.zone_of_bank[bank] == cause.entity
        return not _finer_set_can_form(casino.expected_uncarded_coin_in, in_zone, bank)
    if cause.kind == "bank_dark":
        return not _finer_set_can_form(casino.expected_coin_in, bank == cause.entity, machine)
    if cause.kind == "denomination_carded_play_rise":
        in_value = casino.denomination == cause.entity
        return not _finer_set_can_form(casino.expected_carded_coin_in, in_value, machine)
    if cause.kind == "gametype_carded_bet_rise":
        in_value = casino.game_type == cause.entity
        return not _finer_set_can_form(casino.expected_carded_coin_in, in_value, machine)
    return False


def _sizeable_values(casino: Casino, group: np.ndarray, count: int) -> np.ndarray:
    # A value with a sliver of the casino's play could drown in the noise of the big ones.
    shares = np.bincount(group, weights=casino.expected_coin_in, minlength=count) / casino.expected_coin_in.sum()
    machines = np.bincount(group, minlength=count)
    sizeable = np.flatnonzero((shares >= 0.08) & (machines >= 8))
    return sizeable if len(sizeable) else np.array([int(np.argmax(shares))])


def _failing_asset_candidates(casino: Casino, bank: np.ndarray, moves: list[Move]) -> np.ndarray:
    # The failed machine must be big enough to lead its bank's losers and be mostly rated play, so that
    # handlePullsCarded (not Uncarded) carries most of its drop.
    expected = casino.expected_coin_in
    largest_in_bank = np.zeros(len(casino.bank_names))
    np.maximum.at(largest_in_bank, bank, expected)
    moved = np.isin(np.arange(len(expected)), [move.asset for move in moves])
    eligible = (expected >= 0.3 * largest_in_bank[bank]) & (casino.expected_carded_to_uncarded >= 1.5) & ~moved
    return (
        np.flatnonzero(eligible) if eligible.any() else np.array([int(np.argmax(casino.expected_carded_to_uncarded))])
    )


def plan_causes(casino: Casino, moves: list[Move], days_of_causes: list[int], rng: np.random.Generator) -> list[Cause]:
    causes = []
    for index, day in enumerate(days_of_causes):
        kind = CAUSE_KINDS[index % len(CAUSE_KINDS)]
        bank = bank_on_day(casino, moves, day)
        if kind == "zone_uncarded_bet_drop":
            candidates = [Cause(day, kind, "zone", name, zone) for zone, name in enumerate(casino.zone_names)]
        elif kind == "bank_dark":
            # A bank below the median is too close to the casino's day-to-day noise.
            bank_coin_in = np.bincount(bank, weights=casino.expected_coin_in, minlength=len(casino.bank_names))
            standing = np.flatnonzero(np.bincount(bank, minlength=len(casino.bank_names)))
            large = standing[bank_coin_in[standing] >= np.median(bank_coin_in[standing])]
            candidates = [Cause(day, kind, "bank", casino.bank_names[value], int(value)) for value in large]
        elif kind == "denomination_carded_play_rise":
            sizeable = _sizeable_values(casino, casino.denomination, len(DENOMINATIONS))
            candidates = [Cause(day, kind, "denomination", DENOMINATIONS[value], int(value)) for value in sizeable]
        elif kind == "asset_failure":
            failing = _failing_asset_candidates(casino, bank, moves)
            candidates = [Cause(day, kind, "asset", casino.asset_numbers[value], int(value)) for value in failing]
        else:
            sizeable = _sizeable_values(casino, casino.game_type, len(GAME_TYPES))
            candidates = [Cause(day, kind, "gameType", GAME_TYPES[value], int(value)) for value in sizeable]
        if kind != "asset_failure":
            # Prefer values whose Adtributor question is clear-cut too; a small casino may have none.
            clear = [cause for cause in candidates if adtributor_is_clear(cause, casino, bank)]
            candidates = clear or candidates
        causes.append(candidates[int(rng.integers(0, len(candidates)))])
    return causes


def plan_dark_asset_days(assets: int, days: int, protected: set[int], rng: np.random.Generator) -> np.ndarray:
    """Return sorted flat indices (day * assets + asset) of machine-days that were dark: runs of 1-3 days."""
    episodes = round(DARK_ASSET_DAY_SHARE * assets * days / 2)
    first_day = rng.integers(0, days, episodes)
    asset = rng.integers(0, assets, episodes)
    length = rng.integers(1, 4, episodes)
    dark = set()
    for start, machine, run in zip(first_day.tolist(), asset.tolist(), length.tolist(), strict=True):
        run_days = [day for day in range(start, min(days, start + run))]
        if protected.isdisjoint(run_days):
            dark.update(day * assets + machine for day in run_days)
    return np.array(sorted(dark), dtype=np.int64)


def staging_rule(rule: str) -> str:
    """Return the rule as staging names it, after the raw column: coinInCarded_negative -> coin_in_carded_negative."""
    return re.sub(r"(?<=[a-z])([A-Z])", r"_\1", rule).lower()


def dirty_rules(totals: bool) -> list[str]:
    rules = ["gaming_date_missing", "gaming_date_unparseable", "asset_number_missing"]
    rules += [f"{meter}_missing" for meter in METER_COLUMNS]
    rules += [f"{meter}_not_a_number" for meter in METER_COLUMNS]
    # theoWin and actualWin are left out: actual win may be negative, and a negative theo is not clearly an error.
    rules += [f"{meter}_negative" for meter in METER_COLUMNS if meter not in ("theoWin", "actualWin")]
    rules += [f"{meter}_not_whole" for meter in ("handlePullsCarded", "handlePullsUncarded", "sessionsCarded")]
    rules += [
        "carded_money_without_games",
        "carded_games_without_money",
        "uncarded_money_without_games",
        "uncarded_games_without_money",
    ]
    if totals:
        rules += ["coin_in_inconsistent", "handle_pulls_inconsistent"]
    rules.append("duplicate_asset_day")
    return rules


def plan_dirty_asset_days(
    assets: int, days: int, totals: bool, protected: set[int], dark: np.ndarray, rng: np.random.Generator
) -> dict[int, str]:
    """Return {flat asset-day index: rule}; each asset-day is spoiled (or duplicated) by one rule at most."""
    rules = dirty_rules(totals)
    count = max(len(rules), round(DIRTY_ROW_SHARE * assets * days))
    eligible_days = np.array([day for day in range(days) if day not in protected], dtype=np.int64)
    eligible = len(eligible_days) * assets
    drawn = rng.choice(eligible, size=min(eligible, 2 * count + len(dark)), replace=False)
    flat = eligible_days[drawn // assets] * assets + drawn % assets
    # Dark machine-days are all zeros, so rules such as "money without games" cannot be shown on them.
    flat = flat[~np.isin(flat, dark)][:count]
    return {int(index): rules[position % len(rules)] for position, index in enumerate(flat.tolist())}


def _day_meters(
    casino: Casino, day: int, weekday: int, bank: np.ndarray, dark: np.ndarray, causes: list[Cause], seed: int
) -> dict[str, np.ndarray]:
    """Return one gaming day's meters for every asset: money in cents, time in centiseconds, games as counts."""
    rng = np.random.default_rng([seed, day])
    assets = len(casino.asset_numbers)
    pulls = casino.base_pulls * WEEKDAY_FACTOR[weekday] * rng.lognormal(0, 0.03, assets)
    share = np.clip(casino.carded_share * rng.lognormal(0, 0.02, assets), 0.3, 0.95)
    bet_carded = casino.bet_carded * rng.lognormal(0, 0.015, assets)
    bet_uncarded = casino.bet_uncarded * rng.lognormal(0, 0.015, assets)
    win_noise = rng.standard_normal(assets)
    time_noise = rng.lognormal(0, 0.03, assets)
    session_noise = rng.lognormal(0, 0.08, assets)
    pulls_carded = pulls * share
    pulls_uncarded = pulls * (1 - share)
    dark = dark.copy()
    for cause in causes:
        if cause.kind == "zone_uncarded_bet_drop":
            bet_uncarded = np.where(
                casino.zone_of_bank[bank] == cause.entity, bet_uncarded * UNCARDED_BET_DROP, bet_uncarded
            )
        elif cause.kind == "bank_dark":
            dark |= bank == cause.entity
        elif cause.kind == "denomination_carded_play_rise":
            pulls_carded = np.where(casino.denomination == cause.entity, pulls_carded * CARDED_PLAY_RISE, pulls_carded)
        elif cause.kind == "asset_failure":
            dark[cause.entity] = True
        else:
            bet_carded = np.where(casino.game_type == cause.entity, bet_carded * CARDED_BET_RISE, bet_carded)
    handle_pulls_carded = np.rint(pulls_carded).astype(np.int64)
    handle_pulls_uncarded = np.rint(pulls_uncarded).astype(np.int64)
    coin_in_carded = np.rint(handle_pulls_carded * bet_carded * 100).astype(np.int64)
    coin_in_uncarded = np.rint(handle_pulls_uncarded * bet_uncarded * 100).astype(np.int64)
    coin_in = coin_in_carded + coin_in_uncarded
    theo_win = np.rint(casino.hold * coin_in).astype(np.int64)
    games = handle_pulls_carded + handle_pulls_uncarded
    average_bet = np.divide(coin_in, games, out=np.zeros(assets), where=games > 0)
    actual_win = theo_win + np.rint(win_noise * np.sqrt(games) * average_bet * casino.win_volatility).astype(np.int64)
    time_on_device = np.rint(handle_pulls_carded * casino.seconds_per_game * time_noise * 100).astype(np.int64)
    sessions = np.rint(handle_pulls_carded / casino.games_per_session * session_noise).astype(np.int64)
    sessions = np.where(handle_pulls_carded > 0, np.maximum(sessions, 1), 0)
    meters = {
        "coinInCarded": coin_in_carded,
        "coinInUncarded": coin_in_uncarded,
        "handlePullsCarded": handle_pulls_carded,
        "handlePullsUncarded": handle_pulls_uncarded,
        "theoWin": theo_win,
        "actualWin": actual_win,
        "timeOnDevice": time_on_device,
        "sessionsCarded": sessions,
    }
    for values in meters.values():
        values[dark] = 0
    return meters


_CENTS = pa.array([f".{cents:02d}" for cents in range(100)])


def _as_decimal_text(hundredths: np.ndarray) -> pa.Array:
    """Format integer hundredths as text with exactly two decimals, e.g. -1234 -> "-12.34"."""
    magnitude = np.abs(hundredths)
    whole = pa.array(magnitude // 100).cast(pa.string())
    text = pc.binary_join_element_wise(whole, _CENTS.take(pa.array(magnitude % 100)), "")
    negative = hundredths < 0
    if negative.any():
        text = pc.if_else(pa.array(negative), pc.binary_join_element_wise("-", text, ""), text)
    return text


def _duplicate_meters(meters: dict[str, np.ndarray], row: int) -> dict[str, int]:
    # A resent record with a later reading: valid on its own, different from the first.
    scale = 1.07
    pulls_carded = int(meters["handlePullsCarded"][row] * scale) + 1
    pulls_uncarded = int(meters["handlePullsUncarded"][row] * scale) + 1
    coin_in_carded = int(meters["coinInCarded"][row] * scale) + 100
    coin_in_uncarded = int(meters["coinInUncarded"][row] * scale) + 100
    return {
        "coinInCarded": coin_in_carded,
        "coinInUncarded": coin_in_uncarded,
        "handlePullsCarded": pulls_carded,
        "handlePullsUncarded": pulls_uncarded,
        "theoWin": int(meters["theoWin"][row] * scale),
        "actualWin": int(meters["actualWin"][row] * scale),
        "timeOnDevice": int(meters["timeOnDevice"][row] * scale),
        "sessionsCarded": int(meters["sessionsCarded"][row]) + 1,
    }


def _spoil_numbers(meters: dict[str, np.ndarray], row: int, rule: str) -> None:
    """Break `rule` in the numbers of one row; totals are derived afterwards, so they stay consistent."""
    carded, uncarded = meters["coinInCarded"], meters["coinInUncarded"]
    pulls_carded, pulls_uncarded = meters["handlePullsCarded"], meters["handlePullsUncarded"]
    # Negatives stay smaller than the other part, so the written total is not negative as well.
    if rule == "coinInCarded_negative":
        carded[row] = -max(1, min(carded[row], uncarded[row] // 2))
    elif rule == "coinInUncarded_negative":
        uncarded[row] = -max(1, min(uncarded[row], carded[row] // 2))
    elif rule == "handlePullsCarded_negative":
        pulls_carded[row] = -max(1, min(pulls_carded[row], pulls_uncarded[row] // 2))
    elif rule == "handlePullsUncarded_negative":
        pulls_uncarded[row] = -max(1, min(pulls_uncarded[row], pulls_carded[row] // 2))
    elif rule in ("timeOnDevice_negative", "sessionsCarded_negative"):
        meter = rule.removesuffix("_negative")
        meters[meter][row] = -meters[meter][row]
    elif rule == "carded_money_without_games":
        pulls_carded[row] = 0
    elif rule == "carded_games_without_money":
        carded[row] = 0
    elif rule == "uncarded_money_without_games":
        pulls_uncarded[row] = 0
    elif rule == "uncarded_games_without_money":
        uncarded[row] = 0


def _text_overrides(rule: str, meters: dict[str, np.ndarray], row: int, ordinal: int) -> dict[str, str]:
    """Return the cells to overwrite as text to break `rule` in one row."""
    if rule == "gaming_date_missing":
        return {"gamingDate": ""}
    if rule == "gaming_date_unparseable":
        return {"gamingDate": ["2018-02-30", "not a date", "31.13.2018"][ordinal % 3]}
    if rule == "asset_number_missing":
        return {"assetNumber": ""}
    meter, _, problem = rule.partition("_")
    if problem == "missing":
        return {meter: ""}
    if problem == "not_a_number":
        return {meter: ["NaN", "n/a", "abc"][ordinal % 3]}
    if problem == "not_whole":
        overrides = {meter: f"{meters[meter][row]}.5"}
        if meter.startswith("handlePulls"):
            # The total follows its part, so only the fractional count is wrong, not the sum as well.
            overrides["handlePulls"] = f"{meters['handlePullsCarded'][row] + meters['handlePullsUncarded'][row]}.5"
        return overrides
    return {}


def _chunk_table(
    casino: Casino,
    first_day: int,
    day_count: int,
    start: np.datetime64,
    moves: list[Move],
    causes: list[Cause],
    dark: np.ndarray,
    dirty: dict[int, str],
    totals: bool,
    seed: int,
) -> tuple[pa.Table, list[tuple[int, str]]]:
    """Return one chunk of days in file order, and (row within the chunk, rule) for its dirty rows."""
    assets = len(casino.asset_numbers)
    daily = []
    banks = []
    for day in range(first_day, first_day + day_count):
        bank = bank_on_day(casino, moves, day)
        dark_today = np.zeros(assets, dtype=bool)
        day_dark = dark[(dark >= day * assets) & (dark < (day + 1) * assets)] - day * assets
        dark_today[day_dark] = True
        weekday = int((start + np.timedelta64(day, "D")).astype("datetime64[D]").astype(np.int64) + 3) % 7
        today_causes = [cause for cause in causes if cause.day == day]
        daily.append(_day_meters(casino, day, weekday, bank, dark_today, today_causes, seed))
        banks.append(bank)
    meters = {name: np.concatenate([day_meters[name] for day_meters in daily]) for name in METER_COLUMNS}
    bank = np.concatenate(banks)
    asset = np.tile(np.arange(assets), day_count)
    day_of_row = np.repeat(np.arange(first_day, first_day + day_count), assets)

    spoiled = sorted(
        (flat - first_day * assets, rule) for flat, rule in dirty.items() if 0 <= flat - first_day * assets < len(asset)
    )
    duplicates = [row for row, rule in spoiled if rule == "duplicate_asset_day"]
    extra = [_duplicate_meters(meters, row) for row in duplicates]
    if extra:
        meters = {name: np.concatenate([values, [row[name] for row in extra]]) for name, values in meters.items()}
        bank = np.concatenate([bank, bank[duplicates]])
        asset = np.concatenate([asset, asset[duplicates]])
        day_of_row = np.concatenate([day_of_row, day_of_row[duplicates]])
    for row, rule in spoiled:
        _spoil_numbers(meters, row, rule)

    dates = (start + np.arange(first_day, first_day + day_count).astype("timedelta64[D]")).astype(str)
    columns = {
        "gamingDate": pa.array(dates).take(pa.array(day_of_row - first_day)),
        "assetNumber": pa.array(casino.asset_numbers).take(pa.array(asset)),
        "bank": pa.array(casino.bank_names).take(pa.array(bank)),
        "zone": pa.array(casino.zone_names).take(pa.array(casino.zone_of_bank[bank])),
        "gameType": pa.array(GAME_TYPES).take(pa.array(casino.game_type[asset])),
        "denomination": pa.array(DENOMINATIONS).take(pa.array(casino.denomination[asset])),
    }
    for name in METER_COLUMNS:
        values = meters[name]
        columns[name] = _as_decimal_text(values) if name in MONEY_COLUMNS else pa.array(values).cast(pa.string())
    if totals:
        coin_in = meters["coinInCarded"] + meters["coinInUncarded"]
        handle_pulls = meters["handlePullsCarded"] + meters["handlePullsUncarded"]
        for row, rule in spoiled:
            if rule == "coin_in_inconsistent":
                coin_in[row] += 1000
            elif rule == "handle_pulls_inconsistent":
                handle_pulls[row] += 7
        columns["coinIn"] = _as_decimal_text(coin_in)
        columns["handlePulls"] = pa.array(handle_pulls).cast(pa.string())

    overrides: dict[str, dict[int, str]] = {}
    for ordinal, (row, rule) in enumerate(spoiled):
        for name, text in _text_overrides(rule, meters, row, first_day + ordinal).items():
            if name in columns:
                overrides.setdefault(name, {})[row] = text
    for name, cells in overrides.items():
        mask = np.zeros(len(asset), dtype=bool)
        mask[list(cells)] = True
        columns[name] = pc.replace_with_mask(
            columns[name], pa.array(mask), pa.array([cells[row] for row in sorted(cells)])
        )

    # Each resent record follows the whole of its day's block, so it is the later of the two rows.
    duplicate_rows = np.arange(assets * day_count, len(asset))
    order = np.concatenate(
        [
            np.concatenate(
                [
                    np.arange(day * assets, (day + 1) * assets),
                    duplicate_rows[day_of_row[duplicate_rows] == first_day + day],
                ]
            )
            for day in range(day_count)
        ]
    )
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    dirty_rows = [(int(position[row]), rule) for row, rule in spoiled if rule != "duplicate_asset_day"]
    dirty_rows += [
        (int(position[assets * day_count + index]), "duplicate_asset_day") for index in range(len(duplicates))
    ]
    return pa.table(columns).take(pa.array(order)), sorted(dirty_rows)


def _questions(cause: Cause, gaming_date: str, casino: Casino, moves: list[Move]) -> list[dict]:
    """The API questions whose top rank must name this cause; the test checks each against the rows."""
    bank = bank_on_day(casino, moves, cause.day)

    def ask(endpoint: str, params: dict, expect: dict) -> dict:
        return {"endpoint": endpoint, "params": {"date_target": gaming_date, **params}, "expect": expect}

    if cause.kind == "asset_failure":
        # One machine is lost in the whole casino's noise, so the asset question is scoped to its bank. A dark
        # machine's change sits in the handle-pulls leaves, the rated part first since it was chosen mostly rated.
        own_bank = casino.bank_names[bank[cause.entity]]
        return [
            ask("/singlerankmetrics", {"asset": cause.value}, {"metric": "handlePullsCarded"}),
            ask("/grouprankdimensions", {"dimension": "asset", "bank": own_bank}, {"value": cause.value}),
        ]
    leading_metric = {
        "zone_uncarded_bet_drop": "averageBetUncarded",
        # A dark bank's machines are mostly rated play (55-75% of games, at a higher bet).
        "bank_dark": "handlePullsCarded",
        "denomination_carded_play_rise": "handlePullsCarded",
        "gametype_carded_bet_rise": "averageBetCarded",
    }[cause.kind]
    questions = [
        ask("/grouprankmetrics", {cause.dimension: cause.value}, {"metric": leading_metric}),
        ask("/grouprankdimensions", {"dimension": cause.dimension}, {"value": cause.value}),
    ]
    if adtributor_is_clear(cause, casino, bank):
        expect = {"dimension": cause.dimension, "value": cause.value}
        questions.append(ask("/grouprankdimensions", {"algorithm": "adtributor"}, expect))
    return questions


def _description(cause: Cause) -> str:
    if cause.kind == "zone_uncarded_bet_drop":
        return f"zone {cause.value}: unrated average bet x {UNCARDED_BET_DROP} (coinInUncarded falls, games unchanged)"
    if cause.kind == "bank_dark":
        return f"bank {cause.value} dark: every meter of its machines is 0"
    if cause.kind == "denomination_carded_play_rise":
        return (
            f"denomination {cause.value}: rated games x {CARDED_PLAY_RISE} "
            "(coinInCarded, timeOnDevice and sessionsCarded follow)"
        )
    if cause.kind == "asset_failure":
        return f"asset {cause.value} failed: every meter is 0"
    return f"game type {cause.value}: rated average bet x {CARDED_BET_RISE} (coinInCarded rises, games unchanged)"


def causes_path_for(path: Path) -> Path:
    """Return the sidecar beside a metrics file: am.csv -> am.causes.json."""
    return path.with_name(path.name.removesuffix(path.suffix) + ".causes.json")


def write_asset_metrics(
    path: Path,
    *,
    assets: int = 2000,
    days: int = 730,
    start: str = "2018-01-01",
    causes: int = 24,
    seed: int = DEFAULT_SEED,
    totals: bool = True,
    dirty: bool = True,
) -> WrittenSample:
    """Write daily asset metrics to `path` (CSV if it ends in .csv, else parquet) and the causes sidecar beside it.

    The same arguments always give byte-identical files. Every column is text, as the raw layer keeps it.
    Returns the two paths and the number of data rows (assets x days, plus one per duplicated asset-day).
    """
    if assets < 36:
        raise ValueError(f"a casino needs at least 36 assets (3 zones of 4 banks of 3), got {assets}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    start_date = np.datetime64(start, "D")
    rng = np.random.default_rng(seed)
    casino = build_casino(assets, rng)
    days_of_causes = cause_days(days, causes, rng)
    protected = protected_days(days_of_causes)
    moves = plan_moves(casino, days, days_of_causes, rng)
    planned_causes = plan_causes(casino, moves, days_of_causes, rng)
    dark = plan_dark_asset_days(assets, days, protected, rng)
    spoiled = plan_dirty_asset_days(assets, days, totals, protected, dark, rng) if dirty else {}

    schema = pa.schema([(name, pa.string()) for name in COLUMNS + (TOTAL_COLUMNS if totals else [])])
    partial = path.with_name(path.name + ".part")
    if path.suffix == ".csv":
        import pyarrow.csv as pcsv

        writer = pcsv.CSVWriter(
            partial, schema, write_options=pcsv.WriteOptions(quoting_style="none", quoting_header="none")
        )
    else:
        import pyarrow.parquet as pq

        writer = pq.ParquetWriter(partial, schema)
    days_per_chunk = max(1, ROWS_PER_CHUNK // assets)
    rows_written = 0
    dirty_rows = []
    with writer:
        for first_day in range(0, days, days_per_chunk):
            day_count = min(days_per_chunk, days - first_day)
            table, chunk_dirty_rows = _chunk_table(
                casino, first_day, day_count, start_date, moves, planned_causes, dark, spoiled, totals, seed
            )
            writer.write_table(table)
            dirty_rows += [
                {"source_row_number": rows_written + row + 1, "rule": staging_rule(rule)}
                for row, rule in chunk_dirty_rows
            ]
            rows_written += table.num_rows
    partial.replace(path)

    def date_text(day: int) -> str:
        return str(start_date + np.timedelta64(day, "D"))

    sidecar = {
        "generator": {
            "module": "warehouse.domains.attribution.sample",
            "assets": assets,
            "days": days,
            "start": start,
            "causes": causes,
            "seed": seed,
            "totals": totals,
            "dirty": dirty,
        },
        "columns": schema.names,
        "rows": rows_written,
        "casino": {
            "zones": casino.zone_names,
            "banks": {
                name: casino.zone_names[zone] for name, zone in zip(casino.bank_names, casino.zone_of_bank, strict=True)
            },
            "game_types": GAME_TYPES,
            "denominations": DENOMINATIONS,
            "dark_asset_days": len(dark),
            "moves": [
                {
                    "asset_number": casino.asset_numbers[move.asset],
                    "from_gaming_date": date_text(move.day),
                    "from_bank": casino.bank_names[casino.home_bank[move.asset]],
                    "to_bank": casino.bank_names[move.to_bank],
                }
                for move in moves
            ],
        },
        "causes": [
            {
                "gaming_date": date_text(cause.day),
                "kind": cause.kind,
                "dimension": cause.dimension,
                "value": cause.value,
                "description": _description(cause),
                "questions": _questions(cause, date_text(cause.day), casino, moves),
            }
            for cause in planned_causes
        ],
        "dirty_rows": dirty_rows,
    }
    causes_path = causes_path_for(path)
    causes_path.write_text(json.dumps(sidecar, indent=2) + "\n")
    return WrittenSample(path, causes_path, rows_written)


def bench_input(folder: Path, rows: int) -> tuple[Path, str, dict]:
    """Write the benchmark's input: one CSV file of 2,000 machines, which both the pipeline and a bare COPY load."""
    written = write_asset_metrics(folder / f"asset-metrics-{rows}.csv", assets=2000, days=max(30, rows // 2000))
    return written.data_path, "format csv, header", {"source": str(written.data_path)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m warehouse.domains.attribution.sample", description=__doc__)
    parser.add_argument("path", type=Path, help="output file: .csv, or parquet for any other suffix")
    parser.add_argument("--assets", type=int, default=2000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--start", default="2018-01-01", help="first gaming date, YYYY-MM-DD")
    parser.add_argument("--causes", type=int, default=24, help="injected causes, each on its own gaming date")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--no-totals", dest="totals", action="store_false", help="leave out coinIn and handlePulls")
    parser.add_argument("--no-dirty", dest="dirty", action="store_false", help="write no rows that staging rejects")
    args = parser.parse_args(argv)
    try:
        written = write_asset_metrics(
            args.path,
            assets=args.assets,
            days=args.days,
            start=args.start,
            causes=args.causes,
            seed=args.seed,
            totals=args.totals,
            dirty=args.dirty,
        )
    except ValueError as error:
        parser.error(str(error))
    print(f"wrote {written.rows} rows to {written.data_path} and the causes to {written.causes_path}")


if __name__ == "__main__":
    main()
