"""The voucher checks return the failing rows for a state that breaks them, and none for a sound one."""

from tests.conftest import failing_rows
from warehouse.models import run_statements


def test_voucher_rules_overlap_is_found(db):
    run_statements(db, ["raw/vouchers/voucher_segment_rules.sql"])
    assert failing_rows(db, "vouchers/segment_rules_overlap") == []
    db.execute("update raw.voucher_segment_rules set max_value = 5 where segment_name = '1-4'")
    assert failing_rows(db, "vouchers/segment_rules_overlap") == [("frequent_segment", "1-4", "5-13")]
    db.execute("update raw.voucher_segment_rules set max_value = null where segment_name = '121-180'")
    assert ("recency_segment", "121-180", "180+") in failing_rows(db, "vouchers/segment_rules_overlap")
