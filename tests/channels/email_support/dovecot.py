"""A throwaway Dovecot IMAP server: its own config, maildir and passwd-file, a free port.

Debian's ``dovecot-imapd`` (``make mailserver`` installs it). Run as root, mail is owned by
``nobody``; as another user, everything runs as that user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Dovecot:
    """A running Dovecot instance and its one mail user."""

    port: int
    user: str
    password: str
    root: Path

    def url(self, folder: str = "INBOX", host: str = "127.0.0.1", port: int | None = None) -> str:
        """``imap://user:pass@127.0.0.1:<port>/<folder>``."""
        return f"imap://{self.user}:{self.password}@{host}:{port or self.port}/{folder}"


def available() -> bool:
    """True when the dovecot binary is installed."""
    return os.path.exists(DOVECOT)


@contextlib.contextmanager
def run_dovecot(root: Path, user: str = "support", password: str = "s3cret") -> Iterator[Dovecot]:
    """Start Dovecot under ``root`` and stop it (and remove nothing else) on exit."""
    port = free_port()
    if os.geteuid() == 0:
        owner = pwd.getpwnam("nobody")
        login_user, internal_user = "dovenull", "dovecot"
        with contextlib.suppress(KeyError):
            pwd.getpwnam(login_user)
        for name in (login_user, internal_user):
            try:
                pwd.getpwnam(name)
            except KeyError:
                login_user = internal_user = "nobody"
    else:
        owner = pwd.getpwuid(os.geteuid())
        login_user = internal_user = owner.pw_name
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o755)
    os.chown(root / "mail", owner.pw_uid, owner.pw_gid)
    (root / "passwd").write_text(f"{user}:{{PLAIN}}{password}::::::\n")
    conf = root / "dovecot.conf"
    conf.write_text(
        f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
first_valid_uid = 1
default_login_user = {login_user}
default_internal_user = {internal_user}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={owner.pw_uid} gid={owner.pw_gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""
    )
    proc = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
                raise RuntimeError(f"dovecot did not start: {out}\n{log}")
            time.sleep(0.1)
        yield Dovecot(port, user, password, root)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
