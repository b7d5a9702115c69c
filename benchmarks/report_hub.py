"""docs/performance.md's JupyterHub section: the last run of tests/hub/test_s3_hub_scale.py
(N users on one store through a real hub), from ``benchmarks/results/hub_scale.json``,
a copy of the ``build/hub-scale/result.json`` that run wrote."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULT = Path(__file__).resolve().parent / "results" / "hub_scale.json"


def hub_section(path: Path = RESULT) -> str:
    """The section, or "" when no run was kept."""
    if not path.exists():
        return ""
    r: dict[str, Any] = json.loads(path.read_text())
    rows = []
    for key, label in (
        ("users_with_nbshelf", "with nbshelf (`HubContentsManager`, S3 through the hub)"),
        ("users_without_nbshelf", "without nbshelf (jupyter_server's own file manager)"),
    ):
        g = r.get(key)
        if not g:
            continue
        rows.append(
            f"| {label} | {g['servers']} | {g['pss_mb_median']} MB (max {g['pss_mb_max']}) "
            f"| {g['spawn_s_median']} s (max {g['spawn_s_max']}) |"
        )
    extra = r["users_with_nbshelf"]["pss_mb_median"] - r["users_without_nbshelf"]["pss_mb_median"]
    return "\n".join(
        [
            "## JupyterHub: many users on one store",
            "",
            f"One real JupyterHub, every user's server spawned at once as its own Unix user, "
            f"each nbshelf user with its own short-lived S3 credentials from the hub (moto, "
            f"IAM checks on); then every user saves {r['saves_per_user']} notebooks, lists its "
            f"folder and reads one back, all at the same time "
            f"(`NBSHELF_HUB_SCALE_USERS=12 .venv/bin/python -m pytest "
            f"tests/hub/test_s3_hub_scale.py -s`, which asserts 0 errors and that every "
            f"notebook is in its user's prefix only; docs/jupyterhub.md). "
            f"Machine: {r['cpus']} cores, load average {r['load_before']:.1f} before the run. "
            f"Errors: {r['errors']}.",
            "",
            "| | servers | memory per server (PSS, after the work), median | spawn time "
            "(all at once, POST to ready), median |",
            "|---|---|---|---|",
            *rows,
            "",
            f"A server with nbshelf takes {extra:.1f} MB more than one without (its modules, "
            "the S3 client, the store). Spawn time is that of starting every server at once "
            "on the machine's cores, with or without nbshelf.",
            "",
        ]
    )


__all__ = ["hub_section"]
