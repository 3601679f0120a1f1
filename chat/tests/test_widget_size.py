"""The widget stays small (docs/performance.md, "Widget size"): what bench/widget_size.py measures,
held to a budget in gzipped bytes, so a change that makes the widget heavy fails here first."""

import importlib.util

from django.conf import settings

LOADER_BUDGET = 3 * 1024  # before the launcher is clicked
AFTER_OPENING_BUDGET = 25 * 1024  # the frame page, widget.js and its modules, widget.css
ON_DEMAND_BUDGET = 3 * 1024  # each module loaded by import() on first use


def bench():
    path = settings.BASE_DIR / "bench" / "widget_size.py"
    spec = importlib.util.spec_from_file_location("widget_size", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_widget_is_within_its_size_budget():
    size = bench()
    static = size.STATIC
    _name, _raw, loader = size.sizes("loader.js", (static / "loader.js").read_bytes())
    assert loader <= LOADER_BUDGET
    after = [size.sizes("frame HTML", size.frame_html())]
    after += [size.sizes(name, (static / name).read_bytes()) for name in size.AFTER_FILES]
    assert sum(packed for _name, _raw, packed in after) <= AFTER_OPENING_BUDGET
    for name in size.ON_DEMAND_FILES:
        assert size.sizes(name, (static / name).read_bytes())[2] <= ON_DEMAND_BUDGET, name
    # help.js and menu.js are never part of the first load
    assert {"help.js", "menu.js"} <= set(size.ON_DEMAND_FILES)
    assert not {"help.js", "menu.js"} & set(size.AFTER_FILES)
