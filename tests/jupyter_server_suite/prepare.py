"""Fetch jupyter_server's own contents tests and point them at ShelfContentsManager.

The tests come from the source distribution of the *installed* jupyter_server
version (tests/services/contents/). Only the fixtures that build a contents
manager are rewritten; every test body runs unchanged, except where a helper
writes to the local disk directly (``_make_dir``), which for a non-local store
is replaced by the same operation through the store. Tests left out are listed
in ``LEFT_OUT`` with the reason.

Usage: python tests/jupyter_server_suite/prepare.py OUT_DIR
then:  NBSHELF_SUITE_STORE=local|memory|<url> python -m pytest OUT_DIR/tests/services/contents
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).parent
CACHE = HERE.parent.parent / ".cache"

#: tests that exercise FileContentsManager itself (its OS paths, symlinks,
#: atomic-writing options, sync variant, file I/O mixin), not the contents API.
LEFT_OUT_FILES = {
    "test_fileio.py": "tests jupyter_server's file I/O mixin (atomic writing on disk), not the API",
    "test_config.py": "tests FileContentsManager/FileCheckpoints configuration traits",
    "test_manager_no_hash.py": "tests a FileContentsManager subclass of jupyter_server < 2.11",
}

#: test functions of test_manager.py that take a FileContentsManager *class* and
#: call its OS-path internals; the contents API they check is covered by the rest.
LEFT_OUT_TESTS = {
    "test_root_dir": "FileContentsManager's root_dir validation (OS paths)",
    "test_missing_root_dir": "FileContentsManager's root_dir validation (OS paths)",
    "test_invalid_root_dir": "FileContentsManager's root_dir validation (OS paths)",
    "test_get_os_path": "FileContentsManager._get_os_path",
    "test_get_os_path_posix": "FileContentsManager._get_os_path",
    "test_checkpoint_subdir": "FileCheckpoints' .ipynb_checkpoints folder",
    "test_bad_symlink": "symlinks on disk",
    "test_recursive_symlink": "symlinks on disk",
    "test_good_symlink": "symlinks on disk",
    "test_403": "POSIX file permissions of the server's own files",
    "test_400": "FileContentsManager with hidden OS files (tested through the API instead)",
    "test_404": "FileContentsManager with hidden OS files (tested through the API instead)",
    "test_escape_root": "FileContentsManager's OS-path escape check (covered by nbshelf's tests)",
    "test_save_before_and_after_signature_store_corruption": "FileContentsManager class fixture",
    "test_save_raises_when_signature_store_unrecoverable": "FileContentsManager class fixture",
    "test_created_uses_birthtime_on_macos": "macOS st_birthtime of FileContentsManager",
    "test_get_created_timestamp_uses_birthtime": "filemanager._get_created_timestamp helper",
    "test_get_created_timestamp_fallback_no_birthtime": "filemanager._get_created_timestamp helper",
    "test_base_model_invalid_timestamp_fallback": "FileContentsManager._base_model with os.lstat",
    "test_created_timestamp_fallback_to_epoch": "FileContentsManager._base_model with os.lstat",
    "test_regression_is_hidden": (
        "asserts that FileContentsManager calls jupyter_core's is_hidden on disk paths; "
        "nbshelf decides hidden names without touching the store (its own tests cover it)"
    ),
    "test_saving_different_chunks": (
        "sends chunks 1, 1, 2, 2, -1, -1: nbshelf refuses a repeated or out-of-order chunk "
        "(it would duplicate data) and tests chunk order in its own suite"
    ),
}

#: tests that need the store to be the local disk (they stat or touch files by OS
#: path, or write files on disk in the middle of a test).
LOCAL_ONLY_TESTS = (
    "test_get_nb_invalid",
    "test_get_404_hidden",
    "test_copy_400_hidden",
    "test_created_timestamp",
    "test_get_created_timestamp",
    "test_created_",
    "test_save_in_subdirectory",
    "test_copy_big_dir",
)

SUPPORT = '''
"""nbshelf: builds the contents manager the rewritten fixtures return."""
import os
import uuid

from nbshelf import ShelfContentsManager


def suite_store() -> str:
    return os.environ.get("NBSHELF_SUITE_STORE", "local")


def make_manager(tmp_path, **kwargs):
    store = suite_store()
    if store == "local":
        return ShelfContentsManager(root_dir=str(tmp_path), **kwargs)
    if store == "memory":
        url = f"memory://suite-{uuid.uuid4().hex}"
    else:
        url = store.rstrip("/") + "/suite-" + uuid.uuid4().hex
    return ShelfContentsManager(root_dir=str(tmp_path), store_url=url, **kwargs)


async def make_dir(cm, api_path):
    """_make_dir through the store (parents are implied in object stores)."""
    await cm.store.put(api_path.strip("/") + "/", b"")


# ---- the REST tests on a non-local store -----------------------------------
# Their fixtures write files on disk under the server's root: those files are
# copied into the store the server uses, and their disk checks ask the store.
import asyncio
import concurrent.futures
import pathlib

_ROOT = None


def fresh_store_url():
    """A new prefix per test in the suite's store, or None for the local disk."""
    store = suite_store()
    if store == "local":
        return None
    if store == "memory":
        return f"memory://suite-{uuid.uuid4().hex}"
    return store.rstrip("/") + "/suite-" + uuid.uuid4().hex


