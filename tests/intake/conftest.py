"""A real IMAP server on loopback: Debian's Dovecot, started with a configuration of ours.

``imap_server`` runs one Dovecot for the module (plain IMAP on 127.0.0.1 and a free port,
users in a passwd-file, Maildir under a temporary directory); ``imap_server.account()``
hands each test a fresh user with an empty INBOX, and ``deliver()`` puts a message
into it with IMAP APPEND, as a mail server would have delivered it.
"""

from __future__ import annotations

import imaplib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import free_port
from tests.notify.conftest import smtp_server  # noqa: F401 - a real SMTP server on loopback

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
instance_name = campusdesk-test-{port}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
log_path = {root}/dovecot.log
default_internal_user = dovecot
default_login_user = dovenull
mail_location = maildir:{root}/mail/%u
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


@dataclass
class Account:
    host: str
    port: int
    user: str
    password: str

    def connect(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4(self.host, self.port, timeout=10)
        conn.login(self.user, self.password)
        return conn

    def deliver(self, raw: bytes, folder: str = "INBOX") -> None:
        conn = self.connect()
        try:
            status, _ = conn.append(folder, None, None, raw)
            assert status == "OK"
        finally:
            conn.logout()

    def unseen(self, folder: str = "INBOX") -> int:
        conn = self.connect()
        try:
            conn.select(folder)
            _, data = conn.uid("SEARCH", "UNSEEN")
            return len((data[0] or b"").split())
        finally:
            conn.logout()


class Dovecot:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="campusdesk-imap-"))
        self.root.chmod(0o755)  # Dovecot's own users must reach the Maildirs
        self.port = free_port()
        self.users = self.root / "users"
        self.count = 0

    def start(self) -> None:
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir()
        shutil.chown(self.root / "mail", "dovecot", "dovecot")
        # Users are written before the start: Dovecot may not notice a passwd-file that
        # changes within the same second as its last reading.
        self.users.write_text("".join(f"desk{n}:{{PLAIN}}pw-{n}-secret\n" for n in range(1, 41)))
        conf = self.root / "dovecot.conf"
        conf.write_text(CONFIG.format(root=self.root, port=self.port))
        # The master daemonises: its output goes to a file, or run() would wait for it.
        with (self.root / "start.log").open("wb") as out:
            subprocess.run(
                [DOVECOT, "-c", str(conf)],
                check=True,
                stdout=out,
                stderr=out,
                stdin=subprocess.DEVNULL,
                timeout=30,
            )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                imaplib.IMAP4("127.0.0.1", self.port, timeout=2).logout()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"Dovecot did not start: {(self.root / 'dovecot.log').read_text()}")

    def stop(self) -> None:
        pid_file = self.root / "run" / "master.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().strip())
            os.kill(pid, signal.SIGTERM)
            for _ in range(50):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
        shutil.rmtree(self.root, ignore_errors=True)

    def account(self) -> Account:
        self.count += 1
        return Account("127.0.0.1", self.port, f"desk{self.count}", f"pw-{self.count}-secret")


@pytest.fixture(scope="module")
def imap_server() -> Iterator[Dovecot]:
    if not Path(DOVECOT).exists():
        pytest.fail("dovecot is missing: apt-get install dovecot-imapd (see .ci/run)")
    if os.geteuid() != 0:
        pytest.skip("Dovecot runs its mail processes as its own users: the tests need root")
    server = Dovecot()
    server.start()
    try:
        yield server
    finally:
        server.stop()
