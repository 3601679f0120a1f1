"""Compile locale/*.po into .mo files with polib, so no GNU gettext is needed on the machine."""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


def compile_translations() -> list[Path]:
    """Compile every .po under LOCALE_PATHS whose .mo is missing or older; return what was built."""
    built = []
    for root in settings.LOCALE_PATHS:
        for po_path in Path(root).glob("*/LC_MESSAGES/*.po"):
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
            built.append(mo_path)
    return built


class Command(BaseCommand):
    help = "Compile the project's translations (.po → .mo)."

    def handle(self, *args, **options):
        for path in compile_translations():
            self.stdout.write(f"compiled {path}")