def _run(coro):
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _store():
    from nbshelf.stores import open_store

    return open_store(os.environ["NBSHELF_STORE"])


def mirror(root):
    """Copy the files and folders under ``root`` into the test's store."""
    global _ROOT
    _ROOT = pathlib.Path(root)
    if suite_store() == "local":
        return

    async def upload():
        from nbshelf.stores import gather_bounded

        store = _store()
        puts = []
        for path in sorted(_ROOT.rglob("*")):
            key = path.relative_to(_ROOT).as_posix()
            if path.is_dir():
                puts.append(store.put(key + "/", b""))
            elif path.is_file():
                puts.append(store.put(key, path.read_bytes()))
        await gather_bounded(puts, 16)
        await store.close()

    _run(upload())


class StorePath:
    """``pathlib.Path(p).is_file()/is_dir()`` for a path under the server's root,
    answered by the store when the suite runs on one."""

    def __init__(self, path):
        self.path = pathlib.Path(path)

    def _key(self):
        return self.path.relative_to(_ROOT).as_posix()

    def is_file(self):
        if suite_store() == "local":
            return self.path.is_file()

        async def check():
            store = _store()
            try:
                await store.head(self._key())
                return True
            except Exception:
                return False
            finally:
                await store.close()

        return _run(check())

    def is_dir(self):
        if suite_store() == "local":
            return self.path.is_dir()

        async def check():
            store = _store()
            try:
                page = await store.list(self._key() + "/", limit=1)
                return bool(page.objects or page.prefixes)
            finally:
                await store.close()

        return _run(check())
