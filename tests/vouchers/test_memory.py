"""A worker answers voucher questions from memory between two version checks, and sees a new publication after
the next one: no database round trip per question, and never an answer older than `API_RECHECK_SECONDS`."""

from sqlalchemy import event

from api_endpoint import create_app
from api_endpoint.published import MEMOS_KEY
from tests.vouchers.factories import write_voucher_csv
from tests.vouchers.published import PUBLISHED_ROWS
from tests.vouchers.test_api import QUESTION
from warehouse import loading

AS_OF = "2018-09-15"


def test_answers_come_from_memory_until_the_next_version_check_sees_a_republication(run_dag, reader_url, tmp_path):
    samples = loading.samples_dir()
    samples.mkdir(parents=True, exist_ok=True)
    sample = write_voucher_csv(samples / "vouchers.csv", PUBLISHED_ROWS)
    run_dag("voucher_selection", conf={"as_of": AS_OF, "source": str(sample)})

    app = create_app({"TESTING": True, "DATABASE_URL": reader_url, "RECHECK_SECONDS": 60})
    checkouts = []
    event.listen(app.extensions["warehouse_engine"], "checkout", lambda *args: checkouts.append(args))
    client = app.test_client()
    try:
        first = client.post("/voucher", json=QUESTION)
        assert first.status_code == 200 and first.json["from_sample"] is True
        memo = app.extensions[MEMOS_KEY]["voucher_snapshots"]
        now = [memo.clock()]
        memo.clock = lambda: now[0]

        # Between two checks, questions, the criteria and the form's countries need no connection at all.
        asked = len(checkouts)
        assert client.post("/voucher", json={**QUESTION, "segment_name": "recency_segment"}).status_code == 200
        assert client.get("/selection_criteria", headers={"Accept": "application/json"}).json["from_sample"] is True
        assert '<option value="Peru"' in client.get("/search_voucher").text
        assert len(checkouts) == asked

        # The same rows from a configured file replace the snapshot: until the next check, memory answers.
        real = write_voucher_csv(tmp_path / "vouchers.csv", PUBLISHED_ROWS)
        run_dag("voucher_selection", conf={"as_of": AS_OF, "source": str(real)})
        now[0] += 59
        assert client.post("/voucher", json=QUESTION).json["from_sample"] is True

        # The next check sees the new version, forgets what it kept, and answers from the new snapshot.
        now[0] += 1
        again = client.post("/voucher", json=QUESTION)
        assert again.json["from_sample"] is False and len(checkouts) == asked + 1
        assert {key: value for key, value in again.json.items() if key != "from_sample"} == {
            key: value for key, value in first.json.items() if key != "from_sample"
        }
    finally:
        app.extensions["warehouse_engine"].dispose()
