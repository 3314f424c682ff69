-- The identities the decomposition walks hold on every staged row: coinIn = carded + uncarded, games
-- likewise, and coinIn = games x average bet for each part (to a thousandth of a cent).
select gaming_date, asset_number, coin_in, coin_in_carded, coin_in_uncarded, handle_pulls, average_bet
from model_staging.stg_casino__asset_metrics
where batch_id = %(batch_id)s
    and (
        coin_in <> coin_in_carded + coin_in_uncarded
        or handle_pulls <> handle_pulls_carded + handle_pulls_uncarded
        or abs(coalesce(handle_pulls_carded * average_bet_carded, 0) - coin_in_carded) > 0.00001
        or abs(coalesce(handle_pulls_uncarded * average_bet_uncarded, 0) - coin_in_uncarded) > 0.00001
    );
