"""Architectures: the one place that knows their names in each vocabulary."""

import enum


class Arch(str, enum.Enum):
    """A CPU architecture as wheel tags spell it (the enum's value)."""

    X86_64 = "x86_64"
    I686 = "i686"
    AARCH64 = "aarch64"
    PPC64LE = "ppc64le"
    S390X = "s390x"
    ARMV7L = "armv7l"

    def __str__(self):
        return self.value

    @property
    def debian(self):
        """Debian's name: amd64, i386, ..."""
        return {"x86_64": "amd64", "i686": "i386", "aarch64": "arm64", "ppc64le": "ppc64el",
                "s390x": "s390x", "armv7l": "armhf"}[self.value]

    @property
    def pip_platform(self):
        """The platform tag pip downloads tool wheels for (manylinux2014 has every arch)."""
        return f"manylinux2014_{self.value}"


BUILDABLE = (Arch.X86_64, Arch.I686, Arch.AARCH64)  # archs the machine table has boxes for


# The legacy names of manylinux policies (PEP 599), as auditwheel also accepts them.
POLICY_ALIASES = {"manylinux2014": "manylinux_2_17", "manylinux2010": "manylinux_2_12",
                  "manylinux1": "manylinux_2_5"}


def split_platform(plat):
    """'manylinux_2_31_x86_64' -> ('manylinux_2_31', Arch.X86_64); None if no arch matches."""
    for arch in Arch:
        if plat.endswith("_" + arch.value):
            return plat[:-len(arch.value) - 1], arch
    return None
