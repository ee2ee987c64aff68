"""`Remote`: a build host reached over SSH with Fabric. Everything above the providers talks to
a `Remote` and never knows whether it is a VM or a plain SSH host.

Host keys are checked against a known_hosts file: for a VM, the key is learned at the first
connection after the VM was created and pinned from then on (reconnects and reuse with --keep-vm
must present the same key); a plain SSH host must already be in the file. A link that breaks
(connection reset, timeout) is retried with backoff; a command that fails is not. A host that
stops answering is noticed by the keepalive (keepalive.py); a host that is gone for good (the
provider's `checkup` says so: a VM that powered off) is not retried: HostGone says what happened.
"""

import copy
import logging
import socket
import time
from pathlib import Path

import paramiko
from fabric import Connection

from ..errors import (BuildFailed, BuildHostError, ConfigurationError, HostGone, VmwheelError,
                      local_write_error, stopped_by)
from . import keepalive, stream
from .shell import command_line

# Failures of the link itself (as opposed to a command that ran and failed, or a connection
# that can never work: refused login, wrong host key, not an SSH server; those are not retried).
LINK_ERRORS = (paramiko.SSHException, socket.error, EOFError)
# paramiko logs its own tracebacks (a peer that is not an SSH server, a reset) before vmwheel's
# one line; they are shown only with --debug (frontends/cli.py).
PARAMIKO_LOG = logging.getLogger("paramiko")
PARAMIKO_LOG.addHandler(logging.NullHandler())
PARAMIKO_LOG.propagate = False
RETRIES = 3
BACKOFF = 1.0  # seconds, doubled after each failed attempt