'''

CONFTEST_EXTRA = """

# ---- nbshelf: tests left out (with reasons) -------------------------------
import nbshelf_suite_support as _nb

_LEFT_OUT = {left_out!r}
_LOCAL_ONLY = {local_only!r}


@pytest.fixture(autouse=True)
def _nbshelf_store_per_test(monkeypatch):
    # each test's server and managers use a fresh prefix of the suite's store
    url = _nb.fresh_store_url()
    if url:
        monkeypatch.setenv("NBSHELF_STORE", url)


def pytest_collection_modifyitems(config, items):
    for item in items:
        name = item.originalname if hasattr(item, "originalname") else item.name
        if name in _LEFT_OUT:
            item.add_marker(pytest.mark.skip(reason="nbshelf: left out: " + _LEFT_OUT[name]))
        elif _nb.suite_store() != "local" and name.startswith(_LOCAL_ONLY):
            item.add_marker(pytest.mark.skip(reason="nbshelf: needs the local disk store"))
"""


def sdist_for(ver: str) -> Path:
    """The jupyter_server sdist of this version, downloaded once into .cache/."""
    CACHE.mkdir(exist_ok=True)
    target = CACHE / f"jupyter_server-{ver}.tar.gz"
    if not target.exists():
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "-q",
                    "--no-deps",
                    "--no-binary",
                    ":all:",
                    "-d",
                    tmp,
                    f"jupyter_server=={ver}",
                ],
                check=True,
            )
            shutil.move(next(Path(tmp).glob("jupyter_server-*.tar.gz")), target)
    return target


def extract(sdist: Path, out: Path) -> Path:
    with tarfile.open(sdist) as tar:
        root = tar.getnames()[0].split("/")[0]
        members = [
            m
            for m in tar.getmembers()
            if m.name.startswith(f"{root}/tests/")
            and (
                m.name.count("/") == 2  # tests/*.py
                or m.name.startswith((f"{root}/tests/extension/", f"{root}/tests/services/"))
            )
        ]
        tar.extractall(out, members=members, filter="data")
    src = out / root / "tests"
    dest = out / "tests"
    if dest.exists():
        shutil.rmtree(dest)
    shutil.move(src, dest)
    shutil.rmtree(out / root)
    # keep only the contents tests among the services
    for child in (dest / "services").iterdir():
        if child.is_dir() and child.name not in ("contents",):
            shutil.rmtree(child)
    return dest


def rewrite_manager_tests(text: str) -> str:
    fixture = re.compile(
        r"@pytest\.fixture\(\s*params=\[\s*\(FileContentsManager, True\),.*?\n"
        r"def jp_contents_manager\(request, tmp_path\):\n.*?\n\n",
        re.S,
    )
    text, n = fixture.subn(
        "@pytest.fixture\ndef jp_contents_manager(request, tmp_path):\n"
        "    import nbshelf_suite_support\n"
        "    return nbshelf_suite_support.make_manager(tmp_path)\n\n\n",
        text,
    )
    assert n == 1, "jp_contents_manager fixture not found: the suite changed"
    # _make_dir(cm, path) writes on disk: through the store for non-local stores
    text = re.sub(
        r"^(\s+)_make_dir\((\w+), ([^)]*)\)$",
        r"\1await (nbshelf_suite_support.make_dir(\2, \3) if "
        r"nbshelf_suite_support.suite_store() != 'local' else _async_make_dir(\2, \3))",
        text,
        flags=re.M,
    )
    text = text.replace(
        "\ndef _make_dir(",
        "\nasync def _async_make_dir(cm, api_path):\n"
        "    _make_dir(cm, api_path)\n\n\ndef _make_dir(",
    )
    return "import nbshelf_suite_support\n" + text


def rewrite_conftest(text: str) -> str:
    old = '    paths["all"] = list(paths.values())\n    return paths\n'
    assert old in text, "the contents fixture changed"
    return text.replace(
        old,
        '    paths["all"] = list(paths.values())\n'
        "    import nbshelf_suite_support\n\n"
        "    nbshelf_suite_support.mirror(contents_dir)\n"
        "    return paths\n",
    )


def rewrite_api_tests(text: str) -> str:
    old = (
        '@pytest.fixture(params=["FileContentsManager", "AsyncFileContentsManager"])\n'
        "def jp_argv(request):\n"
        "    return [\n"
        '        "--ServerApp.contents_manager_class='
        'jupyter_server.services.contents.filemanager."\n'
        "        + request.param\n"
        "    ]\n"
    )
    assert old in text, "jp_argv fixture not found: the suite changed"
    text = text.replace("pathlib.Path(", "nbshelf_suite_support.StorePath(")
    text = "import nbshelf_suite_support\n" + text
    return text.replace(
        old,
        "@pytest.fixture\ndef jp_argv():\n"
        '    return ["--ServerApp.contents_manager_class=nbshelf.ShelfContentsManager"]\n',
    )


def rewrite_largefile_tests(text: str) -> str:
    old = re.compile(
        r"@pytest\.fixture\(params=\[LargeFileManager, AsyncLargeFileManager\]\)\n"
        r"def jp_large_contents_manager\(request, tmp_path\):\n.*?\n\n",
        re.S,
    )
    text, n = old.subn(
        "@pytest.fixture\ndef jp_large_contents_manager(request, tmp_path):\n"
        "    import nbshelf_suite_support\n"
        "    return nbshelf_suite_support.make_manager(tmp_path)\n\n\n",
        text,
    )
    assert n == 1, "jp_large_contents_manager fixture not found: the suite changed"
    return text


def rewrite_checkpoint_tests(text: str) -> str:
    old = re.compile(
        r"@pytest\.fixture\(params=param_pairs\)\n"
        r"def contents_manager\(request, contents\):\n.*?\n\n",
        re.S,
    )
    text, n = old.subn(
        "@pytest.fixture\ndef contents_manager(request, contents):\n"
        "    from nbshelf import ShelfContentsManager\n"
        '    return ShelfContentsManager(root_dir=str(contents["contents_dir"]))\n\n\n',
        text,
    )
    assert n == 1, "contents_manager fixture not found: the suite changed"
    return text


def prepare(out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    tests = extract(sdist_for(version("jupyter_server")), out)
    contents = tests / "services" / "contents"
    for name in LEFT_OUT_FILES:
        (contents / name).unlink(missing_ok=True)
    for name, rewrite in (
        ("test_manager.py", rewrite_manager_tests),
        ("test_api.py", rewrite_api_tests),
        ("test_largefilemanager.py", rewrite_largefile_tests),
        ("test_checkpoints.py", rewrite_checkpoint_tests),
    ):
        f = contents / name
        f.write_text(rewrite(f.read_text()))
    (out / "nbshelf_suite_support.py").write_text(SUPPORT)
    conftest = tests / "conftest.py"
    conftest.write_text(
        rewrite_conftest(conftest.read_text())
        + CONFTEST_EXTRA.format(left_out=LEFT_OUT_TESTS, local_only=LOCAL_ONLY_TESTS)
    )
    (out / "pytest.ini").write_text(
        "[pytest]\n"
        "addopts = -ra -p no:cacheprovider\n"
        "timeout = 300\n"
        "pythonpath = .\n"
        "filterwarnings =\n"
        "    ignore::DeprecationWarning\n"
        "    ignore::jupyter_server.utils.JupyterServerAuthWarning\n"
    )
    return tests


if __name__ == "__main__":
    print(prepare(Path(sys.argv[1]).absolute()))
