"""The asset metrics file's columns, and the names raw, staging and production give them."""

# The file's columns and their raw names.
SOURCE_COLUMNS = {
    "gamingDate": "gaming_date",
    "assetNumber": "asset_number",
    "bank": "bank",
    "zone": "zone",
    "gameType": "game_type",
    "denomination": "denomination",
    "coinInCarded": "coin_in_carded",
    "coinInUncarded": "coin_in_uncarded",
    "handlePullsCarded": "handle_pulls_carded",
    "handlePullsUncarded": "handle_pulls_uncarded",
    "theoWin": "theo_win",
    "actualWin": "actual_win",
    "timeOnDevice": "time_on_device",
    "sessionsCarded": "sessions_carded",
}
# Totals a file may carry; staging checks them against their parts.
OPTIONAL_COLUMNS = {"coinIn": "coin_in", "handlePulls": "handle_pulls"}
