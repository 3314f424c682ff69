"""The app factory: one blueprint per registered domain, a connection per request closed on teardown, health."""

import gzip
import json

import psycopg
import pytest

from api_endpoint import create_app, db
from tests.conftest import READER_TEST_ROLE
from warehouse import config, registry


def test_the_factory_registers_the_platform_and_every_domain(app):
    expected = {"health", *(domain.blueprint.rsplit(":", 1)[0].rsplit(".", 1)[-1] for domain in registry.domains())}
    assert expected <= set(app.blueprints)


def test_testing_config_is_passed_in(published):
    assert not create_app({"DATABASE_URL": published}).testing
    assert create_app({"TESTING": True, "DATABASE_URL": published}).testing


def test_a_request_has_one_connection_closed_on_teardown(app):
    with app.app_context():
        connection = db.get_db()
        assert db.get_db() is connection
        assert db.fetch_one("select 1 as one") == {"one": 1}
    assert connection.closed


def test_check_status(client):
    response = client.get("/check_status")
    assert response.get_data(as_text=True) == "Active!"


def test_ready_checks_the_database_and_names_each_domains_facts(client):
    # Each domain's tests check the values of its own facts (tests/<domain>/test_api.py).
    facts = [fact.name for domain in registry.domains() for fact in domain.facts]
    ready = client.get("/ready").json
    assert list(ready) == ["status", "database", "database_role", *facts]
    assert ready["status"] == "ready" and ready["database"] == "ok" and ready["database_role"] == "primary"
    assert all(ready[fact] is not None for fact in facts)


def test_ready_is_503_without_a_database(published):
    from api_endpoint import create_app

    app = create_app({"DATABASE_URL": "postgresql://nobody:wrong@127.0.0.1:1/none"})
    response = app.test_client().get("/ready")
    assert response.status_code == 503
    assert response.json["code"] == "database_unavailable"


def test_the_api_role_cannot_write(published):

    with psycopg.connect(published) as connection:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            connection.execute("delete from model_production.voucher_selection")
    with psycopg.connect(published) as connection:
        connection.execute("set transaction read write")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute("delete from model_production.voucher_selection")
    with psycopg.connect(published) as connection:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute("select * from raw.voucher_events")
    with psycopg.connect(published) as connection:
        assert connection.execute("show statement_timeout").fetchone() == ("5s",)


def test_a_refused_login_is_reported_as_such(published, caplog):
    refused = config.with_role(published, READER_TEST_ROLE, "not-the-password")
    client = create_app({"TESTING": True, "DATABASE_URL": refused}).test_client()

    for path in ("/ready", "/selection_criteria", "/kpi1"):
        response = client.get(path, headers={"Accept": "application/json"})
        assert response.status_code == 503, path
        assert response.json["code"] == "database_login_refused", path
    assert "the warehouse refused the API's login" in caplog.text


@pytest.mark.parametrize("path", ["/voucher", "/grouprankmetrics"])
def test_a_body_over_the_limit_is_a_413_json_error(published, path):
    client = create_app({"TESTING": True, "DATABASE_URL": published, "MAX_CONTENT_LENGTH": 1000}).test_client()

    response = client.post(path, data="[" + "0," * 1000 + "0]", content_type="application/json")

    assert response.status_code == 413
    assert response.json["code"] == "payload_too_large" and response.json["details"] == {"limit_bytes": 1000}


def test_every_page_answers_and_its_menu_links_every_page(client):
    pages = [page for domain in registry.domains() for page in domain.pages]
    assert pages
    for page in pages:
        response = client.get(page.path, headers={"Accept": "text/html"})
        assert response.status_code == 200, page.path
        html = response.get_data(as_text=True)
        assert all(f'<a href="{linked.path}">{linked.label}</a>' in html for linked in pages), page.path


def test_snapshots_list_what_each_domain_published(client):
    # Each domain's tests check its own rows (tests/<domain>/test_api.py).
    answer = client.get("/snapshots").json
    listed = {domain.name: [listing.name for listing in domain.listings] for domain in registry.domains()}
    assert answer.keys() == {name for name, listings in listed.items() if listings}
    assert all(answer[name][listing] for name in answer for listing in listed[name])


@pytest.mark.parametrize("path", ["/selection_criteria", "/grouprankdimensions?date_target=2018-09-17&dimension=zone"])
def test_an_answer_that_depends_on_accept_says_so(client, path):
    html = client.get(path, headers={"Accept": "text/html"})
    data = client.get(path, headers={"Accept": "application/json"})
    assert html.mimetype == "text/html" and data.mimetype == "application/json"
    assert "Accept" in html.vary and "Accept" in data.vary
    # An answer that is JSON whatever the client accepts does not vary.
    assert "Accept" not in client.get("/ready", headers={"Accept": "text/html"}).vary


def test_answers_carry_an_etag_revalidate_to_a_304_and_compress(client):
    first = client.get("/selection_criteria", headers={"Accept": "application/json", "Accept-Encoding": "gzip"})
    assert first.status_code == 200 and first.headers["Content-Encoding"] == "gzip"
    assert first.headers["ETag"] and first.cache_control.no_cache
    assert json.loads(gzip.decompress(first.get_data())) == client.get("/selection_criteria").json

    again = client.get(
        "/selection_criteria",
        headers={"Accept": "application/json", "Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]},
    )
    assert again.status_code == 304 and again.get_data() == b""
    # Health answers are never kept.
    assert client.get("/ready").cache_control.no_store


def test_the_front_page_links_every_domains_pages_and_says_what_each_published(client):
    answer = client.get("/", headers={"Accept": "application/json"}).json
    assert [domain["name"] for domain in answer["domains"]] == [domain.name for domain in registry.domains()]
    vouchers = next(domain for domain in answer["domains"] if domain["name"] == "vouchers")
    assert vouchers["facts"]["latest_voucher_snapshot"] == "2018-09-15"
    assert vouchers["from_sample"] is False

    page = client.get("/", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.mimetype == "text/html"
    for domain in registry.domains():
        for linked in domain.pages:
            assert f'href="{linked.path}"' in page.text
    assert 'href="/docs"' in page.text and "2018-09-15" in page.text
