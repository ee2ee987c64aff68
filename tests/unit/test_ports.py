"""floor-install's ports as data (provision/floor-ports.lock) and what a failed build or a
before-all on a floor box is told about them."""

from builder.model import ports
from builder.model.machine import get
from builder.stages import why
from builder.stages.ports import apt_hint, named, restore, wanted

FLOOR = get().floor_spec.ports  # the default machine carries the glibc 2.17 floor


def test_the_lock_names_every_port_the_floor_promises_with_its_dependencies():
    found = {p.name: p for p in ports.read()}
    assert set(found) == {"libffi-dev", "libssl-dev", "zlib1g-dev", "libbz2-dev", "liblzma-dev",
                          "libsqlite3-dev", "libyaml-dev", "libxml2-dev", "libxslt1-dev",
                          "libjpeg-dev", "libpng-dev", "libfreetype-dev"}
    assert found["libxslt1-dev"].deps == ("libxml2-dev",)
    assert found["libfreetype-dev"].deps == ("zlib1g-dev", "libpng-dev")
    for port in found.values():
        assert set(port.deps) <= set(found) and len(port.sha256) == 64
        assert port.pool_path.startswith("pool/main/") and port.pool_path.endswith(port.file)


def test_a_missing_header_names_the_port_that_provides_it():
    assert ports.providing("ffi.h").name == "libffi-dev"
    assert ports.providing("libxml/parser.h").name == "libxml2-dev"
    assert ports.providing("openssl/ssl.h").name == "libssl-dev"
    assert ports.providing("nope.h") is None
    lines = ["src/c/_cffi_backend.c:15:10: fatal error: ffi.h: No such file or directory"]
    [hint] = why.hints(lines, floor=True)
    assert hint.startswith("hint: ffi.h not found: add `floor-install libffi-dev` to before-all")
    [plain] = why.hints(lines)  # no floor: no floor-install to offer
    assert "floor-install" not in plain
    clang = ["m.c:2:10: fatal error: 'ffi.h' file not found"]  # zig's words, on i686
    assert why.missing_headers(clang) == ["ffi.h"]
    [zig] = why.hints(clang, floor=get("manylinux2014-i686").floor_spec.ports)
    assert "floor-install" not in zig and "build the library from source with $CC" in zig


def test_apt_get_install_of_dev_packages_on_a_floor_box_is_told_to_use_floor_install():
    line = apt_hint("apt-get update && sudo apt-get install -y libffi-dev libxml2-dev make",
                    FLOOR)
    assert line.startswith("before-all installs Debian's libffi-dev libxml2-dev with apt")
    assert "use `floor-install libffi-dev libxml2-dev` instead" in line
    assert apt_hint("sudo apt install -y libffi-dev", False) is None  # no floor: apt is right
    assert apt_hint("apt-get install -y make", FLOOR) is None
    assert apt_hint("echo libffi-dev", FLOOR) is None


def test_the_hosts_cache_is_used_only_where_floor_install_runs():
    assert wanted("floor-install libffi-dev", FLOOR)
    assert not wanted("floor-install libffi-dev", False)
    zig = get("manylinux2014-i686").floor_spec.ports  # floor-install: not yet on i686
    assert not wanted("floor-install libffi-dev", zig)
    assert apt_hint("apt-get install -y libffi-dev", zig) is None
    assert not wanted("make", FLOOR) and not wanted("", FLOOR)
    assert ports.floor_env()["PKG_CONFIG_LIBDIR"] == "/opt/floor/ports/lib/pkgconfig"
    # CMake and meson find the floor's c++ and cc first, the system's tools after them.
    path = ports.floor_env()["PATH"].split(":")
    assert path[0] == "/opt/floor/bin" and {"/usr/bin", "/bin"} <= set(path)


def test_a_before_all_gets_back_only_the_builds_of_the_ports_it_names(tmp_path, monkeypatch):
    assert named("floor-install libxslt1-dev zlib1g-dev") == {
        "libxslt1-dev", "libxml2-dev", "zlib1g-dev", "liblzma-dev"}
    assert named("floor-install $LIBS") is None  # names none: every build goes back
    monkeypatch.setenv("VMWHEEL_CACHE_DIR", str(tmp_path))
    cached = tmp_path / "ports"
    cached.mkdir()
    for name in ("libffi-dev-06cae8e236671a03", "libbz2-dev-81d747fbc33c439b",
                 "libffi-dev-1111111111111111"):
        (cached / f"{name}.tar.gz").write_bytes(b"packed")

    class Guest:  # a guest's built/ dir, with one of the libffi builds already there
        def __init__(self):
            self.put_names = []

        def check(self, command):
            return "libffi-dev-1111111111111111.tar.gz\n"

        def put(self, local, remote):
            self.put_names.append(remote.name)

    guest = Guest()
    assert restore(guest, "floor-install libffi-dev") == 1
    assert guest.put_names == ["libffi-dev-06cae8e236671a03.tar.gz"]  # not libbz2 (aarch64's)
    assert restore(Guest(), "floor-install $LIBS") == 2
