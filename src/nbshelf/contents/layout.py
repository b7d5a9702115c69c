"""Every key nbshelf reserves in a store, and every id format it writes there.

nbshelf's own data lives under one hidden folder, ``.nbshelf/``, inside the user's
prefix (so two users or two prefixes never see each other's)::

    .nbshelf/checkpoints/<path>/<checkpoint id>   checkpoints, several per file
    .nbshelf/trash/<batch>/<path>                 deleted files (batch: the delete's time)
    .nbshelf/trash/<batch>/.nbshelf/checkpoints/  their checkpoints, where moved with them
    .nbshelf/ops/<journal id>.json                folder renames and deletes in progress
    .nbshelf/shares/<share id>.json               share records
    .nbshelf/shares/<share id>.revoked            a share's revocation (written once, first)
    .nbshelf/shared/<share id>/<name>             share snapshots served privately

This module is the only place these keys and ids are spelled; everything else asks it.
It imports nothing of nbshelf.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timezone

#: nbshelf's own data: never listed, never reachable through the contents API.
INTERNAL_DIR = ".nbshelf"
CHECKPOINTS = f"{INTERNAL_DIR}/checkpoints/"
TRASH = f"{INTERNAL_DIR}/trash/"
OPS = f"{INTERNAL_DIR}/ops/"
SHARES = f"{INTERNAL_DIR}/shares/"
SHARED = f"{INTERNAL_DIR}/shared/"

#: UTC times in ids: ``20261122T162530123456Z`` sorts by age as a string.
STAMP_FORMAT = "%Y%m%dT%H%M%S%fZ"


def is_internal(path: str) -> bool:
    """True for ``.nbshelf`` and anything under it."""
    return path == INTERNAL_DIR or path.startswith(INTERNAL_DIR + "/")


def new_stamp(now: datetime | None = None) -> str:
    """The current UTC time as an id part (sortable, made of ``[0-9TZ]``)."""
    return (now or datetime.now(timezone.utc)).strftime(STAMP_FORMAT)


def parse_stamp(stamp: str) -> datetime | None:
    """The time of a stamp made by :func:`new_stamp`; None if it is not one."""
    try:
        return datetime.strptime(stamp, STAMP_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        return None


# ---------------------------------------------------------------- checkpoints
def new_checkpoint_id() -> str:
    """``20261122T162530123456Z-3fa9``: sortable by time, unique across servers, and
    made of the characters jupyter_server's checkpoint URLs accept (``[\\w-]+``)."""
    return f"{new_stamp()}-{secrets.token_hex(2)}"


def checkpoint_folder(path: str) -> str:
    """The folder holding the checkpoints of the file ``path`` (or, as a prefix, of every
    file in the folder ``path``)."""
    return f"{CHECKPOINTS}{path}/"


def checkpoint_key(path: str, checkpoint_id: str) -> str:
    return checkpoint_folder(path) + checkpoint_id


# ---------------------------------------------------------------- trash
def new_trash_batch() -> str:
    """The folder of one delete in the trash: its UTC time, so batches sort by age."""
    return new_stamp()


def trash_batch_time(batch: str) -> datetime | None:
    return parse_stamp(batch)


def trash_folder(batch: str) -> str:
    return f"{TRASH}{batch}/"


def trash_key(batch: str, key: str) -> str:
    return trash_folder(batch) + key


def trashed_checkpoints_folder(batch: str, path: str) -> str:
    """Where the checkpoints of a file or folder deleted whole (one rename, on a store
    that can) wait with it in its trash batch: ``.nbshelf/trash/<batch>/.nbshelf/
    checkpoints/<path>/``. No trashed file's path can begin with ``.nbshelf/``, so they
    never mix with the files, and go when the batch is purged."""
    return trash_folder(batch) + checkpoint_folder(path)


# ---------------------------------------------------------------- journals
def new_journal_id() -> str:
    return f"{new_stamp()}-{secrets.token_hex(3)}"


def journal_key(journal_id: str) -> str:
    return f"{OPS}{journal_id}.json"


def journal_id_of(key: str) -> str | None:
    """The id of a journal from its key, or None if the key is not a journal's."""
    if key.startswith(OPS) and key.endswith(".json") and "/" not in key[len(OPS) :]:
        return key[len(OPS) : -len(".json")]
    return None


# ---------------------------------------------------------------- shares
def share_record_key(share_id: str) -> str:
    return f"{SHARES}{share_id}.json"


def share_tombstone_key(share_id: str) -> str:
    """A share's revocation: created once (create-only), never removed by an update."""
    return f"{SHARES}{share_id}.revoked"


def share_snapshot_folder(share_id: str) -> str:
    return f"{SHARED}{share_id}/"
