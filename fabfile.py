"""Fabric tasks for vmwheel: `fab build:msgpack`, `fab --list`. They live in
builder/frontends/fab.py (generated from the option table); this file only loads them."""

from builder.frontends.fab import ns, parse_fab1, fab3_words  # noqa: F401

__all__ = ["ns", "parse_fab1", "fab3_words"]
