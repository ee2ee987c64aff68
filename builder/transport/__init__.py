"""How vmwheel talks to a build host: SSH (Fabric/paramiko), quoting, host keys, retries."""
