"""A real Keystone v3 on 127.0.0.1 (Debian's python3-keystone: sqlite in WAL mode,
fernet tokens), served by ``keystone-wsgi-public``; ``scripts/install-keystone.sh``
installs it. Raises :class:`ServerUnavailable` when it is not installed.

After :meth:`KeystoneServer.start`: users ``admin``/``adminpass`` (admin of
``admin``), ``swift``/``swiftpass`` (the service user Swift's authtoken uses) and
``demo``/``demopass`` (member of project ``demo``). :meth:`register_swift` adds the
``object-store`` catalog entry once a Swift runs behind it.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from . import ServerUnavailable, free_port, started, stopped

ADMIN_PASSWORD = "adminpass"


class KeystoneServer:
    def __init__(self, data_dir: str | os.PathLike[str] | None = None) -> None:
        for exe in ("keystone-manage", "keystone-wsgi-public"):
            if shutil.which(exe) is None:
                raise ServerUnavailable(
                    f"{exe} not found: Keystone is not installed (run scripts/install-keystone.sh"
                    ", apt-get install python3-keystone python3-keystonemiddleware)"
                )
        self._own_dir = data_dir is None
        self.data = Path(data_dir or tempfile.mkdtemp(prefix="nbshelf-keystone-")).resolve()
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Keystone's root (``/v3`` appended by clients)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def v3(self) -> str:
        return f"{self.url}/v3"

    def start(self, timeout: float = 120) -> KeystoneServer:
        started("keystone")
        conf = self._write_conf()
        log = self.data / "log"
        db = self.data / "keystone.db"
        user, group = _whoami()
        if not db.exists():  # independent setup steps in parallel: each costs ~3.5 s
            steps = [
                self._manage("db_sync"),
                self._manage("fernet_setup", "--keystone-user", user, "--keystone-group", group),
                self._manage(
                    "credential_setup", "--keystone-user", user, "--keystone-group", group
                ),
            ]
            for p in steps:
                if p.wait() != 0:
                    raise RuntimeError(f"keystone-manage failed: see {log}/manage.out")
            # WAL: otherwise writes stall 5 s and fail with "database is locked"
            sqlite3.connect(db).execute("PRAGMA journal_mode=WAL").close()
        out = open(log / "public.out", "ab")  # noqa: SIM115 - kept by the child
        self.proc = subprocess.Popen(
            [
                "keystone-wsgi-public",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--",
                "--config-file",
                str(conf),
            ],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        out.close()
        try:
            boot = self._manage(
                "bootstrap",
                "--bootstrap-password",
                ADMIN_PASSWORD,
                "--bootstrap-admin-url",
                self.v3,
                "--bootstrap-internal-url",
                self.v3,
                "--bootstrap-public-url",
                self.v3,
                "--bootstrap-region-id",
                "RegionOne",
            )
            deadline = time.monotonic() + timeout
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"keystone exited: see {log}/public.out")
                try:
                    if requests.get(self.v3, timeout=5).ok:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("keystone not ready in time")
                time.sleep(0.1)
            if boot.wait() != 0:
                raise RuntimeError(f"keystone-manage bootstrap failed: see {log}/manage.out")
            self._setup()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stopped("keystone")
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
        if self._own_dir:
            shutil.rmtree(self.data, ignore_errors=True)

    def __enter__(self) -> KeystoneServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ API helpers
    def token(self, user: str, password: str, project: str) -> tuple[str, dict[str, Any]]:
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {"name": user, "password": password, "domain": {"id": "default"}}
                    },
                },
                "scope": {"project": {"name": project, "domain": {"id": "default"}}},
            }
        }
        r = requests.post(f"{self.v3}/auth/tokens", json=body, timeout=30)
        r.raise_for_status()
        return r.headers["X-Subject-Token"], r.json()["token"]

    def admin_headers(self) -> dict[str, str]:
        return {"X-Auth-Token": self.token("admin", ADMIN_PASSWORD, "admin")[0]}

    def revoke(self, token: str) -> None:
        r = requests.delete(
            f"{self.v3}/auth/tokens",
            timeout=30,
            headers={**self.admin_headers(), "X-Subject-Token": token},
        )
        r.raise_for_status()

    def application_credential(
        self, user: str, password: str, project: str, name: str
    ) -> tuple[str, str]:
        """(id, secret) of a new application credential of ``user`` on ``project``."""
        tok, data = self.token(user, password, project)
        r = requests.post(
            f"{self.v3}/users/{data['user']['id']}/application_credentials",
            headers={"X-Auth-Token": tok},
            timeout=30,
            json={"application_credential": {"name": name}},
        )
        r.raise_for_status()
        cred = r.json()["application_credential"]
        return cred["id"], cred["secret"]

    def register_swift(self, endpoint: str) -> None:
        """The object-store service and its endpoints, pointing at ``endpoint``."""
        h = self.admin_headers()
        svc = self._find_or_create(
            h, "services", "swift", {"name": "swift", "type": "object-store", "enabled": True}
        )
        for iface in ("public", "internal", "admin"):
            requests.post(
                f"{self.v3}/endpoints",
                headers=h,
                timeout=30,
                json={
                    "endpoint": {
                        "service_id": svc["id"],
                        "interface": iface,
                        "region_id": "RegionOne",
                        "url": endpoint + "/v1/AUTH_%(project_id)s",
                    }
                },
            ).raise_for_status()

    # ------------------------------------------------------------------ internals
    def _manage(self, *args: str) -> subprocess.Popen[bytes]:
        out = open(self.data / "log" / "manage.out", "ab")  # noqa: SIM115
        p = subprocess.Popen(
            ["keystone-manage", "--config-file", str(self.data / "keystone.conf"), *args],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        out.close()
        return p

    def _write_conf(self) -> Path:
        for d in ("fernet-keys", "credential-keys", "log"):
            (self.data / d).mkdir(parents=True, exist_ok=True)
            if d != "log":
                (self.data / d).chmod(0o700)
        conf = self.data / "keystone.conf"
        conf.write_text(f"""[DEFAULT]
