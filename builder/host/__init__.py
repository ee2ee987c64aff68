"""This host's tools: Debian packages, libvirt daemons and pool (prepare.py), Vagrant (vagrantcli.py), pip settings and CA bundle for guests (pipconfig.py)."""
