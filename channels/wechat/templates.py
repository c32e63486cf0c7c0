"""Template messages: reaching a customer after the 48-hour customer-service window closed.

Notices and the survey are system messages; when WeChat's window is closed (or its five
messages are used up) and the inbox maps a ``template_id``, they go out as an Official
Account template message instead of being lost. Agents' own replies never do: a template is
a notice, not a conversation. The template's keys are the inbox's ``template_fields``
(template key -> one of title, ticket, text, footer).
"""

from __future__ import annotations

from typing import Any

from channels.wechat.api import ApiClient, ApiRefused
from core.errors import PermanentDeliveryError

PATH = "/cgi-bin/message/template/send"
DEFAULT_FIELDS = {"first": "title", "keyword1": "ticket", "keyword2": "text", "remark": "footer"}
VALUES = ("title", "ticket", "text", "footer")
TITLE = "服务进度通知 / Service update"
FOOTER = "回复本公众号即可继续沟通。/ Reply to us here to continue."
MAX_VALUE = 200

UNSUBSCRIBED = (
    "客户已取消关注公众号，模板消息无法送达；请通过其他渠道联系客户。"
    " / The customer unfollowed the Official Account: template messages cannot reach them."
)
BAD_TEMPLATE = (
    "模板 ID 无效或已被删除，请检查 kefu.toml 中该收件箱的 template_id（kefu check-config）。"
    " / The template id is invalid or was deleted: check the inbox's template_id in kefu.toml."
)


def body(
    openid: str, template_id: str, fields: dict[str, str], text: str, ticket: int | None
) -> dict[str, Any]:
    """The template/send request for one notice."""
    values = {
        "title": TITLE,
        "ticket": f"#{ticket}" if ticket else "-",
        "text": text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…",
        "footer": FOOTER,
    }
    data = {key: {"value": values[name]} for key, name in fields.items()}
    return {"touser": openid, "template_id": template_id, "data": data}


async def send(
    api: ApiClient,
    openid: str,
    template_id: str,
    fields: dict[str, str],
    text: str,
    ticket: int | None,
) -> None:
    """Send one template message; a refusal the console can act on when WeChat says no."""
    try:
        await api.post(PATH, body(openid, template_id, fields, text, ticket))
    except ApiRefused as err:
        if err.errcode == 43004:
            raise PermanentDeliveryError(
                f"{UNSUBSCRIBED} (errcode 43004)", code="wechat_43004"
            ) from err
        if err.errcode == 40037:
            raise PermanentDeliveryError(
                f"{BAD_TEMPLATE} (errcode 40037)", code="wechat_40037"
            ) from err
        raise
