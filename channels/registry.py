"""The channel registry: a new channel adds its folder and one line here, and touches nothing else.

Each line names the channel's metadata (``channels/<name>/info.py``: labels, per-channel
defaults, import spellings), its adapter and, when it has them, its command-line tools, its
``[[inboxes]]`` validator and the module of its own ``kefu.toml`` section (imported here, which
registers it). The console's labels, import/export columns and config defaults
(e.g. ``[outbox] rate_limits``) are read from here through ``Settings.channels``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from channels.base import AdapterFactory
from channels.email.adapter import EmailAdapter
from channels.email.info import INFO as EMAIL
from channels.sms.adapter import SmsAdapter
from channels.sms.info import INFO as SMS
from channels.webchat.adapter import WebchatAdapter
from channels.webchat.info import INFO as WEBCHAT
from channels.wechat.adapter import WechatAdapter
from channels.wechat.info import INFO as WECHAT
from channels.wecom_kf.adapter import WecomKfAdapter
from channels.wecom_kf.info import INFO as WECOM_KF
from core.config import ChannelInfo, Settings, parse_rate_limits, set_channel_source
from core.errors import ConfigError


@dataclass(frozen=True)
class Channel:
    """One registered channel.

    ``cli``: a module with ``add_arguments(parser)`` and ``async def run(args, settings) -> int``
    for ``kefu <name> ...``. ``validator``: "module:function" taking an InboxSettings and raising
    ConfigError that names the inbox and the key. ``settings``: a module declaring the
    channel's own settings section(s) (``core.sections.register``), e.g. ``[webchat]``.
    """

    info: ChannelInfo
    adapter: AdapterFactory
    cli: str = ""
    validator: str = ""
    settings: str = ""


CHANNELS: dict[str, Channel] = {
    c.info.name: c
    for c in (
        Channel(WEBCHAT, WebchatAdapter, settings="channels.webchat.settings"),
        Channel(EMAIL, EmailAdapter, "channels.email.cli", "channels.email.config:validate"),
        Channel(WECHAT, WechatAdapter, "channels.wechat.cli", "channels.wechat.config:validate"),
        Channel(WECOM_KF, WecomKfAdapter, validator="channels.wecom_kf.config:validate"),
        Channel(SMS, SmsAdapter, validator="channels.sms.config:validate"),
    )
}

# What core/app.py and core/cli.py wire, derived from CHANNELS.
ADAPTERS: dict[str, AdapterFactory] = {n: c.adapter for n, c in CHANNELS.items()}
CLI_COMMANDS: dict[str, str] = {n: c.cli for n, c in CHANNELS.items() if c.cli}
VALIDATORS: dict[str, str] = {n: c.validator for n, c in CHANNELS.items() if c.validator}
for _channel in CHANNELS.values():  # each channel's own kefu.toml section, registered
    if _channel.settings:
        importlib.import_module(_channel.settings)


def infos() -> tuple[ChannelInfo, ...]:
    """Every registered channel's metadata, in registry order (read when called)."""
    for name, c in CHANNELS.items():
        if c.info.name != name:
            raise ValueError(f"channel registry: {name!r} is registered with {c.info.name!r}")
        try:
            parse_rate_limits([f"{name}: {c.info.rate_limit}"] if c.info.rate_limit else [])
        except ConfigError:
            raise ValueError(
                f"channel registry: {name} rate_limit {c.info.rate_limit!r} must be "
                "'sends/seconds', e.g. '600/60'"
            ) from None
    return tuple(c.info for c in CHANNELS.values())


# Settings loaded from now on carry the channels (load_settings reads them through this).
set_channel_source(infos)


def validate_inboxes(settings: Settings) -> None:
    """Check every configured inbox with its channel's rules (ConfigError on the first bad one)."""
    for inbox in settings.inboxes:
        channel = CHANNELS.get(inbox.channel)
        if channel is None or not channel.info.inbox:
            known = ", ".join(sorted(n for n, c in CHANNELS.items() if c.info.inbox))
            raise ConfigError(
                f"Config [[inboxes]] {inbox.name} channel {inbox.channel!r} is unknown; "
                f"known: {known}."
            )
        if channel.validator:
            module, func = channel.validator.split(":")
            getattr(importlib.import_module(module), func)(inbox)
