"""nbshelf's side-by-side benchmark: the same contents operations, in one run, on
jupyter_server's file manager, nbshelf (local, Swift, S3) and the alternatives
(s3contents, jupyter-fs) against the same real servers.

Run it with ``scripts/bench.sh`` (see docs/performance.md).
"""
