"""nbdime's server extension (what JupyterLab's nbdime "diff against checkpoint" button
calls): ``POST /nbdime/api/diff {"base": "checkpoint:<path>"}`` on every backend, against
the newest of several checkpoints; and the order the checkpoints API gives, as
JupyterLab's "Revert to checkpoint" dialog reads it."""

from __future__ import annotations

import json

from tests.ecosystem.conftest import Served, notebook, unique


def _sources(nb: dict) -> list[str]:  # type: ignore[type-arg]
    return ["".join(c["source"]) for c in nb["cells"]]


def test_diff_against_the_newest_checkpoint(eco: Served) -> None:
    path = f"{unique('nbdime')}/n.ipynb"
    eco.folder(path.split("/")[0])
    url = f"/api/contents/{path}/checkpoints"
    made = []
    for version in ("v = 1", "v = 2", "v = 3"):
        eco.save(path, notebook(version))
        r = eco.api("POST", url)
        assert r.status_code == 201, r.text
        made.append(r.json()["id"])
    eco.save(path, notebook("v = 4"))  # the unsaved-to-checkpoint edit nbdime shows

    r = eco.api("POST", "/nbdime/api/diff", json={"base": f"checkpoint:{path}"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert _sources(body["base"]) == ["v = 3"]  # the newest checkpoint, not the oldest
    assert body["diff"], "the current notebook differs from its checkpoint"
    # the diff turns "v = 3" into "v = 4" (nbdime diffs the source character-wise)
    assert '"op": "addrange", "key": 4, "valuelist": "4"' in json.dumps(body["diff"])

    # the API lists them oldest first (as jupyter_server lists its one): JupyterLab's
    # revert dialog reverses the list, so it offers the newest first
    listed = eco.api("GET", url).json()
    assert [c["id"] for c in listed] == made
    assert next(c["id"] for c in reversed(listed)) == made[-1]


def test_diff_of_a_file_without_checkpoints_is_unchanged(eco: Served) -> None:
    path = f"{unique('nocp')}.ipynb"
    eco.save(path, notebook("w = 1"))
    r = eco.api("POST", "/nbdime/api/diff", json={"base": f"checkpoint:{path}"})
    assert r.status_code == 200, r.text
    assert r.json()["diff"] == []
