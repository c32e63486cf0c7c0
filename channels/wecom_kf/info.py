"""The WeCom 微信客服 channel as the registry, the console and imports know it."""

from core.config import ChannelInfo

INFO = ChannelInfo(
    name="wecom_kf",
    label_zh="企业微信客服",
    label_en="WeCom kf",
    rate_limit="600/60",  # sends per 60 s of each inbox (platform API quota)
    aliases=("企业微信", "微信客服"),
)
