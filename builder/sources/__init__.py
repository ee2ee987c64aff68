"""The package to build, resolved to one sdist on the host."""
