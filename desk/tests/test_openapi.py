"""docs/openapi.yaml is the schema the code generates: regenerate it when the API changes with
`python3 manage.py spectacular --file docs/openapi.yaml`."""

from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.utils import translation


def test_committed_openapi_document_matches_the_code(tmp_path):
    generated = tmp_path / "openapi.yaml"
    # In the language `manage.py spectacular` uses, whatever an earlier test left active.
    with translation.override(settings.LANGUAGE_CODE):
        call_command("spectacular", "--file", str(generated), "--validate", "--fail-on-warn")
    committed = Path(settings.BASE_DIR) / "docs/openapi.yaml"
    assert committed.read_text() == generated.read_text(), (
        "docs/openapi.yaml is stale: run `python3 manage.py spectacular --file docs/openapi.yaml`"
    )
