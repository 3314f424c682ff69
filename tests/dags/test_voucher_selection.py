"""Run the voucher_selection DAG for real, on the real file and on crafted files."""

from tests.conftest import shared_file


def test_real_file_answers_peru_frequent_13_orders(run_dag, db):
    source = shared_file("voucher", "data.parquet.gzip")
    run_dag("voucher_selection", conf={"as_of": "2018-09-15", "source": str(source)})
    row = db.execute(
        """
        select segment_name, voucher_amount from model_production.voucher_selection
        where as_of_date = '2018-09-15' and country_code = 'Peru' and segment_type = 'frequent_segment'
            and segment_name = '5-13'
        """
    ).fetchone()
    assert row == ("5-13", 2640)
