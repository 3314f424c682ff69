"""The API's documentation, served whole by the app: Swagger UI's assets come from the pinned `swagger-ui-bundle-v2`
package rather than a CDN, so `/docs` works without the internet; the OpenAPI document names each operation and
no server (or the one `API_PUBLIC_URL` configures), so no request's `Host` header can change it."""

from apiflask import APIBlueprint, APIFlask
from flask import send_from_directory
from swagger_ui_bundle import swagger_ui_path

from warehouse import config

bp = APIBlueprint("docs_assets", __name__, enable_openapi=False)
ASSETS = "/docs/assets"


@bp.get(f"{ASSETS}/<path:name>")
def asset(name: str):
    """Swagger UI's scripts, styles and icons, from the installed package."""
    return send_from_directory(swagger_ui_path, name, max_age=86400)


# Answered without the database: everything else answers 503 JSON while the database is away.
NO_DATABASE = {"/check_status", "/docs", "/openapi.json"}
UNAVAILABLE = {
    "description": "The warehouse database is unavailable (`database_unavailable`) or refused the API's login "
    "(`database_login_refused`).",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPError"}}},
}


def document_unavailable(spec: dict) -> dict:
    """Add the 503 every database-backed operation can answer to the generated document."""
    for path, item in spec["paths"].items():
        if path in NO_DATABASE:
            continue
        for operation in item.values():
            operation["responses"].setdefault("503", UNAVAILABLE)
    return spec


def init_app(app: APIFlask) -> None:
    app.config.update(
        SWAGGER_UI_CSS=f"{ASSETS}/swagger-ui.css",
        SWAGGER_UI_BUNDLE_JS=f"{ASSETS}/swagger-ui-bundle.js",
        SWAGGER_UI_STANDALONE_PRESET_JS=f"{ASSETS}/swagger-ui-standalone-preset.js",
        DOCS_FAVICON=f"{ASSETS}/favicon-32x32.png",
        AUTO_OPERATION_ID=True,
        AUTO_VALIDATION_ERROR_RESPONSE=False,
        AUTO_SERVERS=False,
        SERVERS=[{"url": config.API_PUBLIC_URL.value()}] if config.API_PUBLIC_URL.is_set() else None,
    )
    app.register_blueprint(bp)
    app.spec_processor(document_unavailable)
