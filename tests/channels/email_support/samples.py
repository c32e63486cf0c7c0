"""A labelled set of realistic mail for the "automatic sender" decision (tests/channels/
test_email_signs.py): customers' mail that must be answered, however much of it looks like a
machine's (links, signatures, pasted confirmations, quoted replies, forwards, company
gateways; samples_people.py, samples_more_people.py), and machines' mail that carries no header
saying so and must not be (samples_robots.py); people close to the signs of a forged client or
trace, and spam tools' mail that carries them (samples_forgery.py); Chinese sales pitches and the
customers close to them (samples_pitch.py). How each is written:
mail_builders.py."""

from __future__ import annotations

from email.message import EmailMessage

from tests.channels.email_support.mail_builders import mail, raw
from tests.channels.email_support.samples_forgery import FORGERY_PEOPLE, FORGERY_ROBOTS
from tests.channels.email_support.samples_more_people import MORE_PEOPLE
from tests.channels.email_support.samples_people import PEOPLE
from tests.channels.email_support.samples_pitch import PITCH_PEOPLE, PITCH_ROBOTS
from tests.channels.email_support.samples_robots import ROBOTS as MACHINES

CUSTOMERS: list[tuple[str, EmailMessage]] = PEOPLE + MORE_PEOPLE + FORGERY_PEOPLE + PITCH_PEOPLE
ROBOTS: list[tuple[str, EmailMessage, str]] = MACHINES + FORGERY_ROBOTS + PITCH_ROBOTS

__all__ = ["CUSTOMERS", "ROBOTS", "mail", "raw"]
