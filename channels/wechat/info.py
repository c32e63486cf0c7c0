"""The WeChat Official Account channel as the registry, the console and imports know it."""

from core.config import ChannelInfo

INFO = ChannelInfo(
    name="wechat",
    label_zh="微信",
    label_en="WeChat",
    rate_limit="600/60",  # sends per 60 s of each inbox (platform API quota)
    aliases=("微信", "公众号", "微信公众号"),
    id_headers=("微信", "微信号", "微信id", "openid", "weixin", "wechat id", "wx"),
)
