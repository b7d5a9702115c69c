"""``nbshelf share PATH [--public | --expires 7d] | --list [PATH] | --revoke ID | --update ID``.

The same service as the REST API, talking to the store directly (configured as
``nbshelf serve`` is: ``--store URL``, else $NBSHELF_STORE, else the current
directory). Links a local store's share gives are served by ``nbshelf serve``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from ..share.config import ShareConfig
from ..share.models import Share, ShareError, human_duration, parse_duration
from ..share.publish import ShareService, revoked_message
from ..stores import InvalidKey, StoreError
from ._common import ENV_STORE, add_store_options, fail, open_cli_store


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "share",
        help="share a notebook by link; list or revoke shares",
        description="Share a notebook or file by link: public (a stable URL), or expiring "
        "(a signed link, default 7 days). Every share is a snapshot with the notebook and "
        "its rendered page.",
    )
    p.add_argument("path", nargs="?", help="the file to share (relative to the store's root)")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--public", action="store_true", help="a public, stable link (default)")
    how.add_argument(
        "--expires", metavar="WHEN", help="an expiring link: 7d, 12h, 30m, or a date (2026-12-31)"
    )
    how.add_argument(
        "--local",
        action="store_true",
        help="a link served by `nbshelf serve` itself (no login needed for it)",
    )
    how.add_argument("--list", action="store_true", help="list shares (of PATH if given)")
    how.add_argument("--revoke", metavar="ID", help="revoke a share: its link stops working")
    how.add_argument("--update", metavar="ID", help="re-publish the file's current version")
    add_store_options(
        p,
        store_help=f"where notebooks live (default: ${ENV_STORE} or the current directory)",
        prefix_help="a key prefix inside the store",
    )
    p.add_argument(
        "--public-container",
        default="",
        help="Swift: the public container (default: <container>_public)",
    )
    p.add_argument(
        "--server-url",
        default="",
        help="the nbshelf server's address, for links it serves (local store)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def _print_share(share: Share, as_json: bool) -> None:
    if as_json:
        print(json.dumps(share.to_api(), indent=1))
        return
    left = share.seconds_left()
    state = "revoked" if share.revoked else "expired" if share.expired else "active"
    until = f", expires {share.expires:%Y-%m-%d %H:%M} UTC" if share.expires else ""
    print(f"{share.id}  {share.kind}  {share.path}  ({state}{until})")
    for what in ("notebook", "html", "nbviewer"):
        if what in share.urls and share.active:
            print(f"  {what:9} {share.urls[what]}")
    if share.kind == "local" and share.active:
        print("  (served by `nbshelf serve` on this store: the link works while it runs)")
    if left is not None and share.active:
        print(f"  valid for {human_duration(left)} more")


async def _main(args: argparse.Namespace) -> int:
    store = open_cli_store(args.store, args.prefix)
    config = ShareConfig(public_container=args.public_container, server_url=args.server_url)
    service = ShareService(store, config)
    try:
        await store.check()
        if args.list:
            shares = await service.list(args.path)
            if args.json:
                print(json.dumps([s.to_api() for s in shares], indent=1))
            elif not shares:
                print("no shares" + (f" of {args.path}" if args.path else ""))
            for s in shares if not args.json else []:
                _print_share(s, False)
            return 0
        if args.revoke:
            share = await service.revoke(args.revoke)
            print(
                json.dumps(share.to_api(), indent=1)
                if args.json
                else f"revoked {share.id} ({share.path}): {revoked_message(share)}"
            )
            return 0
        if args.update:
            _print_share(await service.update(args.update), args.json)
            return 0
        if not args.path:
            return fail("share", "give a PATH to share (or --list / --revoke ID)")
        if args.expires:
            try:
                seconds = parse_duration(args.expires)
            except ValueError as e:
                return fail("share", e)
            share = await service.create(args.path, "expiring", seconds)
        else:
            share = await service.create(args.path, "local" if args.local else "public", None)
        _print_share(share, args.json)
        return 0
    finally:
        await store.close()


def run(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_main(args))
    except ShareError as e:
        print(f"nbshelf share: error: {e.message}", file=sys.stderr)
        return 2 if e.status < 500 else 1  # 2: what was given is wrong (a bad path, no such id)
    except StoreError as e:
        print(f"nbshelf share: error: {e}", file=sys.stderr)
        return 2 if isinstance(e, InvalidKey) else 1
