"""What build hosts are made from: local boxes (boxes.py), CPython sources, the Debian mirror."""
