"""moto's S3 server with one more route: ``POST /_nbshelf_seed``, which puts (or
deletes) a large folder's objects through moto's own backend, in its process.

Seeding 100,000 objects over HTTP runs at ~120 objects/s here (moto handles one
request at a time through Flask, and every PUT is a request), so the benchmark's
largest folder could not be seeded within its budget. The objects made here are
real moto objects with the body given, read back and listed like any other; only
their way in skips HTTP. Nothing measured goes through this route.

    python -m benchmarks.moto_seeding -H 127.0.0.1 -p PORT   # as `python -m moto.server`

    POST /_nbshelf_seed?bucket=B&prefix=P&n=N[&delete=1]    body: each object's bytes
    → keys P + "nb000000.ipynb" ... P + "nb{N-1:06}.ipynb"
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def seed(bucket: str, prefix: str, n: int, body: bytes, *, delete: bool = False) -> None:
    """Put (or delete) ``n`` objects under ``prefix`` in ``bucket`` through moto's
    backend (the bucket must exist: it was made over HTTP)."""
    from moto.s3.models import s3_backends

    partition, account = s3_backends.bucket_accounts[bucket]
    backend = s3_backends[account][partition]
    for i in range(n):
        key = f"{prefix}nb{i:06}.ipynb"
        if delete:
            backend.delete_object(bucket, key)
        else:
            backend.put_object(bucket, key, body)


class SeedingRoute:
    """WSGI middleware: the seeding route, everything else to moto's own app."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __getattr__(self, name: str) -> Any:  # moto's main sets app.debug
        return getattr(self.app, name)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO") != "/_nbshelf_seed" or environ["REQUEST_METHOD"] != "POST":
            return self.app(environ, start_response)
        q = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        try:
            seed(q["bucket"], q.get("prefix", ""), int(q["n"]), body, delete=q.get("delete") == "1")
        except Exception as e:  # the benchmark reports it; moto stays up
            start_response("400 Bad Request", [("Content-Type", "text/plain")])
            return [f"seeding failed: {type(e).__name__}: {e}".encode()]
        start_response("204 No Content", [])
        return [b""]


def main() -> None:
    from moto import server

    original = server.DomainDispatcherApplication
    server.DomainDispatcherApplication = lambda *a, **kw: SeedingRoute(original(*a, **kw))  # type: ignore[assignment,misc]
    server.main()


if __name__ == "__main__":
    main()
