"""Honour ``NotebookApp.notebook_manager_class`` / ``NotebookApp.contents_manager_class``
from an old config, with a deprecation message pointing at the new setting.

jupyter_server reads neither: its ServerApp loads ``jupyter_server_config`` (not the old
``jupyter_notebook_config``), and the notebook shim knows no ``notebook_manager_class``.
This module is a server-extension link hook: it runs after the config files are read and
before the ServerApp builds its contents manager, so it can still choose the class. It

- reads ``NotebookApp.*`` from the loaded config and from ``jupyter_notebook_config.py``
  / ``.json`` on the config path (where Bookstore users' settings live now);
- maps Bookstore's class names (``bookstore.cloudfiles.CloudFilesNotebookManager`` ...)
  to nbshelf's, since a top-level ``bookstore`` is another project on PyPI;
- sets ``ServerApp.contents_manager_class`` unless the config names another class
  there (the new setting wins), and brings that class's own section
  (``c.CloudFilesNotebookManager.*``) along from the old file.
"""

from __future__ import annotations

from typing import Any

from traitlets.config import Application, Config
from traitlets.utils.importstring import import_item

from ..bookstore.managers import (
    CloudFilesNotebookManager,
    KeystoneNotebookManager,
    OpenStackNotebookManager,
)

OLD_TRAITS = ("notebook_manager_class", "contents_manager_class")
OLD_CONFIG_FILE = "jupyter_notebook_config"

#: Bookstore's class paths (as its READMEs and docstrings wrote them) -> nbshelf's classes.
BOOKSTORE_CLASSES: dict[str, type] = {
    "bookstore.cloudfiles.CloudFilesNotebookManager": CloudFilesNotebookManager,
    "bookstore.CloudFilesNotebookManager": CloudFilesNotebookManager,
    "bookstore.keystone.KeystoneNotebookManager": KeystoneNotebookManager,
    "bookstore.KeystoneNotebookManager": KeystoneNotebookManager,
    "bookstore.openstack.OpenStackNotebookManager": OpenStackNotebookManager,
    "bookstore.OpenStackNotebookManager": OpenStackNotebookManager,
}
_SHELF_DEFAULTS = (
    "nbshelf.ShelfContentsManager",
    "nbshelf.contents.ShelfContentsManager",
    "nbshelf.contents.manager.ShelfContentsManager",
)


def class_path(cls: type) -> str:
    """The import path to write in a new config (``nbshelf.bookstore.X`` for ours)."""
    if cls in BOOKSTORE_CLASSES.values():
        return f"nbshelf.bookstore.{cls.__name__}"
    return f"{cls.__module__}.{cls.__qualname__}"


def resolve(value: Any) -> type:
    """A class from a config value: a class, a Bookstore name, or an import path."""
    if isinstance(value, type):
        return value
    name = str(value).strip()
    if name in BOOKSTORE_CLASSES:
        return BOOKSTORE_CLASSES[name]
    cls = import_item(name)
    if not isinstance(cls, type):
        raise TypeError(f"{name} is not a class")
    return cls


def old_config(paths: list[str], log: Any = None) -> Config:
    """``jupyter_notebook_config.{json,py}`` merged along the config path (later wins)."""
    merged = Config()
    try:
        for item in Application._load_config_files(OLD_CONFIG_FILE, path=paths, log=log):
            merged.merge(item[0] if isinstance(item, tuple) else item)  # (config, filename)
    except Exception as e:  # a broken old file must not stop the server
        if log is not None:
            log.warning("nbshelf: cannot read %s: %s", OLD_CONFIG_FILE, e)
    return merged


def legacy_manager(config: Config, old: Config) -> tuple[str, Any] | None:
    """(trait name, value) of the old setting, the loaded config's before the old file's."""
    for source in (config, old):
        section = source.get("NotebookApp")
        if not isinstance(section, Config):
            continue
        for trait in OLD_TRAITS:
            if trait in section:
                return trait, section[trait]
    return None


def _quiet_notebook_shim() -> None:
    """Notebook 7 and JupyterLab read ``jupyter_notebook_config`` through notebook_shim,
    which stops the server on a ``NotebookApp`` trait it does not know ("Trait,
    notebook_manager_class, not found."): drop the two settings handled here before it
    looks (patched once, for the apps linked after this hook)."""
    try:
        from notebook_shim.shim import NotebookConfigShimMixin
    except ImportError:
        return
    original = NotebookConfigShimMixin.shim_config_from_notebook_to_jupyter_server
    if getattr(original, "_nbshelf", False):
        return

    def shim(self: Any, config: Config) -> Any:
        section = config.get("NotebookApp")
        if isinstance(section, Config):
            for trait in OLD_TRAITS:
                section.pop(trait, None)
        return original(self, config)

    shim._nbshelf = True  # type: ignore[attr-defined]
    NotebookConfigShimMixin.shim_config_from_notebook_to_jupyter_server = shim


def honour_legacy_config(serverapp: Any) -> None:
    """Choose the contents manager from an old NotebookApp setting, if there is one."""
    if getattr(serverapp, "_nbshelf_legacy_done", False):
        return
    serverapp._nbshelf_legacy_done = True
    _quiet_notebook_shim()
    log = serverapp.log
    old = old_config(list(serverapp.config_file_paths), log)
    found = legacy_manager(serverapp.config, old)
    if found is None:
        return
    trait, value = found
    try:
        cls = resolve(value)
    except Exception as e:
        log.error(
            "nbshelf: NotebookApp.%s = %r cannot be used (%s); set "
            "c.ServerApp.contents_manager_class instead",
            trait,
            value,
            e,
        )
        return
    new = serverapp.config.get("ServerApp", Config()).get("contents_manager_class")
    new_name = new if isinstance(new, str) else class_path(new) if isinstance(new, type) else ""
    if new and new_name not in _SHELF_DEFAULTS and resolve(new) is not cls:
        log.warning(
            "nbshelf: NotebookApp.%s = %r is deprecated and ignored: "
            "ServerApp.contents_manager_class = %r is set and wins",
            trait,
            value,
            new_name,
        )
        return
    log.warning(
        "nbshelf: NotebookApp.%s is deprecated (a Notebook < 7 / Bookstore setting): using "
        "%s for it. Write c.ServerApp.contents_manager_class = %r instead.",
        trait,
        class_path(cls),
        class_path(cls),
    )
    # the class's own section (c.CloudFilesNotebookManager.*) from the old file; what the
    # loaded config says wins
    sections = Config(
        {name: old[name] for name in [k.__name__ for k in cls.__mro__] if name in old}
    )
    merged = Config()
    merged.merge(sections)
    merged.merge(serverapp.config)
    # in the config, not only on the app: extensions linked later reload the ServerApp's
    # config (with `nbshelf serve`'s own --ServerApp.contents_manager_class in it)
    merged.merge(Config({"ServerApp": {"contents_manager_class": cls}}))
    serverapp.update_config(merged)
    serverapp.contents_manager_class = cls


_link_jupyter_server_extension = honour_legacy_config


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Nothing to add once the server runs: the work is done at link time."""
