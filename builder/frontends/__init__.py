"""Front ends: `vmwheel` (cli.py) and `fab` (fab.py, loaded by the top-level fabfile.py)."""
