"""Schema pieces every blueprint shares: JSON object bodies, timestamps in UTC, and query strings that refuse
unknown names."""

import datetime as dt

from apiflask import Schema, fields
from flask import request
from marshmallow import ValidationError, validates_schema
from werkzeug.exceptions import BadRequest

from api_endpoint.errors import ApiError


def require_json_object() -> None:
    """Refuse a request body before validation: 415 when it is not JSON, 400 when it is not a JSON object."""
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "the body must be JSON sent as Content-Type: application/json")
    try:
        body = request.get_json()
    except BadRequest as error:
        raise ApiError(400, "malformed_json", "the body is not valid JSON") from error
    except RecursionError as error:
        raise ApiError(400, "malformed_json", "the body is nested too deeply to read") from error
    if not isinstance(body, dict):
        raise ApiError(400, "malformed_json", "the body must be a JSON object")


def storable_text(value: str) -> None:
    """Refuse text PostgreSQL cannot hold or compare: a NUL character, or a lone UTF-16 surrogate."""
    if "\x00" in value:
        raise ValidationError("must not contain a NUL character")
    if any("\ud800" <= character <= "\udfff" for character in value):
        raise ValidationError("must not contain a lone surrogate: it is not valid Unicode text")


class UtcTimestamp(fields.Field):
    """A timestamp as `YYYY-MM-DD HH:MM:SS`, `YYYY-MM-DD_HH:MM:SS` or ISO 8601; UTC unless it carries an offset."""

    def _deserialize(self, value, attr, data, **kwargs) -> dt.datetime:
        if not isinstance(value, str):
            raise ValidationError("must be a string such as 2018-05-03 00:00:00")
        text = value.strip()
        if len(text) == 19 and text[10] == "_":
            text = f"{text[:10]}T{text[11:]}"
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError as error:
            raise ValidationError("not a timestamp: use YYYY-MM-DD_HH:MM:SS or ISO 8601") from error
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        try:
            return parsed.astimezone(dt.UTC)
        except OverflowError as error:
            # 0001-01-01T00:00:00+14:00 is in year 0 in UTC, 9999-12-31T23:59:59-14:00 in year 10000.
            raise ValidationError("out of range: in UTC it falls outside years 1 to 9999") from error

    def _jsonschema_type_mapping(self):
        return {"type": "string", "example": "2017-03-01_08:00:00"}


class QueryParameters(Schema):
    """Query-string parameters that refuse a name they do not know, so a typo is never silently ignored.

    webargs loads query strings with `unknown=EXCLUDE` whatever the schema says, so the check is made here,
    on the original data, and reaches the client as the same 400 naming the parameter.
    """

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def known_parameters(self, data, original_data, **kwargs):
        known = {field.data_key or name for name, field in self.fields.items()}
        unknown = sorted(set(original_data) - known)
        if unknown:
            raise ValidationError({name: [f"unknown parameter; use {sorted(known)}"] for name in unknown})
