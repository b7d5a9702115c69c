"""Bookstore's manager classes: ShelfContentsManagers with Bookstore's trait names."""

from __future__ import annotations

from typing import Any, ClassVar

from traitlets import Unicode, default, observe

from ..contents import ShelfContentsManager

#: Bookstore's traits, passed to the Swift store under the same names.
BOOKSTORE_TRAITS = (
    "account_name",
    "account_key",
    "region",
    "auth_endpoint",
    "tenant_id",
    "tenant_name",
)


class BookstoreNotebookManager(ShelfContentsManager):
    """A ShelfContentsManager on ``swift://<container_name>``, configured with Bookstore's
    trait names. Empty traits fall back to the environment (``ST_*``, ``OS_*``), as the
    Swift store does."""

    #: Forces the Swift auth method (None: inferred from the traits, see docs/swift.md).
    auth_version: ClassVar[str | None] = None

    container_name = Unicode("notebooks", config=True, help="The Swift container.")
    account_name = Unicode("", config=True, help="The user name.")
    account_key = Unicode("", config=True, help="The API key or password.")
    region = Unicode("", config=True, help="The region (Cloud Files: DFW, ORD, IAD, LON ...).")
    auth_endpoint = Unicode("", config=True, help="The identity (auth) URL.")
    tenant_id = Unicode("", config=True, help="The tenant (project) id.")
    tenant_name = Unicode("", config=True, help="The tenant (project) name.")

    @default("store_url")
    def _bookstore_store_url(self) -> str:
        return f"swift://{self.container_name}"

    @default("store_options")
    def _bookstore_store_options(self) -> dict[str, Any]:
        return self.bookstore_options()

    def bookstore_options(self) -> dict[str, Any]:
        """The Swift store's options from the traits (the empty ones left out)."""
        options: dict[str, Any] = {
            name: getattr(self, name) for name in BOOKSTORE_TRAITS if getattr(self, name)
        }
        if self.auth_version:
            options["auth_version"] = self.auth_version
        return options

    @observe("container_name", *BOOKSTORE_TRAITS)
    def _bookstore_changed(self, change: Any) -> None:
        if change["name"] == "container_name":
            self.store_url = f"swift://{self.container_name}"
        else:
            self.store_options = {**self.store_options, **self.bookstore_options()}
        self._store = None

    def info_string(self) -> str:
        return f"Serving notebooks from {self.store_description} ({type(self).__name__})"


class CloudFilesNotebookManager(BookstoreNotebookManager):
    """Rackspace Cloud Files: a user name, an API key and a region (DFW by default, as in
    Bookstore); the identity is Rackspace's unless ``auth_endpoint`` names another."""

    auth_version = "rackspace"
    region = Unicode("DFW", config=True, help="The Cloud Files region: DFW, ORD, IAD, LON ...")


class KeystoneNotebookManager(BookstoreNotebookManager):
    """OpenStack Swift behind Keystone: ``auth_endpoint`` (a ``/v2.0`` URL is Keystone v2,
    any other v3), user, password, tenant (v3: project, in the default domain)."""


class OpenStackNotebookManager(KeystoneNotebookManager):
    """Bookstore's generic OpenStack manager: the same traits as KeystoneNotebookManager."""
