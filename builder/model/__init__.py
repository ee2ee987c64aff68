"""Typed data shared by every layer; imports nothing above builder.errors and builder.paths."""
