from django.core.management.base import BaseCommand

from desk.demo import demo_load


class Command(BaseCommand):
    help = "Load the demo teams, logins, customers, conversations and tickets (idempotent)."

    def handle(self, *args, **options):
        created = demo_load()
        self.stdout.write(
            f"Demo data ready: {created['accounts']} logins and "
            f"{created['customers']} customers created."
        )
