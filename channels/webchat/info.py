"""The web chat channel as the registry, the console and imports know it."""

from core.config import ChannelInfo

INFO = ChannelInfo(
    name="webchat",
    label_zh="网页",
    label_en="Web chat",
    inbox=False,  # its one inbox ("web") is built in, not an [[inboxes]] entry
    aliases=("网页", "在线", "在线客服", "网站", "web"),
)
