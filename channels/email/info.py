"""The email channel as the registry, the console and imports know it."""

from core.config import ChannelInfo

INFO = ChannelInfo(
    name="email",
    label_zh="邮件",
    label_en="Email",
    aliases=("邮件", "邮箱", "电子邮件", "mail"),
)
