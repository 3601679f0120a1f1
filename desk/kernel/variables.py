"""`{{name}}` variables in a text written by a supervisor (a canned reply's body, a WhatsApp
template's parameters), filled from values the caller knows. Spaces inside the braces are
allowed. A variable that is unknown, or whose value is empty, stays as written and is named in
`unfilled`, so the caller can show it or refuse; nothing here raises."""

import re
from collections.abc import Mapping
from dataclasses import dataclass

VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}")


@dataclass(frozen=True)
class Rendered:
    body: str
    unfilled: list[str]  # the variables left as written (unknown or without a value), in order


def fill_variables(template: str, values: Mapping[str, str]) -> Rendered:
    """Replace each `{{name}}` whose value is known and not empty; leave the others."""
    unfilled: list[str] = []

    def replace(match: re.Match[str]) -> str:
        value = values.get(match.group(1), "")
        if value:
            return value
        if match.group(1) not in unfilled:
            unfilled.append(match.group(1))
        return match.group(0)

    return Rendered(body=VARIABLE.sub(replace, template), unfilled=unfilled)
