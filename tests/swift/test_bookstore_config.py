"""The original Bookstore configuration, as its users wrote it, on a real ``nbshelf serve``:
an old-style ``jupyter_notebook_config.py`` naming ``bookstore.*`` classes in
``NotebookApp.notebook_manager_class`` / ``contents_manager_class``, against the real
Swift. Rackspace identity (Cloud Files, and Keystone v2 for OpenStackNotebookManager)
is a local STAND-IN (tests/servers/rackspace_identity.py) because the real one cannot
run here; KeystoneNotebookManager runs against the real Keystone v3 when installed."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
import swiftclient
from traitlets.config import Config

from nbshelf.bookstore import (
    CloudFilesNotebookManager,
    KeystoneNotebookManager,
    OpenStackNotebookManager,
)
from nbshelf.contents import ShelfContentsManager
from nbshelf.server.legacy import honour_legacy_config, resolve
from nbshelf.stores.swift import SwiftStore
from tests.servers.jupyter import NbshelfServer
from tests.servers.rackspace_identity import RackspaceIdentity
from tests.servers.swift import SwiftServer

pytestmark = pytest.mark.swift

RAX_KEY = "rack-api-key-0123"  # the stand-in's API key for rackuser: never in a log


@pytest.fixture
def identity(swift_server: SwiftServer) -> Iterator[RackspaceIdentity]:
    with RackspaceIdentity(
        swift_server.auth_url,
        {
            "DFW": swift_server.storage_url("test"),
            "ORD": "http://127.0.0.1:9/v1/AUTH_x",
        },
    ) as ident:
        yield ident


def serve_with_old_config(tmp_path: Path, config_py: str, env: dict[str, str]) -> NbshelfServer:
    root = tmp_path / "root"
    root.mkdir()
    cfg = tmp_path / "root-config"  # NbshelfServer's JUPYTER_CONFIG_DIR
    cfg.mkdir()
    (cfg / "jupyter_notebook_config.py").write_text(config_py)
    # what the package's enable file does (until nbshelf's own extension points list it)
    (cfg / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": {"nbshelf.bookstore": True}}})
    )
    blank = {k: "" for k in os.environ if k.startswith(("OS_", "ST_", "NBSHELF_"))}
    return NbshelfServer(root, env={**blank, **env}).start()


def save_and_read_back(srv: NbshelfServer) -> dict[str, Any]:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('bookstore')")])
    r = srv.api("PUT", "/api/contents/old-config.ipynb", json={"type": "notebook", "content": nb})
    assert r.status_code == 201, r.text
    got = srv.api("GET", "/api/contents/old-config.ipynb")
    assert got.ok
    return dict(srv.api("GET", "/nbshelf/api/status").json())


def objects(swift: SwiftServer, container: str) -> list[str]:
    conn = swiftclient.Connection(authurl=swift.auth_url, user="test:tester", key="testing")
    return [o["name"] for o in conn.get_container(container)[1]]


def test_cloudfiles_config_as_written(swift_server, identity, tmp_path):
    srv = serve_with_old_config(
        tmp_path,
        f"""
c.NotebookApp.notebook_manager_class = 'bookstore.cloudfiles.CloudFilesNotebookManager'
c.CloudFilesNotebookManager.account_name = 'rackuser'
c.CloudFilesNotebookManager.account_key = '{RAX_KEY}'
c.CloudFilesNotebookManager.container_name = u'bookstore-rax'
c.CloudFilesNotebookManager.region = u'DFW'
""",
        {"NBSHELF_RACKSPACE_IDENTITY_URL": identity.url},
    )
    try:
        status = save_and_read_back(srv)
    finally:
        srv.stop()
    assert status["contents_manager"] == "CloudFilesNotebookManager"
    assert status["store"].startswith("swift://bookstore-rax at Cloud Files DFW")
    assert objects(swift_server, "bookstore-rax") == ["old-config.ipynb"]
    assert [r["kind"] for r in identity.requests] == ["apiKey"]
    log = srv.log()
    assert "NotebookApp.notebook_manager_class is deprecated" in log
    new_setting = (
        "c.ServerApp.contents_manager_class = 'nbshelf.bookstore.CloudFilesNotebookManager'"
    )
    assert new_setting in log
    assert RAX_KEY not in log


def test_openstack_manager_keystone_v2_via_contents_manager_class(swift_server, identity, tmp_path):
    srv = serve_with_old_config(
        tmp_path,
        f"""
