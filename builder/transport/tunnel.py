"""An SSH remote port forward: the guest's 127.0.0.1:PORT leads to a handler in this process.

This is how a guest under guest-network=allowlist reaches the proxy (host/proxy.py): QEMU's
`restrict=on` leaves the guest no route out, and the SSH connection vmwheel already has (QEMU's
forwarded port) carries the proxy's connections. sshd binds the port on the guest's loopback
only (GatewayPorts no, its default); every connection arrives as an SSH channel on a connection
of the tunnel's own, apart from the build's (which may reconnect).
"""

import paramiko

from ..errors import BuildHostError


class Tunnel:
    def __init__(self, remote, serve):
        """`serve(channel)` takes each connection and must not block (it runs on the SSH
        transport's thread)."""
        self.remote = remote.twin()
        self.serve = serve
        self.port = None

    def open(self):
        """Ask the guest's sshd to listen on a free loopback port; return that port."""
        transport = self.remote.transport()
        try:
            self.port = transport.request_port_forward(
                "127.0.0.1", 0, handler=lambda channel, origin, server: self.serve(channel))
        except paramiko.SSHException as exc:
            self.close()
            raise BuildHostError(f"the guest's sshd refused a port forward for the package "
                                 f"proxy ({exc})", "allow TCP forwarding in its sshd_config "
                                 "(AllowTcpForwarding yes), or use --guest-network full or "
                                 "none") from None
        return self.port

    def close(self):
        """Close the tunnel's connection: sshd then closes the guest's listener."""
        self.port = None
        self.remote.close()
