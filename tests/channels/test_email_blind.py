"""A blind set of mail, written by someone who never read the intake's code, scored after the
signs were built and never tuned on (``email_support/blind``, labels in its LABELS.md).

61 messages to a home-appliance maker: 35 people (Chinese customers on QQ Mail, 163, Foxmail,
Outlook; Gmail, Hotmail, Yahoo users; old and new clients; customers asking for a VAT invoice
with their WeChat number, resellers asking prices, bare replies) and 26 machines without a
header saying so (Chinese and English spam from forged origins, phishing, scripted alerts and
forms). Every person must be answerable; the machines silenced are counted and printed (``-s``)
for docs/email.md. Do not change the signs to fit these files: that would end their use.
"""

from __future__ import annotations

from pathlib import Path

from channels.email.loops import usable_address
from channels.email.parse import ParsedEmail, parse_email

BLIND = Path(__file__).parent / "email_support" / "blind"
OWN = frozenset(f"{box}@hanlu-appliance.com" for box in ("service", "support", "sales", "invoice"))
# Machines silenced when the set was first scored (2026-12-04, forged-client signs): a floor,
# so a change that lets more of them through shows. Raise it when the signs get better.
MACHINES_SILENCED_FLOOR = 12


def _read(kind: str) -> dict[str, ParsedEmail]:
    return {p.name: parse_email(p.read_bytes(), OWN) for p in sorted((BLIND / kind).glob("*.eml"))}


def _answerable(mail: ParsedEmail) -> bool:
    return mail.auto_reason is None and usable_address(mail.sender)


def test_every_person_in_the_blind_set_is_answerable() -> None:
    people = _read("people")
    assert len(people) == 35
    silenced = {n: [s.name for s in m.signs] for n, m in people.items() if not _answerable(m)}
    assert not silenced


def test_machines_in_the_blind_set_are_counted() -> None:
    machines = _read("machines")
    assert len(machines) == 26
    silenced = sorted(n for n, m in machines.items() if not _answerable(m))
    print(f"\nblind set: machines silenced {len(silenced)}/{len(machines)}")
    assert len(silenced) >= MACHINES_SILENCED_FLOOR
