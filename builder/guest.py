"""A build host reached over SSH with Fabric. Everything above this module talks to a `Guest`
and never knows whether it is a VM or a plain SSH host."""

import shlex
import socket

import paramiko
from fabric import Connection

from .errors import VmwheelError

# Failures of the link itself (as opposed to a command that ran and failed).
LINK_ERRORS = (paramiko.SSHException, socket.error, EOFError)


class Guest:
    def __init__(self, host, port, user, key_filename=None, connect_timeout=30):
        self.where = f"{user}@{host}:{port}"
        kwargs = {"look_for_keys": False, "allow_agent": False}
        if key_filename:
            kwargs["key_filename"] = key_filename
        self.conn = Connection(host, user=user, port=port, connect_kwargs=kwargs,
                               connect_timeout=connect_timeout)

    def _link_error(self, doing, exc):
        return VmwheelError(f"lost the SSH link to {self.where} while {doing} ({exc})",
                            "check the VM (`vagrant status`) and rerun; fetched wheels are kept")

    def call(self, command, env=None, log=None, cwd=None):
        """Run `command` (a shell string) in the guest; return (exit code, stdout).

        `env` values and `cwd` are quoted here; output also goes to the file object `log`.
        """
        prefix = ""
        if env:
            prefix = "export " + " ".join(
                f"{k}={shlex.quote(str(v))}" for k, v in sorted(env.items())) + "; "
        if cwd:
            prefix += f"cd {shlex.quote(str(cwd))} && "
        try:
            res = self.conn.run(prefix + command, hide=True, warn=True, in_stream=False,
                                out_stream=log, err_stream=log)
        except LINK_ERRORS as exc:
            raise self._link_error(f"running `{command[:60]}`", exc) from None
        return res.exited, res.stdout

    def check(self, command, **kwargs):
        code, out = self.call(command, **kwargs)
        if code != 0:
            raise VmwheelError(f"`{command[:80]}` failed in the guest (exit {code})",
                               "see the log")
        return out

    def put(self, local, remote):
        try:
            self.conn.put(str(local), str(remote))
        except LINK_ERRORS as exc:
            raise self._link_error(f"uploading {local}", exc) from None

    def get(self, remote, local):
        try:
            self.conn.get(str(remote), str(local))
        except LINK_ERRORS as exc:
            raise self._link_error(f"downloading {remote}", exc) from None

    def close(self):
        self.conn.close()
