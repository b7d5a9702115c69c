"""A move whose copies landed but whose sources the store refused to delete.

An object store's rename is a copy then a delete. Credentials that may write but not
delete (an S3 policy without ``s3:DeleteObject``, a read-write scope without delete)
let every copy land and then refuse the delete: the file would exist at both paths.
:func:`undo_refused_move` removes the copies whose source is still there (1 HEAD per
moved object, then 1 bulk DELETE), where the store lets it, and says what is left.
"""

from __future__ import annotations

from ..stores import ObjectStore, PermissionDenied, StoreError, gather_bounded


async def undo_refused_move(
    store: ObjectStore, pairs: list[tuple[str, str]], error: PermissionDenied
) -> tuple[PermissionDenied, bool]:
    """Remove the copies of ``pairs`` whose source still exists; return the error to raise
    (naming the refused delete and what is left) and whether the move is wholly undone."""

    async def still_there(src: str) -> bool:
        try:
            await store.head(src)
        except StoreError:
            return False  # gone (deleted before the refusal) or unknown: keep its copy
        return True

    there = await gather_bounded((still_there(s) for s, _ in pairs), store.max_concurrency)
    copies = [dst for (_, dst), kept in zip(pairs, there, strict=True) if kept]
    moved = len(pairs) - len(copies)
    try:
        await store.delete(copies)
        removed = True
    except StoreError:
        removed = False
    src, dst = pairs[0]
    what = f"{src!r}" if len(pairs) == 1 else f"{len(pairs)} objects (such as {src!r})"
    if removed and not moved:
        left = "the copies were removed again, so nothing moved"
    elif removed:
        left = (
            f"{moved} object(s) had been deleted before the refusal and stay at the new "
            f"place; the copies of the other {len(copies)} were removed again"
        )
    else:
        left = (
            f"the copies could not be removed either: {len(copies)} object(s) now exist at "
            f"both places (such as {dst!r}); remove them with credentials that may delete"
        )
    denied = PermissionDenied(
        f"moving {what} copied them, then the store refused to delete the source "
        f"({error.message}); {left}",
        store=error.store,
        key=error.key,
        operation="delete",
    )
    return denied, removed and not moved
