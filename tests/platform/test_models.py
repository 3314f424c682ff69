"""Model materialisation: a model's table follows its select."""

from warehouse.models import run_step


def test_a_model_that_gains_a_column_adds_it_to_its_table(db, tmp_path):
    model = tmp_path / "model_production" / "example" / "published_answers.sql"
    model.parent.mkdir(parents=True)
    model.write_text("{{ config(upsert='update', unique_key=['id']) }}\nselect 1 as id, 'first' as answer")
    run_step(db, ["model_production/example/published_answers.sql"], {}, tmp_path)

    # A later version of the model carries a new column; the table made by the first keeps its rows.
    model.write_text(
        "{{ config(upsert='update', unique_key=['id']) }}\nselect 2 as id, 'second' as answer, true as from_sample"
    )
    run_step(db, ["model_production/example/published_answers.sql"], {}, tmp_path)

    column = db.execute(
        "select data_type, is_nullable from information_schema.columns "
        "where table_name = 'published_answers' and column_name = 'from_sample'"
    ).fetchone()
    assert column == ("boolean", "YES")
    rows = db.execute("select id, answer, from_sample from model_production.published_answers order by id").fetchall()
    assert rows == [(1, "first", None), (2, "second", True)]
