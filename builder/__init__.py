"""vmwheel: build portable Linux wheels inside a Vagrant VM."""

__version__ = "0.1.0"
