"""Build hosts: where a build runs. One module per provider, each a `BuildHost` (base.py)."""
