"""The SMS channel as the registry, the console and imports know it."""

from core.config import ChannelInfo

INFO = ChannelInfo(
    name="sms",
    label_zh="短信",
    label_en="SMS",
    # No outbox quota of its own: the adapter limits SMS per number ([[inboxes]] per_number).
    # No import column either: the customer's id here is their phone, which contacts have.
    aliases=("短信", "手机短信", "text message"),
    phone_ids=True,  # a customer known only by phone is reached here
)
