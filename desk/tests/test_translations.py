"""Every screen is in Simplified Chinese and English: the catalogue is complete and used."""

from pathlib import Path

import polib
from django.conf import settings

PO = Path(settings.BASE_DIR) / "locale/zh_Hans/LC_MESSAGES/django.po"


def test_every_project_string_has_a_chinese_translation():
    catalogue = polib.pofile(str(PO))
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert untranslated == []
    assert fuzzy == []


def test_workspace_in_chinese(agent_client, settings):
    agent_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    html = agent_client.get("/desk/").content.decode()
    for text in ("工作台", "暂无会话", "请选择一个会话", "知识库", "工单", "退出登录", "在线"):
        assert text in html


def test_ticket_statuses_use_the_support_words(settings):
    from django.utils import translation

    from tickets.models import TicketStatus

    with translation.override("zh-hans"):
        labels = [str(label) for label in TicketStatus.labels]
    assert labels == ["新建", "已受理", "处理中", "待反馈", "已解决", "已关闭"]


def test_admin_in_chinese(supervisor_client, settings):
    supervisor_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    html = supervisor_client.get("/admin/").content.decode()
    for text in ("Unidesk 管理后台", "工单与 SLA", "客户与会话", "团队与分配", "知识库文章"):
        assert text in html
