"""The immutable snapshot a search reads: entries, dense index, BM25, built from SQL rows.

Building one is blocking (embedding, tokenising, file I/O): run it in a thread. The derived
index file is used as is when it matches the revision and the entries exactly; otherwise it
is rebuilt, reusing the vectors of texts that did not change, and rewritten.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from kb import centroids as typical
from kb import characters, hubness
from kb import classifier as intent
from kb import index as dense_index
from kb.bm25 import BM25
from kb.calibration import self_calibrate
from kb.centroids import CentroidModel
from kb.embedders import Embedder
from kb.scoring import Thresholds, configured
from kb.settings import KbSettings
from kb.text import init_jieba, tokenize
from kb.types import StoredEntry

log = logging.getLogger(__name__)

WARMUP_TEXT = "你好 hello"


@dataclass(frozen=True)
class Snapshot:
    """Everything one search reads; never mutated, replaced whole."""

    revision: int
    entries: tuple[StoredEntry, ...]
    dense: dense_index.DenseIndex
    bm25: BM25
    by_id: dict[str, int]
    groups: dict[str, tuple[int, ...]]  # group key -> entry positions
    group_languages: dict[str, frozenset[str]]  # group key -> languages it has entries in
    tokens: dict[str, list[str]]  # text -> BM25 tokens, reused by the next rebuild
    classifier: intent.IntentClassifier | None
    thresholds: Thresholds
    # Per dense row, the hubness discount of its cosine (:mod:`kb.hubness`); None = none.
    hub: npt.NDArray[np.float32] | None = None
    centroids: CentroidModel | None = None  # with the classifier (:mod:`kb.centroids`)
    # Single-ideograph BM25, without a classifier (:mod:`kb.characters`); None = none.
    chars: BM25 | None = None

    @cached_property
    def entry_group(self) -> npt.NDArray[np.int64]:
        """The number of each entry's group (groups numbered in order of first entry)."""
        number: dict[str, int] = {}
        return np.fromiter(
            (number.setdefault(e.group_key, len(number)) for e in self.entries),
            dtype=np.int64,
            count=len(self.entries),
        )

    def group_speaks(self, language: str) -> npt.NDArray[np.bool_]:
        """For each entry: whether its group has an entry in ``language``."""
        masks = self._language_masks
        mask = masks.get(language)
        if mask is None:
            mask = np.fromiter(
                (language in self.group_languages[e.group_key] for e in self.entries),
                dtype=np.bool_,
                count=len(self.entries),
            )
            masks[language] = mask
        return mask

    @cached_property
    def _language_masks(self) -> dict[str, npt.NDArray[np.bool_]]:
        return {}


def build_snapshot(
    directory: Path,
    embedder: Embedder,
    revision: int,
    rows: Sequence[Any],
    previous: Snapshot | None,
    use_file: bool,
    warm: bool,
    settings: KbSettings | None = None,
) -> Snapshot:
    """Load the index file if it matches, else rebuild (and rewrite) it; build BM25."""
    init_jieba()
    entries = tuple(stored_entry(*row) for row in rows)
    fp = dense_index.fingerprint(entries, embedder.name)
    stored = dense_index.load(directory, embedder) if use_file else None
    encoded = -1
    if stored is not None and stored[1] == revision and stored[0].fingerprint == fp:
        dense = stored[0]
    else:
        reuse = previous.dense if previous is not None else (stored[0] if stored else None)
        dense, encoded = dense_index.build(entries, embedder, reuse)
        try:
            dense_index.save(directory, dense, [e.id for e in entries], revision)
        except OSError as err:  # the file is only a cache: serve from memory, rebuild next time
            log.warning(
                "kb: cannot write the index to %s (%s); continuing without it", directory, err
            )
    if warm and encoded <= 0:
        embedder.encode([WARMUP_TEXT])
    dense.prepare()  # the exact search's layouts, made here rather than by a live search
    known = previous.tokens if previous is not None else {}
    tokens = {t: known[t] if t in known else tokenize(t) for e in entries for t in e.texts}
    bm25 = BM25([[tokens[t] for t in e.texts] for e in entries])
    settings = settings or KbSettings()
    has_examples = intent.should_train(np.diff(dense.entry_start))
    chars = None if has_examples else characters.build([e.texts for e in entries])
    classifier, centroids, thresholds, hub = _learn(
        entries, dense, tokens, settings, has_examples, chars
    )
    groups: dict[str, list[int]] = {}
    for pos, e in enumerate(entries):
        groups.setdefault(e.group_key, []).append(pos)
    log.info(
        "kb: revision %d, %d entries, %d vectors (%s)",
        revision,
        len(entries),
        dense.rows,
        "loaded" if encoded < 0 else f"{encoded} texts embedded",
    )
    return Snapshot(
        revision=revision,
        entries=entries,
        dense=dense,
        bm25=bm25,
        by_id={e.id: i for i, e in enumerate(entries)},
        groups={k: tuple(v) for k, v in groups.items()},
        group_languages={k: frozenset(entries[p].language for p in v) for k, v in groups.items()},
        tokens=tokens,
        classifier=classifier,
        thresholds=thresholds,
        hub=hub,
        centroids=centroids,
        chars=chars,
    )


def _learn(
    entries: Sequence[StoredEntry],
    dense: dense_index.DenseIndex,
    tokens: dict[str, list[str]],
    settings: KbSettings,
    has_examples: bool,
    chars: BM25 | None = None,
) -> tuple[
    intent.IntentClassifier | None,
    CentroidModel | None,
    Thresholds,
    npt.NDArray[np.float32] | None,
]:
    """Train the intent classifier and the entry centroids, or else measure hubness, and
    self-calibrate the thresholds, as configured; ``has_examples``: most entries have
    similar questions (:func:`kb.classifier.should_train`)."""
    want_classifier = settings.classifier_weight > 0 and has_examples
    want_hub = not has_examples and settings.bm25_weight < 1.0
    if not want_classifier and not want_hub and settings.thresholds != "auto":
        return None, None, configured(settings), None
    vectors = np.array(dense.matrix()) if dense.rows else None
    if vectors is None:
        return None, None, configured(settings), None
    classifier = None
    centroids = None
    labels = np.asarray(dense.row_entry, dtype=np.int32)
    if want_classifier:
        classifier = intent.train(vectors, labels, len(entries))
        centroids = typical.fit(vectors, labels, len(entries))
    hub = hubness.offsets(vectors, labels) if want_hub else None
    if settings.thresholds == "auto":
        thresholds = self_calibrate(entries, vectors, tokens, settings, hub, chars is not None)
    else:
        thresholds = configured(settings)
    return classifier, centroids, thresholds, hub


def in_language(snap: Snapshot, pos: int, language: str) -> int:
    """The position of the entry of ``pos``'s group in ``language``, else ``pos`` itself."""
    if snap.entries[pos].language == language:
        return pos
    for other in snap.groups.get(snap.entries[pos].group_key, ()):
        if snap.entries[other].language == language:
            return other
    return pos


def stored_entry(
    entry_id: str,
    group: str | None,
    language: str,
    category: str | None,
    question: str,
    similar: object,
    answer: str,
) -> StoredEntry:
    """A database row as the index holds it."""
    texts = similar if isinstance(similar, list) else []
    return StoredEntry(
        id=entry_id,
        group=group or None,
        language=language,
        category=category or "",
        question=question,
        similar=tuple(x for x in texts if isinstance(x, str) and x.strip()),
        answer=answer,
    )
