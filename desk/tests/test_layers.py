"""The layer order (.importlinter, CONTRIBUTING.md "Layers") holds, so `manage.py test` enforces it
as CI's lint step does: desk.kernel < routing < chat < tickets < desk's features < project wiring.
"""

import configparser
import os
import pkgutil
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import desk

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("desk", "chat", "tickets", "routing")


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """`lint-imports` of this virtualenv on the project at `root` (its .importlinter)."""
    command = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(command), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_layer_contract_holds():
    result = lint_imports(ROOT)

    if result.returncode != 0:
        pytest.fail(f"lint-imports failed:\n{result.stdout}\n{result.stderr}", pytrace=False)


def test_every_module_of_desk_has_its_layer():
    """A module directly under desk/ that no layer names would escape the contract."""
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    layered = set(re.split(r"[\s:|]+", config["importlinter:contract:layers"]["layers"]))
    children = {f"desk.{m.name}" for m in pkgutil.iter_modules(desk.__path__)}

    missing = children - layered - {"desk.tests", "desk.migrations"}

    assert missing == set(), f"give these a layer in .importlinter: {sorted(missing)}"


def project_copy(tmp_path: Path) -> Path:
    """The project's Python packages and contract, copied where a probe may be added."""
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=lambda folder, names: (
                [n for n in names if not n.endswith(".py") and not (Path(folder) / n).is_dir()]
                + ["__pycache__"]
            ),
        )
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


@pytest.mark.parametrize(
    ("probe", "source", "importer", "imported"),
    [
        # An interface of chat reaching up into tickets (the widget's old ticket endpoints).
        ("chat/widget/layer_probe.py", "from tickets.widget import api\n", "chat", "tickets"),
        # A cycle between apps: routing below chat.
        ("routing/layer_probe.py", "import chat.models\n", "routing", "chat"),
        # The kernel is independent of everything above it.
        (
            "desk/kernel/layer_probe.py",
            "from desk.workspace import views\n",
            "desk.kernel",
            "desk.workspace",
        ),
        # A feature of desk reaching the project wiring.
        ("desk/workspace/layer_probe.py", "import desk.urls\n", "desk.workspace", "desk.urls"),
    ],
    ids=["widget-to-tickets", "routing-to-chat", "kernel-to-workspace", "workspace-to-urls"],
)
def test_an_upward_import_breaks_the_contract(tmp_path, probe, source, importer, imported):
    root = project_copy(tmp_path)
    assert lint_imports(root).returncode == 0  # the copy alone keeps it

    (root / probe).write_text(source)
    result = lint_imports(root)

    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{importer} is not allowed to import {imported}" in result.stdout
    assert probe.removesuffix(".py").replace("/", ".") in result.stdout
