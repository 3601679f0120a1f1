from django.core.management.base import BaseCommand

from chat.search.index import messages_backfill
from tickets.search.index import tickets_backfill


class Command(BaseCommand):
    help = (
        "Index the messages and tickets stored before search existed, or whose index rows are "
        "missing (idempotent; --rebuild rewrites every row)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="Rewrite every row.")

    def handle(self, *args, rebuild: bool = False, **options):
        messages = messages_backfill(rebuild=rebuild)
        tickets = tickets_backfill(rebuild=rebuild)
        self.stdout.write(f"Indexed {messages} messages and {tickets} tickets.")