log_dir = {self.data}/log
[database]
connection = sqlite:///{self.data}/keystone.db
[token]
provider = fernet
[fernet_tokens]
key_repository = {self.data}/fernet-keys
[fernet_receipts]
key_repository = {self.data}/fernet-keys
[credential]
key_repository = {self.data}/credential-keys
# the memory cache breaks EC2 credential listing (KeyError 'encrypted_blob')
caching = false
[cache]
enabled = true
backend = dogpile.cache.memory
[identity]
# cheap bcrypt for tests
password_hash_rounds = 4
""")
        return conf

    def _find_or_create(
        self, h: dict[str, str], kind: str, name: str, body: dict[str, Any], **filters: str
    ) -> dict[str, Any]:
        r = requests.get(
            f"{self.v3}/{kind}", headers=h, params={"name": name, **filters}, timeout=30
        )
        r.raise_for_status()
        items = r.json()[kind]
        if items:
            return dict(items[0])
        r = requests.post(f"{self.v3}/{kind}", headers=h, json={kind[:-1]: body}, timeout=30)
        r.raise_for_status()
        return dict(r.json()[kind[:-1]])

    def _setup(self) -> None:
        h = self.admin_headers()
        roles = {
            n: self._find_or_create(h, "roles", n, {"name": n})
            for n in ("admin", "member", "reader", "ResellerAdmin", "service")
        }
        service = self._find_or_create(
            h, "projects", "service", {"name": "service", "domain_id": "default"}
        )
        demo = self._find_or_create(h, "projects", "demo", {"name": "demo", "domain_id": "default"})
        swift = self._find_or_create(
            h,
            "users",
            "swift",
            {
                "name": "swift",
                "password": "swiftpass",
                "domain_id": "default",
                "default_project_id": service["id"],
            },
        )
        user = self._find_or_create(
            h,
            "users",
            "demo",
            {
                "name": "demo",
                "password": "demopass",
                "domain_id": "default",
                "default_project_id": demo["id"],
            },
        )
        for project, who, role in (
            (service, swift, "admin"),
            (service, swift, "service"),
            (demo, user, "member"),
        ):
            requests.put(
                f"{self.v3}/projects/{project['id']}/users/{who['id']}/roles/{roles[role]['id']}",
                headers=h,
                timeout=30,
            ).raise_for_status()
        self.demo_project_id = demo["id"]


def _whoami() -> tuple[str, str]:
    import grp
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
