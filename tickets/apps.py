from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets and SLA")

    def ready(self) -> None:
        # What tickets adds to the widget below it (chat never imports tickets: CONTRIBUTING.md,
        # "Layers"): the menu (转工单 way 3) in every widget site config.
        from chat.widget.extensions import site_config_part_register
        from tickets.sources.menu.selectors import site_menu_json
        from tickets.widget.serializers import site_menu_field

        site_config_part_register(
            "menu", field=site_menu_field, build=lambda site: site_menu_json(site.pk)
        )

        # A waiting conversation's countdown in business time, for the inbox list.
        from chat.sla_clocks import clocks_register
        from tickets.sla.conversations import conversation_clocks

        clocks_register(conversation_clocks)

        # The category classifier (issue 13) names categories for routing's category rules.
        from routing.rules import category_detector_register
        from tickets.assist.classifier import categories_detect

        category_detector_register(categories_detect)
