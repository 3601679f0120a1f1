"""JSON from clients, parsed one way for sockets, the REST API and cursors.

`json.loads` raises `RecursionError` (not `ValueError`) on deeply nested input such as
`[[[[…`: uncaught, that closed a socket with 1011 and made an API endpoint answer 500. Here both
that and anything nested deeper than `MAX_JSON_DEPTH` are an `InvalidJson` (a `ValueError`), as
are `NaN`/`Infinity`, which are not JSON.
"""

import codecs
import json
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32  # arrays/objects inside each other; every real payload nests 3 or 4 deep


class InvalidJson(ValueError):
    """Not JSON, or JSON nested deeper than `MAX_JSON_DEPTH`."""


def _no_constants(name: str) -> Any:
    raise InvalidJson(f"{name} is not JSON")


def json_depth_exceeds(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether arrays/objects in `value` nest deeper than `limit` (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def json_loads(text: str | bytes) -> Any:
    """`json.loads` that only ever fails with `InvalidJson`."""
    try:
        value = json.loads(text, parse_constant=_no_constants)
    except RecursionError as exc:
        raise InvalidJson("nested too deeply") from exc
    except InvalidJson:
        raise
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise InvalidJson(str(exc)) from exc
    if json_depth_exceeds(value):
        raise InvalidJson(f"nested deeper than {MAX_JSON_DEPTH}")
    return value


class JsonParser(JSONParser):
    """DRF's JSON parser on `json_loads`: bad or too-deep JSON is a 400 `invalid_json`.
    (A `ParseError`, not `desk.kernel.api_errors.ApiError`: DRF imports this class while `APIView`,
    which that module imports, is being defined.)"""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json_loads(codecs.getreader(encoding)(stream).read())
        except (InvalidJson, UnicodeDecodeError, LookupError) as exc:
            message = _("The request body is not valid JSON (or nests deeper than %(n)d levels).")
            raise ParseError(message % {"n": MAX_JSON_DEPTH}, code="invalid_json") from exc
