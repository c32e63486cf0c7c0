"""Masked display of contact data by role: 138****8000, w***@example.com, 上海市****.

PIPL's "minimum necessary" rule: an agent sees a customer's phone number, email address and
street address only when their role needs them (``[privacy] full_view_roles``); anyone else
sees them masked and may reveal one field on purpose (``reveal_roles``), which the access
trail records. Masking keeps enough to recognise the customer on the phone ("ending 8000").
"""

from __future__ import annotations

import re
from typing import Any

from core.models import Agent
from privacy.settings import PrivacySettings

MASKED_FIELDS = ("phone", "email", "address")
_DIGITS = re.compile(r"\d")
# Channels whose identity is itself an email address or a phone number.
_IDENTITY_KIND = {"email": "email", "sms": "phone", "phone": "phone"}


def mask_phone(value: str) -> str:
    """Keep the first three and last four digits: ``13812348000`` -> ``138****8000``."""
    digits = _DIGITS.findall(value)
    if len(digits) == 13 and digits[:2] == ["8", "6"]:
        digits = digits[2:]  # +86: the mobile number itself is what agents recognise
    if len(digits) < 7:
        return "*" * len(value)
    head, tail = "".join(digits[:3]), "".join(digits[-4:])
    return f"{head}****{tail}"


def mask_email(value: str) -> str:
    """Keep the first letter and the domain: ``wang.fang@example.com`` -> ``w***@example.com``."""
    local, at, domain = value.rpartition("@")
    if not at or not local:
        return "***"
    return f"{local[0]}***@{domain}"


def mask_address(value: str) -> str:
    """Keep the first few characters (the city), hide the rest."""
    keep = min(3, max(0, len(value) // 3))
    return value[:keep] + "****" if value else value


MASKERS = {"phone": mask_phone, "email": mask_email, "address": mask_address}


def sees_full(agent: Agent, settings: PrivacySettings) -> bool:
    """Whether the agent's role shows contact data unmasked."""
    return agent.role in settings.full_view_roles


def may_reveal(agent: Agent, settings: PrivacySettings) -> bool:
    """Whether the agent may reveal a masked field (each reveal is logged)."""
    return sees_full(agent, settings) or agent.role in settings.reveal_roles


def mask_value(kind: str, value: str | None) -> str | None:
    """``value`` masked as a ``kind`` (phone, email, address); None stays None."""
    if value is None or value == "":
        return value
    return MASKERS[kind](value)


def mask_contact(contact: dict[str, Any], identities: list[dict[str, Any]]) -> list[str]:
    """Mask the contact's personal fields and identities in place; the names of masked fields."""
    masked = []
    for kind in MASKED_FIELDS:
        if contact.get(kind):
            contact[kind] = mask_value(kind, str(contact[kind]))
            masked.append(kind)
    for ident in identities:
        as_kind = _IDENTITY_KIND.get(str(ident.get("channel")))
        if as_kind and ident.get("external_id"):
            ident["external_id"] = mask_value(as_kind, str(ident["external_id"]))
    return masked
