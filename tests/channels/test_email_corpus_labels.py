"""The real-world corpus, read by hand: people are answered, machines are not.

``tests/channels/email_support/corpus_labels.py`` labels every mail of ``../shared/fixtures/
email`` that kefu answered before the signs of spam tools: 108 people (mail libraries' test
messages written as from people, replies, forwards) and 13 machines (spam and automatic mail
with no header saying so). Each person must be answerable; each machine must not be, except
the ones no general sign tells from a person's mail (``FILTER_ONLY``, none since the signs of
forged clients and traces), which are not answered as soon as a spam filter marks them. The
counts are printed (``-s``) and recorded in docs/email.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.common import shared_dir
from channels.email.loops import usable_address
from channels.email.parse import ParsedEmail, parse_email
from tests.channels.email_support.app import ADDRESS
from tests.channels.email_support.corpus_labels import FILTER_ONLY, MACHINES, PEOPLE
from tests.channels.email_support.samples import CUSTOMERS, ROBOTS
from tests.conftest import shared_missing

FIXTURES = shared_dir("fixtures/email")
OWN = frozenset({ADDRESS})


def raw(name: str) -> bytes:
    path: Path = FIXTURES / name
    if not path.is_file():
        shared_missing(f"../shared/fixtures/email/{name}")
    return path.read_bytes()


def read(name: str) -> ParsedEmail:
    return parse_email(raw(name), OWN)


def test_the_labels_cover_distinct_files() -> None:
    assert len(PEOPLE) == len(set(PEOPLE)) >= 100
    assert not set(PEOPLE) & set(MACHINES)
    assert FILTER_ONLY <= set(MACHINES)


@pytest.mark.parametrize("name", PEOPLE)
def test_a_person_in_the_corpus_is_answerable(name: str) -> None:
    mail = read(name)
    assert usable_address(mail.sender)
    assert mail.auto_reason is None, (name, [s.name for s in mail.signs])


@pytest.mark.parametrize("name", sorted(set(MACHINES) - FILTER_ONLY))
def test_a_machine_in_the_corpus_is_not_answerable(name: str) -> None:
    mail = read(name)
    assert mail.auto_reason is not None, (name, MACHINES[name], [s.name for s in mail.signs])


@pytest.mark.parametrize("name", sorted(MACHINES))
def test_a_machine_is_not_answered_once_a_filter_marks_it(name: str) -> None:
    """A spam filter's verdict in front of kefu decides, whatever the signs (and it is all
    that tells a ``FILTER_ONLY`` machine, when there is one)."""
    marked = parse_email(b"X-Spam-Flag: YES\r\n" + raw(name), OWN)
    assert marked.auto_reason == "spam"


def test_the_labelled_sets_results() -> None:
    """Both labelled sets at once, as docs/email.md records them: every person answered,
    every machine silenced but the filter's."""
    people = [read(n) for n in PEOPLE]
    machines = {n: read(n) for n in MACHINES}
    silenced = sorted(n for n, m in machines.items() if m.auto_reason is not None)
    samples_people = [parse_email(m.as_bytes(), OWN) for _n, m in CUSTOMERS]
    samples_robots = [parse_email(m.as_bytes(), OWN) for _n, m, _r in ROBOTS]
    report = {
        "corpus people answered": f"{sum(m.auto_reason is None for m in people)}/{len(people)}",
        "corpus machines silenced": f"{len(silenced)}/{len(machines)}",
        "samples customers answered": (
            f"{sum(m.auto_reason is None for m in samples_people)}/{len(samples_people)}"
        ),
        "samples machines silenced": (
            f"{sum(m.auto_reason is not None for m in samples_robots)}/{len(samples_robots)}"
        ),
    }
    print("\nlabelled sets:", report)
    assert all(m.auto_reason is None for m in people + samples_people)
    assert all(m.auto_reason is not None for m in samples_robots)
    assert set(MACHINES) - FILTER_ONLY <= set(silenced)
