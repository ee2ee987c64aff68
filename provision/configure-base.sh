#!/usr/bin/env bash
# Make a Debian root file system into a Vagrant guest: user `vagrant` with the given public key
# and password-less sudo, DHCP on eth0, sshd with host keys made at first boot, root on /dev/vda.
# Usage: configure-base.sh PUBKEY_FILE [HOSTNAME]
# Runs as root inside the guest's root file system (a chroot while a box is built, or the guest).
# Bash: only Debian root file systems run this, and bash is Essential there (in every
# debootstrap, minbase too); build-debian-box.sh runs it with bash.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need_args "$#" 1
pubkey=$1
name=${2:-vmwheel}

if ! id vagrant >/dev/null 2>&1; then
    useradd --create-home --shell /bin/bash vagrant
fi
install -d -m 0700 -o vagrant -g vagrant /home/vagrant/.ssh
install -m 0600 -o vagrant -g vagrant "$pubkey" /home/vagrant/.ssh/authorized_keys
printf 'vagrant ALL=(ALL) NOPASSWD: ALL\nDefaults:vagrant !requiretty\n' > /etc/sudoers.d/vagrant
chmod 0440 /etc/sudoers.d/vagrant

echo "$name" > /etc/hostname
printf '127.0.0.1 localhost\n127.0.1.1 %s\n' "$name" > /etc/hosts
printf 'auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet dhcp\n' > /etc/network/interfaces
echo '/dev/vda / ext4 defaults,errors=remount-ro 0 1' > /etc/fstab

# Every VM gets its own identity: no machine-id and no sshd host keys in the box.
: > /etc/machine-id
rm -f /var/lib/dbus/machine-id
rm -f /etc/ssh/ssh_host_*
cat > /etc/systemd/system/vmwheel-ssh-keys.service <<'UNIT'
[Unit]
Description=Generate sshd host keys for this VM
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
# Only ed25519 and ECDSA: an RSA host key takes half a minute under software emulation.
ExecStart=/usr/bin/ssh-keygen -q -t ed25519 -N "" -f /etc/ssh/ssh_host_ed25519_key
ExecStart=/usr/bin/ssh-keygen -q -t ecdsa -N "" -f /etc/ssh/ssh_host_ecdsa_key

[Install]
WantedBy=multi-user.target
UNIT
mkdir -p /etc/systemd/system/multi-user.target.wants
ln -sf /etc/systemd/system/vmwheel-ssh-keys.service \
    /etc/systemd/system/multi-user.target.wants/vmwheel-ssh-keys.service

# Faster SSH logins: no reverse DNS look-up of the client.
printf 'UseDNS no\n' > /etc/ssh/sshd_config.d/vmwheel.conf