class Remote:
    def __init__(self, host, port, user, key_filename=None, connect_timeout=30,
                 known_hosts=None, learn_host_key=False):
        self.where = f"{user}@{host}:{port}"
        self.host, self.port, self.user = host, port, user
        self.key_filename, self.connect_timeout = key_filename, connect_timeout
        self.known_hosts, self.learn = known_hosts, learn_host_key
        self.conn = None
        self.reconnects = 0
        self.connected_once = False  # then a silent or garbled peer is a lost link: retried
        self.aborted = None  # set by abort(): no more commands, no reconnecting
        self.said = ""  # the end of the last command's stdout and stderr
        self.watch = None  # the connection's keepalive (keepalive.py)
        # The provider's look at the host once the link broke: (final) -> what happened to it
        # ("the VM powered off"), or None while it may come back (retried). `final`: retries
        # are over, say what is known.
        self.checkup = lambda final: "the SSH link to the build host broke" if final else None
        self.noun = "the build host"  # "the VM": how lines name it
        self.retries = RETRIES  # attempts at each command, transfer or connection

    def twin(self):
        """Another connection to the same host, for a build running alongside; the host key
        is pinned by now (the first connection learned it)."""
        twin = Remote(self.host, self.port, self.user, key_filename=self.key_filename,
                      connect_timeout=self.connect_timeout, known_hosts=self.known_hosts,
                      learn_host_key=False)
        twin.checkup, twin.noun = self.checkup, self.noun
        return twin

    def abort(self, cause=None):
        """Stop this connection's work from another thread: what runs fails, nothing retries.
        `cause` (the VmwheelError that stopped the run) is what those commands then fail with;
        without one they fail as interrupted."""
        self.aborted = cause or BuildFailed(stopped_by(), "rerun to finish")
        self.close()

    def _stopped(self):
        """A fresh copy of the abort's cause, raised in the aborted build's own thread."""
        return copy.copy(self.aborted)

    def _connection(self):
        if self.conn is None:
            kwargs = {"look_for_keys": False, "allow_agent": False,
                      # Shorter than the handshake's wait (connect_timeout): a silent peer
                      # then fails as "no banner", not later as "No existing session".
                      "banner_timeout": self.connect_timeout / 2,
                      "auth_timeout": self.connect_timeout}
            if self.key_filename and not Path(self.key_filename).is_file():
                raise ConfigurationError(f"the SSH key {self.key_filename} does not exist",
                                         "pass an existing private key with --ssh-key")
            if self.key_filename:
                kwargs["key_filename"] = self.key_filename
            conn = Connection(self.host, user=self.user, port=self.port, connect_kwargs=kwargs,
                              connect_timeout=self.connect_timeout)
            client = conn.client
            client.get_host_keys().clear()
            if self.known_hosts:
                if self.known_hosts.exists():
                    try:
                        client.load_host_keys(str(self.known_hosts))
                    except (OSError, ValueError, paramiko.SSHException,
                            paramiko.hostkeys.InvalidHostKey) as exc:
                        raise ConfigurationError(
                            f"the known_hosts file {self.known_hosts} cannot be read "
                            f"({type(exc).__name__})", "fix or replace that file") from None
                if self.learn and not client.get_host_keys():
                    # First contact with a VM we just created: pin what it presents.
                    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
                else:
                    client.set_missing_host_key_policy(paramiko.RejectPolicy())
            try:
                conn.open()
            except paramiko.AuthenticationException as exc:
                raise BuildHostError(f"{self.where} refused the login ({exc})",
                                     "check the user and the key (--ssh-key): the host must "
                                     "accept that key for that user") from None
            except (socket.timeout, TimeoutError):
                if self.connected_once:
                    raise  # a VM going away mid-build: the link, retried
                raise BuildHostError(f"no answer from {self.where} within "
                                     f"{self.connect_timeout} s",
                                     "check that the host is up and the port is right") from None
            except socket.gaierror as exc:
                raise BuildHostError(f"cannot resolve the host of {self.where} ({exc})",
                                     "check the host name") from None
            except paramiko.BadHostKeyException:
                raise BuildHostError(f"{self.where} presented a different host key than the "
                                   f"one pinned in {self.known_hosts}",
                                   "someone may be in between; if the host was rebuilt, "
                                   "remove its line from that file") from None
            except paramiko.SSHException as exc:
                if "not found in known_hosts" in str(exc):
                    raise BuildHostError(f"{self.where} is not in {self.known_hosts}",
                                         "add its host key there (ssh-keyscan, checked by "
                                         "hand)") from None
                # The transport thread's own failure says more than what reaches us here
                # (a silent peer may surface as "No existing session").
                cause = getattr(client.get_transport(), "saved_exception", None)
                if not self.connected_once and any(
                        m in f"{exc} {cause}" for m in ("protocol banner", "Incompatible version")):
                    raise BuildHostError(f"{self.where} is not an SSH server "
                                         f"({cause or exc})",
                                         "check the host and the port") from None
                if "No authentication methods" in str(exc):
                    raise BuildHostError(f"no key to log in to {self.where}",
                                         "pass one with --ssh-key") from None
                raise  # the link itself: retried
            if self.known_hosts and self.learn:
                self.known_hosts.parent.mkdir(parents=True, exist_ok=True)
                client.save_host_keys(str(self.known_hosts))
                self.learn = False
            self.conn = conn
            self.connected_once = True
            self.watch = keepalive.watch(client.get_transport())
        return self.conn

    def _retrying(self, doing, action):
        delay = BACKOFF
        for attempt in range(1, self.retries + 1):
            try:
                if self.aborted:
                    raise self._stopped()
                return action(self._connection())
            except VmwheelError:
                raise
            except LINK_ERRORS as exc:
                self.close()
                if self.aborted:
                    raise self._stopped() from None
                happened = self._gone(attempt == self.retries)
                if happened:
                    raise HostGone(
                        f"lost the SSH link to {self.where} while {doing} ({exc}), {attempt} "
                        f"attempt{'s' if attempt > 1 else ''}: {happened}",
                        "check the VM or host and rerun; wheels already fetched are kept and "
                        "not rebuilt", happened=happened) from None
                time.sleep(delay)
                delay *= 2
                self.reconnects += 1

    def _gone(self, final):
        """What happened to a host whose link just broke, when it is gone for good (or the
        retries are over); None: retry."""
        happened = self.checkup(final)
        if happened is None and self.watch is not None and self.watch.gave_up:
            return (f"{self.noun} stopped answering (no reply to SSH keepalives for "
                    f"{self.watch.limit} s)")
        return happened

    def call(self, command, env=None, log=None, cwd=None, what=None, keep=stream.KEEP):
        """Run `command` (a shell string) in the guest; return (exit code, stdout: its last
        `keep` bytes, all of it when None). Both streams also go to the text stream `log`;
        the end of both is kept as `said` (transport/stream.py); `what` names the command in
        errors."""
        line = command_line(command, env, cwd)

        def run(c):
            code, out, self.said = stream.run(c.client.get_transport(), line, log, keep,
                                              lambda: self.aborted is not None,
                                              self.connect_timeout)
            if self.aborted:
                raise self._stopped()
            if code == -1:  # the channel closed without an exit status: the link broke
                raise paramiko.SSHException("connection closed before the command finished")
            return code, out

        return self._retrying(f"running `{' '.join((what or command).split())[:60]}`", run)

    def check(self, command, **kwargs):
        code, out = self.call(command, **kwargs)
        if code != 0:
            raise BuildFailed(f"`{command[:80]}` failed in the guest (exit {code})",
                               "see the log")
        return out

    def transport(self):
        """The connected paramiko Transport (for a port forward: transport/tunnel.py)."""
        return self._retrying("connecting", lambda c: c.client.get_transport())

    def put(self, local, remote):
        self._retrying(f"uploading {local}", lambda c: c.put(str(local), str(remote)))

    def get(self, remote, local):
        def download(c):
            try:
                c.get(str(remote), str(local))
            except OSError as exc:  # a full output dir is not a broken link: never retried
                raise local_write_error(exc, local) or exc

        self._retrying(f"downloading {remote}", download)

    def close(self):
        """Close the connection; a link that is already broken may fail to close cleanly
        (paramiko raises EOFError sending the SFTP close), which is no error here."""
        if self.watch is not None:  # kept: whether it gave up says why the link broke
            self.watch.stop()
        if self.conn is not None:
            try:
                self.conn.close()
            except LINK_ERRORS:
                pass
            finally:
                self.conn = None
