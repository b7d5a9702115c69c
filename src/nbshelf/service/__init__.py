"""Always-on server: platform service definitions for ``nbshelf serve``."""
