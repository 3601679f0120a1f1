"""What a shop visitor downloads for the chat widget, raw and gzipped (level 9).

Before the launcher is clicked: loader.js only. After: the iframe page (rendered for a site like
the demo's, with both languages' strings) and the files it loads (widget.js with its modules,
widget.css). On demand: modules the widget imports only when used (menu.js, on the first menu
choice; help.js, on the first click of Help). API answers and the WebSocket are not counted.

    .venv/bin/python bench/widget_size.py
"""

import gzip
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "desk.settings")
os.environ.setdefault("UNIDESK_NO_BOOTSTRAP", "1")

STATIC = ROOT / "static" / "widget"
# widget.js and every module it imports, and the stylesheet: all of static/widget/ but the loader
AFTER_FILES = sorted(p.name for p in STATIC.iterdir() if p.suffix in (".js", ".css"))
AFTER_FILES.remove("loader.js")
ON_DEMAND_FILES = ["menu.js", "help.js"]  # import()ed on first use, never by the first page
for name in ON_DEMAND_FILES:
    AFTER_FILES.remove(name)


def frame_html() -> bytes:
    import django

    django.setup()
    from django.template.loader import render_to_string
    from django.utils import translation

    from chat.models import PrechatField, WidgetSite
    from chat.widget.views import frame_context

    site = WidgetSite(
        key="demo",
        name="演示商店 Demo shop",
        welcome_zh="您好！欢迎光临演示商店，有什么可以帮您？",
        welcome_en="Hi! Welcome to the demo shop. How can we help?",
        prechat_enabled=True,
        prechat_name=PrechatField.REQUIRED,
        prechat_email=PrechatField.OPTIONAL,
        prechat_topic=PrechatField.OPTIONAL,
        prechat_topics="订单 Orders\n退换货 Returns\n其他 Other",
    )
    with translation.override("zh-hans"):
        return render_to_string("widget/frame.html", frame_context(site)).encode()


def sizes(name: str, data: bytes) -> tuple[str, int, int]:
    return name, len(data), len(gzip.compress(data, compresslevel=9))


def main() -> None:
    before = [sizes("loader.js", (STATIC / "loader.js").read_bytes())]
    after = [sizes("frame HTML", frame_html())]
    after += [sizes(name, (STATIC / name).read_bytes()) for name in AFTER_FILES]
    later = [sizes(name, (STATIC / name).read_bytes()) for name in ON_DEMAND_FILES]
    print(f"{'file':<14}{'raw bytes':>12}{'gzip bytes':>12}")
    groups = (("before opening", before), ("after opening", after), ("on demand", later))
    for title, rows in groups:
        print(f"-- {title}")
        for name, raw, packed in rows:
            print(f"{name:<14}{raw:>12}{packed:>12}")
        print(f"{'total':<14}{sum(r[1] for r in rows):>12}{sum(r[2] for r in rows):>12}")
    total = before + after + later
    print(f"-- everything: {sum(r[1] for r in total)} raw, {sum(r[2] for r in total)} gzipped")


if __name__ == "__main__":
    main()
