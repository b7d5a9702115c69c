"""Always-on server: what ``nbshelf service`` installs and the ``nbshelf serve --keep-alive``
watchdog.

One module per job: ``paths`` (where each platform keeps things), ``spec`` (what is
installed), ``units`` (service definitions as text), ``hosts`` (the hosts-file block),
``probe`` (is the server answering), ``watchdog`` (restart it when it is not),
``launch`` (windowless, logging entry point), ``plan`` and ``platforms`` (the steps
each service manager needs). The command itself is ``nbshelf.cli.service``.

Knows nothing of stores or contents: it runs ``nbshelf serve`` and talks to it over HTTP.
"""