c.NotebookApp.contents_manager_class = 'bookstore.openstack.OpenStackNotebookManager'
c.OpenStackNotebookManager.auth_endpoint = '{identity.url}'
c.OpenStackNotebookManager.account_name = 'v2user'
c.OpenStackNotebookManager.account_key = 'v2-password'
c.OpenStackNotebookManager.tenant_name = 'MossoCloudFS_123456'
c.OpenStackNotebookManager.region = 'DFW'
c.OpenStackNotebookManager.container_name = 'bookstore-v2'
""",
        {},
    )
    try:
        status = save_and_read_back(srv)
    finally:
        srv.stop()
    assert status["contents_manager"] == "OpenStackNotebookManager"
    assert objects(swift_server, "bookstore-v2") == ["old-config.ipynb"]
    assert identity.requests[-1] == {
        "kind": "password",
        "tenantName": "MossoCloudFS_123456",
        "tenantId": None,
    }
    assert "NotebookApp.contents_manager_class is deprecated" in srv.log()
    assert "v2-password" not in srv.log()


@pytest.mark.keystone
def test_keystone_manager_on_the_real_keystone(keystone_server, keystone_swift, tmp_path):
    srv = serve_with_old_config(
        tmp_path,
        f"""
c.NotebookApp.notebook_manager_class = 'bookstore.KeystoneNotebookManager'
c.KeystoneNotebookManager.auth_endpoint = '{keystone_server.v3}'
c.KeystoneNotebookManager.account_name = 'demo'
c.KeystoneNotebookManager.account_key = 'demopass'
c.KeystoneNotebookManager.tenant_name = 'demo'
c.KeystoneNotebookManager.region = 'RegionOne'
c.KeystoneNotebookManager.container_name = 'bookstore-ks'
""",
        {},
    )
    try:
        status = save_and_read_back(srv)
    finally:
        srv.stop()
    assert status["contents_manager"] == "KeystoneNotebookManager"
    assert status["store"].startswith(f"swift://bookstore-ks at {keystone_server.v3}")
    assert "demopass" not in srv.log()


# ---------------------------------------------------------------- the hook itself
def test_bookstore_names_resolve_to_nbshelf_classes():
    assert resolve("bookstore.cloudfiles.CloudFilesNotebookManager") is CloudFilesNotebookManager
    assert resolve("bookstore.KeystoneNotebookManager") is KeystoneNotebookManager
    assert resolve("bookstore.openstack.OpenStackNotebookManager") is OpenStackNotebookManager
    assert resolve("nbshelf.bookstore.CloudFilesNotebookManager") is CloudFilesNotebookManager
    assert issubclass(OpenStackNotebookManager, ShelfContentsManager)


def test_traits_build_the_swift_store(identity):
    cm = CloudFilesNotebookManager(
        account_name="rackuser",
        account_key=RAX_KEY,
        container_name="c1",
        region="ord",
        auth_endpoint=identity.url,
    )
    store = cm.store
    assert isinstance(store, SwiftStore)
    assert store.container == "c1" and store.config.auth_version == "rackspace"
    assert store.config.region == "ORD" and RAX_KEY not in repr(store.config)
    cm.container_name = "c2"
    assert cm.store.container == "c2"


class _FakeServerApp:
    """Only what the hook reads and writes."""

    def __init__(self, config: Config, paths: list[str]) -> None:
        import logging

        self.config = config
        self.config_file_paths = paths
        self.contents_manager_class: type = ShelfContentsManager
        self.log = logging.getLogger("test-legacy")

    def update_config(self, config: Config) -> None:
        self.config.merge(config)


def test_the_new_setting_wins_over_the_old_one(tmp_path, caplog):
    (tmp_path / "jupyter_notebook_config.py").write_text(
        "c.NotebookApp.notebook_manager_class = 'bookstore.KeystoneNotebookManager'\n"
    )
    other = "jupyter_server.services.contents.largefilemanager.AsyncLargeFileManager"
    app = _FakeServerApp(Config({"ServerApp": {"contents_manager_class": other}}), [str(tmp_path)])
    honour_legacy_config(app)
    assert app.contents_manager_class is ShelfContentsManager  # untouched
    assert "deprecated and ignored" in caplog.text


def test_old_section_is_brought_along_and_new_config_wins(tmp_path):
    (tmp_path / "jupyter_notebook_config.py").write_text(
        "c.NotebookApp.notebook_manager_class = 'bookstore.cloudfiles.CloudFilesNotebookManager'\n"
        "c.CloudFilesNotebookManager.container_name = 'from-old'\n"
        "c.CloudFilesNotebookManager.region = 'LON'\n"
    )
    app = _FakeServerApp(Config({"CloudFilesNotebookManager": {"region": "IAD"}}), [str(tmp_path)])
    honour_legacy_config(app)
    assert app.contents_manager_class is CloudFilesNotebookManager
    assert app.config.CloudFilesNotebookManager.container_name == "from-old"
    assert app.config.CloudFilesNotebookManager.region == "IAD"
