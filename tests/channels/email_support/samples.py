"""A labelled set of realistic mail for the "automatic sender" decision (tests/channels/
test_email_signs.py): customers' mail that must be answered, however much of it looks like a
machine's (links, signatures, pasted confirmations, quoted replies, forwards, company
gateways; samples_people.py, samples_more_people.py), and machines' mail that carries no header
saying so and must not be (samples_robots.py). How each is written: mail_builders.py."""

from __future__ import annotations

from email.message import EmailMessage

from tests.channels.email_support.mail_builders import mail, raw
from tests.channels.email_support.samples_more_people import MORE_PEOPLE
from tests.channels.email_support.samples_people import PEOPLE
from tests.channels.email_support.samples_robots import ROBOTS

CUSTOMERS: list[tuple[str, EmailMessage]] = PEOPLE + MORE_PEOPLE

__all__ = ["CUSTOMERS", "ROBOTS", "mail", "raw"]
