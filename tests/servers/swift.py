"""A real OpenStack Swift all-in-one on 127.0.0.1 for the test suite.

Four single-process servers (proxy, account, container, object), one ring
device, one replica, data in a temporary directory, started from the
virtualenv that ``scripts/install-swift.sh`` makes (``.venv-swift`` or
``$NBSHELF_SWIFT_VENV``). Adapted from the project's proven shell launcher;
the gotchas it works around are in the comments of the helper scripts below.

Auth is tempauth (accounts below) or Keystone (``auth="keystone"``: authtoken +
s3token + keystoneauth). The proxy also serves the S3 API (s3api; access key
``test:tester``, secret ``testing`` under tempauth).

Tempauth accounts::

    test:tester / testing     .admin of AUTH_test   (main test user)
    test:tester2 / testing2   .admin of AUTH_test
    test:tester3 / testing3   no role (needs ACLs)
    test2:tester2 / testing2  .admin of AUTH_test2
    admin:admin / admin       .admin .reseller_admin

Every client request the proxy answers is written to ``log/access.log`` by
``proxy-logging`` in a fixed format, so tests count requests at the real
server (:meth:`SwiftServer.access_log`), not only at the store interface.

Usage::

    with SwiftServer() as swift:
        print(swift.auth_url, swift.storage_url("test"))
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from . import ServerUnavailable, free_port, started, stopped

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parents[2]
ACCESS_TAG = "NBSHELF-ACCESS"

TEMPAUTH_USERS = {
    "test:tester": "testing",
    "test:tester2": "testing2",
    "test:tester3": "testing3",
    "test2:tester2": "testing2",
    "admin:admin": "admin",
}


def swift_python() -> Path:
    """The interpreter that can import swift (the install script's venv)."""
    venv = Path(os.environ.get("NBSHELF_SWIFT_VENV") or REPO / ".venv-swift")
    py = venv / "bin" / "python"
    if not py.exists():
        raise ServerUnavailable(
            f"no Swift virtualenv at {venv}: run scripts/install-swift.sh "
            "(or set NBSHELF_SWIFT_VENV)"
        )
    return py


# --------------------------------------------------------------------------- helper scripts
# Written into DATA/lib and run by the Swift venv's interpreter.

# tempauth answers 503 without a 'swift.cache': a dict is enough with workers = 0.
# DELETE /_nbshelf_test/token/<token> forgets a tempauth token, because tempauth
# has no revocation API and the token-renewal test needs a revoked token.
_CACHE_PY = r'''
import json, time as _time

_MAX_REL = 30 * 24 * 3600


class DictCache(object):
    """The subset of swift.common.memcached.MemcacheRing the middlewares use."""

    def __init__(self):
        self._d = {}

    def _exp(self, t):
        t = float(t or 0)
        if t <= 0:
            return 0
        return t if t > _MAX_REL else _time.time() + t

    def _live(self, key):
        item = self._d.get(key)
        if item is None:
            return None
        if item[1] and item[1] < _time.time():
            self._d.pop(key, None)
            return None
        return item

    def set(self, key, value, serialize=True, time=0, min_compress_len=0,
            raise_on_error=False, **kwargs):
        if float(time or 0) < 0:   # as memcached: a negative expiry stores nothing
            self._d.pop(key, None)
            return
        if serialize and isinstance(value, bytes):
            value = value.decode('utf8')
        self._d[key] = (json.dumps(value) if serialize else value, self._exp(time), serialize)

    def get(self, key, raise_on_error=False, **kwargs):
        item = self._live(key)
        if item is None:
            return None
        return json.loads(item[0]) if item[2] else item[0]

    def incr(self, key, delta=1, time=0, **kwargs):
        item = self._live(key)
        cur = int(json.loads(item[0]) if item and item[2] else (item[0] if item else 0))
        val = max(0, cur + int(delta))
        self._d[key] = (val, item[1] if item else self._exp(time), False)
        return val

    def decr(self, key, delta=1, time=0, **kwargs):
        return self.incr(key, -int(delta), time)

    def delete(self, key, server_key=None, **kwargs):
        self._d.pop(key, None)

    def set_multi(self, mapping, server_key, serialize=True, time=0, min_compress_len=0, **kw):
        for k, v in mapping.items():
            self.set(k, v, serialize=serialize, time=time)

    def get_multi(self, keys, server_key, **kwargs):
        return [self.get(k) for k in keys]


_CACHE = DictCache()
_REVOKE = '/_nbshelf_test/token/'


def filter_factory(global_conf, **local_conf):
    def cache_filter(app):
        def middleware(env, start_response):
            path = env.get('PATH_INFO', '')
            if path.startswith(_REVOKE) and env['REQUEST_METHOD'] == 'DELETE':
                token = path[len(_REVOKE):]
                _CACHE.delete('AUTH_/token/' + token)
                for key, item in list(_CACHE._d.items()):   # and the user -> token entry
                    if key.startswith('AUTH_/user/') and item[0] == json.dumps(token):
                        _CACHE.delete(key)
                start_response('204 No Content', [('Content-Length', '0')])
                return [b'']
            env['swift.cache'] = _CACHE
            return app(env, start_response)
        return middleware
    return cache_filter
'''

# Rows written straight into a container's database: what a listing reads, with no
# object behind them. Seeding 100,000 objects through the proxy runs at ~100 objects/s
# here (every PUT a file, an fsync and a container update); a listing only reads the
# container database, so a listing benchmark can seed it directly.
_ROWS_PY = r"""
import os, sys
import swift.common.utils as utils
etc, devices, account, container, op, prefix, n, size, etag = sys.argv[1:10]
utils.SWIFT_CONF_FILE = os.path.join(etc, 'swift.conf')
utils.validate_hash_conf()
from swift.common import storage_policy
storage_policy.reload_storage_policies()
from swift.common.ring import Ring
from swift.container.backend import DATADIR, ContainerBroker
part, nodes = Ring(etc, ring_name='container').get_nodes(account, container)
h = utils.hash_path(account, container)
db = os.path.join(devices, nodes[0]['device'], DATADIR, str(part), h[-3:], h, h + '.db')
if not os.path.exists(db):
    sys.exit('no container database at %s: create the container first' % db)
broker = ContainerBroker(db, account=account, container=container)
ts = utils.Timestamp.now().internal
policy = broker.storage_policy_index
rows = [{'name': '%snb%06d.ipynb' % (prefix, i), 'created_at': ts, 'size': int(size),
         'content_type': 'application/octet-stream', 'etag': etag,
         'deleted': 1 if op == 'delete' else 0, 'storage_policy_index': policy}
        for i in range(int(n))]
for start in range(0, len(rows), 10000):
    broker.merge_items(rows[start:start + 10000])
"""

# Points swift at DATA/etc/swift.conf (it reads /etc/swift/swift.conf otherwise),
# logs to stderr (swift closes stderr and logs to syslog otherwise), and
# monkey-patches first (eventlet's late patching costs ~0.7 s per server).
_RUN_PY = r"""
import logging, os, sys
import eventlet.patcher
eventlet.patcher.monkey_patch(all=False, socket=True, select=True, thread=True)
os.fsync = os.fdatasync = lambda fd: None   # tests only: no durability needed

conf_path, section = sys.argv[1], sys.argv[2]
import swift.common.utils as utils
utils.SWIFT_CONF_FILE = os.path.join(os.path.dirname(conf_path), 'swift.conf')
utils.HASH_PATH_SUFFIX = utils.HASH_PATH_PREFIX = b''
from swift.common import constraints, storage_policy
storage_policy.reload_storage_policies()
constraints.reload_constraints()


class _NoSyslog(logging.NullHandler):
    def __init__(self, *args, **kwargs):
        logging.NullHandler.__init__(self)


utils.ThreadSafeSysLogHandler = _NoSyslog
try:
    from swift.common.utils import logs as _logs
    _logs.ThreadSafeSysLogHandler = _NoSyslog
except ImportError:
    pass
from swift.common.wsgi import run_wsgi
sys.exit(run_wsgi(conf_path, section, verbose=True))
"""

# swift-ring-builder costs ~1.5 s a call: build the three rings in one process.
_RINGS_PY = r"""
import os, sys
from swift.common.ring import RingBuilder
etc, host = sys.argv[1], sys.argv[2]
ports = dict(a.split('=') for a in sys.argv[3:])
for name in ('account', 'container', 'object'):
    b = RingBuilder(8, 1, 1)
    b.add_dev({'id': 0, 'region': 1, 'zone': 1, 'ip': host, 'port': int(ports[name]),
               'replication_ip': host, 'replication_port': int(ports[name]),
               'device': 'd1', 'weight': 1.0, 'meta': ''})
    b.rebalance()
    b.get_ring().save(os.path.join(etc, '%s.ring.gz' % name))
"""

_COMMON = """[DEFAULT]
bind_ip = {host}
bind_port = {port}
workers = 0
user = {user}
swift_dir = {etc}
devices = {devices}
mount_check = false
disable_fallocate = true
bind_timeout = 2
log_level = INFO
log_name = {name}-server
"""

_BACKEND = (
    _COMMON
    + """
[pipeline:main]
pipeline = healthcheck {name}-server

[filter:healthcheck]
use = egg:swift#healthcheck

[app:{name}-server]
use = egg:swift#{name}
{extra}
[{name}-replicator]
[{name}-auditor]
[{name}-updater]
"""
)

_PIPELINE = (
    "catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk tempurl "
    "formpost {pre_auth} s3api {auth} staticweb copy container-quotas account-quotas slo dlo "
    "versioned_writes symlink proxy-logging proxy-server"
)

_PROXY = (
    _COMMON
    + """
[pipeline:main]
pipeline = {pipeline}

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
allow_account_management = true

[filter:cache]
paste.filter_factory = nbshelf_test_cache:filter_factory

[filter:tempauth]
use = egg:swift#tempauth
reseller_prefix = AUTH
token_life = 86400
user_admin_admin = admin .admin .reseller_admin
user_test_tester = testing .admin
user_test_tester2 = testing2 .admin
user_test_tester3 = testing3
user_test2_tester2 = testing2 .admin
{keystone}
[filter:s3api]
use = egg:swift#s3api
location = us-east-1

[filter:versioned_writes]
use = egg:swift#versioned_writes
allow_versioned_writes = true
allow_object_versioning = true

[filter:proxy-logging]
use = egg:swift#proxy_logging
access_log_name = proxy-access
access_log_facility = LOG_LOCAL0
log_msg_template = {access_tag} {{method}} {{path}} {{status_int}} {{source}} {{transaction_id}}
[filter:symlink]
use = egg:swift#symlink
[filter:tempurl]
use = egg:swift#tempurl
[filter:formpost]
use = egg:swift#formpost
[filter:staticweb]
use = egg:swift#staticweb
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:bulk]
use = egg:swift#bulk
[filter:copy]
use = egg:swift#copy
[filter:container-quotas]
use = egg:swift#container_quotas
[filter:account-quotas]
use = egg:swift#account_quotas
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
"""
)

# authtoken must come BEFORE s3api (it would strip s3token's headers otherwise);
# token_cache_time = -1 so that a token revoked in Keystone is refused at once.
_KEYSTONE = """
[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
www_authenticate_uri = {ks}/v3
auth_url = {ks}/v3
auth_type = password
project_domain_id = default
user_domain_id = default
project_name = service
username = swift
password = swiftpass
delay_auth_decision = True
include_service_catalog = False
cache = swift.cache
token_cache_time = -1

[filter:keystoneauth]
use = egg:swift#keystoneauth
reseller_prefix = AUTH_
operator_roles = admin, member, swiftoperator
reseller_admin_role = ResellerAdmin

[filter:s3token]
use = egg:swift#s3token
auth_uri = {ks}/v3
reseller_prefix = AUTH_
delay_auth_decision = False
auth_type = password
auth_url = {ks}/v3
project_domain_id = default
user_domain_id = default
project_name = service
username = swift
password = swiftpass
"""


@dataclass(frozen=True)
class AccessEntry:
    """One client request as the Swift proxy logged it."""

    method: str
    path: str  # unquoted, with the query string
    status: int
    source: str  # "-" for a client request, e.g. "SSC" for a copy's internal GET


class SwiftServer:
    """Start, wait for, and stop a Swift all-in-one (by the PIDs it started)."""

    def __init__(
        self,
        data_dir: str | os.PathLike[str] | None = None,
        *,
        auth: str = "tempauth",
        keystone_url: str | None = None,
        start_timeout: float = 60.0,
    ) -> None:
        if auth not in ("tempauth", "keystone"):
            raise ValueError("auth is 'tempauth' or 'keystone'")
        if auth == "keystone" and not keystone_url:
            raise ValueError("auth='keystone' needs keystone_url")
        self._own_dir = data_dir is None
        self.data = Path(data_dir or tempfile.mkdtemp(prefix="nbshelf-swift-")).resolve()
        self.auth = auth
        self.keystone_url = (keystone_url or "").rstrip("/")
        self.start_timeout = start_timeout
        self.python = swift_python()
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.ports: dict[str, int] = {}
        self._log_offset = 0

    # ------------------------------------------------------------------ addresses
    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.ports['proxy']}"

    @property
    def auth_url(self) -> str:
        """The tempauth v1 URL (``ST_AUTH``)."""
        return f"{self.endpoint}/auth/v1.0"

    def storage_url(self, account: str = "test") -> str:
        return f"{self.endpoint}/v1/AUTH_{account}"

    def env(self) -> dict[str, str]:
        """The environment a Swift client (or the S3 API's client) needs."""
        env = {"SWIFT_ENDPOINT": self.endpoint}
        if self.auth == "tempauth":
            env.update(
                ST_AUTH=self.auth_url,
                ST_USER="test:tester",
                ST_KEY="testing",
                AWS_ACCESS_KEY_ID="test:tester",
                AWS_SECRET_ACCESS_KEY="testing",
            )
        env.update(AWS_ENDPOINT_URL_S3=self.endpoint, AWS_DEFAULT_REGION="us-east-1")
        return env

    # ------------------------------------------------------------------ lifecycle
    @property
    def kind(self) -> str:
        """What the start counter calls it: ``swift`` or ``swift (keystone)``."""
        return "swift" if self.auth == "tempauth" else "swift (keystone)"

    def start(self) -> SwiftServer:
        started(self.kind)
        etc, lib, log = self.data / "etc", self.data / "lib", self.data / "log"
        for d in (etc, lib, log, self.data / "node" / "d1"):
            d.mkdir(parents=True, exist_ok=True)
        (lib / "nbshelf_test_cache.py").write_text(_CACHE_PY)
        (lib / "nbshelf_test_run.py").write_text(_RUN_PY)
        (lib / "nbshelf_test_rings.py").write_text(_RINGS_PY)
        self.ports = {"proxy": free_port()}
        for name in ("account", "container", "object"):
            port = free_port()
            while port in self.ports.values():
                port = free_port()
            self.ports[name] = port
        self._write_configs(etc)
        env = self._env(lib)
        subprocess.run(
            [
                str(self.python),
                str(lib / "nbshelf_test_rings.py"),
                str(etc),
                HOST,
                *(f"{k}={v}" for k, v in self.ports.items()),
            ],
            env=env,
            check=True,
            capture_output=True,
        )
        try:
            for name in ("account", "container", "object", "proxy"):
                self._spawn(name)
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, name: str) -> None:
        lib, etc = self.data / "lib", self.data / "etc"
        out = open(self.data / "log" / f"{name}.log", "ab")  # noqa: SIM115 - kept by the child
        self.procs[name] = subprocess.Popen(
            [
                str(self.python),
                str(lib / "nbshelf_test_run.py"),
                str(etc / f"{name}-server.conf"),
                f"{name}-server",
            ],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=self._env(lib),
            start_new_session=True,
        )
        out.close()

    def stop_proxy(self) -> None:
        """Stop only the proxy server (a Swift outage as clients see it: connection
        refused). Its in-process token cache goes with it: tempauth tokens are
        forgotten, as after a real proxy restart without memcached."""
        proc = self.procs.pop("proxy", None)
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)

    def start_proxy(self) -> None:
        """Start the proxy again on the same port (after :meth:`stop_proxy`)."""
        if "proxy" in self.procs:
            return
        started(f"{self.kind}: proxy restarted")
        deadline = time.monotonic() + 10
        while True:  # the old listener may take a moment to let go of the port
            try:
                with socket.socket() as s:  # REUSEADDR: TIME_WAIT is fine, a listener not
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    s.bind((HOST, self.ports["proxy"]))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self._spawn("proxy")
        self._wait_ready()

    def stop(self, purge: bool | None = None) -> None:
        """Stop the servers this object started (by PID); delete its own temp dir."""
        if self.procs:
            stopped(self.kind)
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self.procs.clear()
        if purge if purge is not None else self._own_dir:
            shutil.rmtree(self.data, ignore_errors=True)

    def __enter__(self) -> SwiftServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ the proxy's log
    def access_log(self) -> list[AccessEntry]:
        """Client requests logged since the last call (or :meth:`mark`), internal
        subrequests left out.

        Sends a marker request first and reads until it shows, so that every
        request answered before this call is in the result.
        """
        marker = uuid.uuid4().hex
        with contextlib.suppress(urllib.error.URLError):
            urllib.request.urlopen(f"{self.endpoint}/info?nbshelf-mark={marker}", timeout=10).read()
        path = self.data / "log" / "proxy.log"
        deadline = time.monotonic() + 10
        while True:
            with open(path, "rb") as f:
                f.seek(self._log_offset)
                raw = f.read()
            text = raw.decode("utf-8", "replace")
            if marker in text:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"marker request not logged in {path}")
            time.sleep(0.02)
        end = raw.index(marker.encode())
        end = raw.index(b"\n", end) + 1 if b"\n" in raw[end:] else len(raw)
        self._log_offset += end
        entries = []
        for line in raw[:end].decode("utf-8", "replace").splitlines():
            if ACCESS_TAG not in line or "nbshelf-mark" in line:
                continue
            parts = line.split(ACCESS_TAG, 1)[1].split()
            method, qpath, status, source = parts[0], parts[1], int(parts[2]), parts[3]
            if source == "-":
                entries.append(AccessEntry(method, unquote(qpath), status, source))
        return entries

    def mark(self) -> None:
        """Start counting from now: the next :meth:`access_log` returns later requests."""
        self.access_log()

    def listing_rows(
        self,
        container: str,
        prefix: str,
        n: int,
        *,
        size: int,
        etag: str,
        delete: bool = False,
        account: str = "AUTH_test",
    ) -> None:
        """Write (or mark deleted) ``n`` rows ``<prefix>nb000000.ipynb`` ... straight
        into ``container``'s database: what a listing returns, with no object behind
        them (a listing benchmark's seeding; nothing else may rely on them)."""
        lib, etc = self.data / "lib", self.data / "etc"
        script = lib / "nbshelf_test_rows.py"
        if not script.exists():
            script.write_text(_ROWS_PY)
        args = [etc, self.data / "node", account, container, "delete" if delete else "put",
                prefix, n, size, etag]  # fmt: skip
        subprocess.run(
            [str(self.python), str(script), *map(str, args)],
            env=self._env(lib),
            check=True,
            capture_output=True,
        )

    def revoke_tempauth_token(self, token: str) -> None:
        """Forget a tempauth token (test hook in the cache middleware)."""
        req = urllib.request.Request(
            f"{self.endpoint}/_nbshelf_test/token/{token}", method="DELETE"
        )
        urllib.request.urlopen(req, timeout=10).read()

    # ------------------------------------------------------------------ internals
    def _env(self, lib: Path) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            PYTHONPATH=str(lib),
            EVENTLET_NO_GREENDNS="yes",  # saves ~0.4 s of import time per process
            PYTHONDONTWRITEBYTECODE="1",
        )
        return env

    def _write_configs(self, etc: Path) -> None:
        swift_conf = etc / "swift.conf"
        if not swift_conf.exists():
            swift_conf.write_text(
                "[swift-hash]\n"
                f"swift_hash_path_suffix = {uuid.uuid4().hex}\n"
                f"swift_hash_path_prefix = {uuid.uuid4().hex}\n\n"
                "[storage-policy:0]\nname = Policy-0\ndefault = yes\n\n[swift-constraints]\n"
            )
        import getpass

        common = {
            "host": HOST,
            "user": getpass.getuser(),
            "etc": etc,
            "devices": self.data / "node",
        }
        # the object server keeps these headers of a PUT and serves them back: Swift's
        # default list plus the two an operator adds so shared pages carry a CSP (nbshelf
        # sends them; a Swift without them stores the object without the header)
        allowed = (
            "Content-Disposition, Content-Encoding, X-Delete-At, X-Object-Manifest, "
            "X-Static-Large-Object, Cache-Control, Content-Language, Expires, X-Robots-Tag, "
            "Content-Security-Policy, X-Content-Type-Options"
        )
        extra = {
            "container": "allow_versions = true\n",
            "object": f"allowed_headers = {allowed}\n",
        }
        for name in ("account", "container", "object"):
            (etc / f"{name}-server.conf").write_text(
                _BACKEND.format(
                    port=self.ports[name], name=name, extra=extra.get(name, ""), **common
                )
            )
        if self.auth == "keystone":
            pipeline = _PIPELINE.format(pre_auth="authtoken", auth="s3token keystoneauth")
            keystone = _KEYSTONE.format(ks=self.keystone_url)
        else:
            pipeline = _PIPELINE.format(pre_auth="", auth="tempauth")
            keystone = ""
        (etc / "proxy-server.conf").write_text(
            _PROXY.format(
                port=self.ports["proxy"],
                name="proxy",
                pipeline=pipeline,
                keystone=keystone,
                access_tag=ACCESS_TAG,
                **common,
            )
        )

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    tail = (self.data / "log" / f"{name}.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"swift {name}-server exited ({proc.returncode}):\n{tail}")
            try:
                self._probe()
                return
            except Exception as e:  # not ready yet
                last = e
                time.sleep(0.05)
        raise RuntimeError(f"swift not ready after {self.start_timeout}s: {last!r}")

    def _probe(self) -> None:
        for name in ("account", "container", "object"):
            urllib.request.urlopen(f"http://{HOST}:{self.ports[name]}/healthcheck", timeout=5)
        urllib.request.urlopen(f"{self.endpoint}/info", timeout=5).read()
        if self.auth == "keystone":
            req = urllib.request.Request(f"{self.endpoint}/v1/AUTH_probe", method="HEAD")
            try:
                urllib.request.urlopen(req, timeout=5)
            except urllib.error.HTTPError as e:
                if e.code == 401:
                    return
                raise
            raise RuntimeError("anonymous HEAD was not refused")
        req = urllib.request.Request(
            self.auth_url, headers={"X-Auth-User": "test:tester", "X-Auth-Key": "testing"}
        )
        with urllib.request.urlopen(req, timeout=5) as resp:
            url, token = resp.headers["X-Storage-Url"], resp.headers["X-Auth-Token"]
        head = urllib.request.Request(url, headers={"X-Auth-Token": token}, method="HEAD")
        urllib.request.urlopen(head, timeout=5)  # proxy -> account server, end to end


def main() -> None:
    """``python -m tests.servers.swift``: run one until Ctrl-C (for trying things by hand)."""
    with SwiftServer() as swift:
        for k, v in swift.env().items():
            print(f"{k}={v}")
        print(f"# data in {swift.data}; Ctrl-C stops", file=sys.stderr)
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()


if __name__ == "__main__":
    main()
