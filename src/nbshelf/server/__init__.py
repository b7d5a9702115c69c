"""The jupyter_server extensions nbshelf adds, all in this room.

- ``extension``: ``/nbshelf/api/status`` and the share endpoints (``shares``), linked by
  the ``nbshelf`` server extension;
- ``security``: removes the store's credentials from the environment kernels and
  terminals inherit;
- ``legacy``: honours the original Bookstore's ``NotebookApp`` configuration.

May import ``contents``, ``share``, ``stores`` and ``bookstore``; nothing below imports this.
"""
