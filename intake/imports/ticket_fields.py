"""What a ticket file's columns and values may say: headers, statuses, priorities, channels.

Chinese and English spellings of the same thing map to kefu's values; anything else in a
status or priority column is rejected with the list of accepted values. The channels, their
spellings and the customer id columns come from the channel registry (``Settings.channels``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from core.config import ChannelInfo
from core.imports.columns import Field

STATUS = {
    **dict.fromkeys(("new", "新建", "新", "待处理", "未处理", "待受理"), "new"),
    **dict.fromkeys(("open", "处理中", "进行中", "已受理", "打开", "in progress"), "open"),
    **dict.fromkeys(("pending", "挂起", "等待客户", "待客户回复", "待回复", "on hold"), "pending"),
    **dict.fromkeys(("resolved", "已解决", "解决", "已完成", "完成", "solved", "done"), "resolved"),
    **dict.fromkeys(("closed", "已关闭", "关闭", "已结案", "结案"), "closed"),
}
PRIORITY = {
    **dict.fromkeys(("", "normal", "普通", "一般", "正常", "低", "中", "low", "medium"), "normal"),
    **dict.fromkeys(("high", "高", "重要"), "high"),
    **dict.fromkeys(("urgent", "紧急", "加急", "非常紧急", "critical"), "urgent"),
}
# Where old tickets came from that is not a kefu channel.
SOURCES = dict.fromkeys(("phone", "电话", "热线", "400"), "phone")


def channel_words(channels: Iterable[ChannelInfo]) -> dict[str, str]:
    """Lower-cased words a channel column may hold -> the channel: names, labels, aliases."""
    channels = tuple(channels)
    out = {c.name.lower(): c.name for c in channels}
    for c in channels:
        for word in (c.label_zh, c.label_en, *c.aliases):
            out.setdefault(word.strip().lower(), c.name)
    for word, source in SOURCES.items():
        out.setdefault(word, source)
    return out


NUMBER = re.compile(r"#?[A-Za-z]{0,6}[-_]?0*(\d{1,9})")

BEFORE_IDS = (
    Field(
        "number",
        ("工单号", "工单编号", "编号", "单号", "ticket", "ticket no", "ticket number", "no", "id"),
    ),
    Field("subject", ("标题", "主题", "工单标题", "问题", "title")),
    Field(
        "description",
        ("描述", "内容", "问题描述", "详情", "详细描述", "content", "details", "body"),
    ),
    Field("status", ("状态", "工单状态")),
    Field("priority", ("优先级", "紧急程度")),
    Field("category", ("分类", "类别", "类型", "问题分类", "type")),
    Field("channel", ("渠道", "来源", "来源渠道", "source")),
    Field("created_at", ("创建时间", "提交时间", "开始时间", "日期", "created", "date")),
    Field("first_response_at", ("首次响应时间", "首次回复时间", "first response")),
    Field("resolved_at", ("解决时间", "完成时间", "resolved")),
    Field("closed_at", ("关闭时间", "closed")),
    Field("customer_name", ("客户", "客户名称", "客户姓名", "姓名", "customer", "name")),
    Field(
        "customer_phone",
        ("客户手机", "客户电话", "手机", "手机号", "电话", "联系电话", "phone", "mobile"),
    ),
    Field("customer_email", ("客户邮箱", "邮箱", "电子邮件", "email")),
)
AFTER_IDS = (
    Field("assignee", ("负责人", "处理人", "客服", "经办人", "agent", "owner")),
    Field("csat", ("满意度", "评分", "rating")),
)


def id_field(channel: ChannelInfo) -> Field:
    """The column of the customer's id on a channel: ``customer_wechat`` (客户微信, 微信...)."""
    return Field(
        f"customer_{channel.name}", (f"客户{channel.label_zh}", channel.name, *channel.id_headers)
    )


def ticket_fields(ids: Sequence[ChannelInfo]) -> tuple[Field, ...]:
    """The ticket fields, with a customer id column for each channel in ``ids``."""
    return (*BEFORE_IDS, *(id_field(c) for c in ids), *AFTER_IDS)
