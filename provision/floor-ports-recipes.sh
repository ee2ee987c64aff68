# shellcheck shell=sh disable=SC2086,SC2016  # flag lists split on purpose; pkg-config ${vars} stay literal
# floor-install recipes: how each port (named by its Debian -dev package) is configured, built
# and installed into a prefix with the floor toolchain (glibc 2.17 sysroot). Sourced, not run.
#
# port_build NAME PREFIX JOBS
#   Runs in the top directory of the unpacked source tree (checked by sha256 before unpacking).
#   The caller exports CC=/opt/floor/bin/gcc CXX=/opt/floor/bin/g++
#   PKG_CONFIG_LIBDIR=$PREFIX/lib/pkgconfig PKG_CONFIG_PATH= CPPFLAGS="-I$PREFIX/include"
#   LDFLAGS="-L$PREFIX/lib -Wl,-rpath-link,$PREFIX/lib", and has already installed the port's
#   dependencies (floor-ports.lock, last column) into PREFIX. With FLOOR_HOST set
#   (aarch64-linux-gnu) it cross-builds: CC/CXX are the cross wrappers, AR/RANLIB/STRIP the
#   target's binutils, and each recipe says so to its build system (--host, CMake's system).
#   Installs shared libraries (for auditwheel to graft), headers and pkg-config files; no static
#   archives, no documentation, no programs where the build allows it. Returns non-zero on the
#   first failing step (every step is chained with &&, so it does not rely on set -e).
# Build tools the recipes need besides gcc/g++/make/binutils: perl (openssl), cmake and nasm
# (libjpeg-turbo), tcl (sqlite3 generates its sources with tclsh), pkg-config (freetype finds
# libpng with it).
# POSIX sh. Strict mode holds for whoever sources it, as with lib.sh (floor-install sets it too).
set -eu

# _port_prune PREFIX PROGRAM...: drop documentation that some builds install whatever the options,
# and the named programs from PREFIX/bin.
_port_prune() {
    _pp=$1
    shift
    rm -rf "$_pp/share/doc" "$_pp/share/gtk-doc" "$_pp/share/man" "$_pp/share/info"
    for _pg in "$@"; do rm -f "$_pp/bin/$_pg"; done
    rm -f "$_pp"/lib/*.la
}

# _yaml_m4 NAME: a number m4_define'd as YAML_NAME in libyaml's configure.ac
_yaml_m4() {
    sed -n "s/^m4_define(\[YAML_$1\], *\([0-9]*\)).*/\1/p" configure.ac
}

port_build() {
    _p=$2 _j=$3
    # autoconf's cross-compiling switch; zlib's configure needs none (CC and AR say it all;
    # its CHOST would drop the soname) and OpenSSL and CMake get theirs below.
    _host=""
    [ -z "${FLOOR_HOST:-}" ] || _host="--host=$FLOOR_HOST --build=$(uname -m)-linux-gnu"
    case "$1" in
        zlib1g-dev)
            # zlib's own configure script (not autoconf) always builds libz.a too.
            CFLAGS="-O2" ./configure --prefix="$_p" --libdir="$_p/lib" \
                --sharedlibdir="$_p/lib" &&
            make -j"$_j" &&
            make install &&
            rm -f "$_p/lib/libz.a" && _port_prune "$_p"
            ;;
        libbz2-dev)
            # Upstream bzip2 1.0.8 has only plain Makefiles: build libbz2.so.1.0.8 by hand with
            # the soname Debian uses (libbz2.so.1.0) and write the bzip2.pc Debian ships.
            for _o in blocksort huffman crctable randtable compress decompress bzlib; do
                $CC $CPPFLAGS -O2 -fPIC -Wall -Winline -D_FILE_OFFSET_BITS=64 \
                    -c "$_o.c" -o "$_o.o" || return 1
            done
            $CC $LDFLAGS -shared -Wl,-soname,libbz2.so.1.0 -o libbz2.so.1.0.8 \
                blocksort.o huffman.o crctable.o randtable.o compress.o decompress.o bzlib.o &&
            mkdir -p "$_p/lib/pkgconfig" "$_p/include" &&
            cp bzlib.h "$_p/include/" &&
            cp libbz2.so.1.0.8 "$_p/lib/" &&
            ln -sf libbz2.so.1.0.8 "$_p/lib/libbz2.so.1.0" &&
            ln -sf libbz2.so.1.0.8 "$_p/lib/libbz2.so.1" &&
            ln -sf libbz2.so.1.0.8 "$_p/lib/libbz2.so" &&
            printf '%s\n' "prefix=$_p" 'exec_prefix=${prefix}' 'libdir=${exec_prefix}/lib' \
                'includedir=${prefix}/include' '' 'Name: bzip2' \
                'Description: Lossless, block-sorting data compression' 'Version: 1.0.8' \
                'Libs: -L${libdir} -lbz2' 'Cflags: -I${includedir}' \
                > "$_p/lib/pkgconfig/bzip2.pc"
            ;;
        liblzma-dev)
            ./configure $_host CFLAGS="-O2" --prefix="$_p" --libdir="$_p/lib" \
                --enable-shared --disable-static --disable-xz --disable-xzdec --disable-lzmadec \
                --disable-lzmainfo --disable-lzma-links --disable-scripts --disable-doc \
                --disable-nls &&
            make -j"$_j" &&
            make install &&
            _port_prune "$_p"
            ;;
        libffi-dev)
            ./configure $_host CFLAGS="-O2" --prefix="$_p" --libdir="$_p/lib" \
                --enable-shared --disable-static --disable-docs --disable-multi-os-directory &&
            make -j"$_j" &&
            make install &&
            _port_prune "$_p"
            ;;
        libssl-dev)
            # --openssldir=/etc/ssl: the system's CA certificates and openssl.cnf stay in use.
            # Only shared libraries, engines, headers and pkg-config files: no openssl program, no
            # docs (install_dev also installs libcrypto.a/libssl.a: removed).
            if [ -n "$_host" ]; then
                ./Configure "linux-${FLOOR_HOST%%-*}" --prefix="$_p" --libdir=lib \
                    --openssldir=/etc/ssl shared no-tests -O2
            else
                ./config --prefix="$_p" --libdir=lib --openssldir=/etc/ssl shared no-tests -O2
            fi &&
            # One goal per make: both goals re-enter make in parallel and race under -j.
            make -j"$_j" build_libs &&
            make -j"$_j" build_engines &&
            make install_dev install_engines &&
            rm -f "$_p/lib/libcrypto.a" "$_p/lib/libssl.a"
            ;;
        libsqlite3-dev)
            # Debian's orig is the full source tree: its sources are generated with tclsh (tcl
            # must be installed for the build). Features as Debian enables them.
            ./configure $_host --prefix="$_p" --libdir="$_p/lib" --enable-shared --disable-static \
                --disable-tcl --disable-readline --disable-editline --enable-threadsafe \
                --enable-load-extension --enable-fts3 --enable-fts4 --enable-fts5 \
                --enable-json1 --enable-rtree \
                CFLAGS="-O2 -DSQLITE_ENABLE_COLUMN_METADATA -DSQLITE_ENABLE_FTS3_PARENTHESIS \
-DSQLITE_SECURE_DELETE -DSQLITE_ENABLE_UNLOCK_NOTIFY -DSQLITE_ENABLE_DBSTAT_VTAB \
-DSQLITE_MAX_SCHEMA_RETRY=25 -DSQLITE_ENABLE_PREUPDATE_HOOK -DSQLITE_ENABLE_SESSION \
-DSQLITE_ENABLE_STAT4 -DSQLITE_MAX_VARIABLE_NUMBER=250000" &&
            make -j"$_j" libsqlite3.la sqlite3.h sqlite3.pc &&
            make lib_install &&
            mkdir -p "$_p/include" "$_p/lib/pkgconfig" &&
            cp sqlite3.h src/sqlite3ext.h "$_p/include/" &&
            cp sqlite3.pc "$_p/lib/pkgconfig/" &&
            _port_prune "$_p"
            ;;
        libyaml-dev)
            if [ -x configure ]; then
                # A release tarball with configure (such as bullseye's libyaml_0.2.2.orig.tar.gz).
                ./configure $_host CFLAGS="-O2" --prefix="$_p" --libdir="$_p/lib" \
                    --enable-shared --disable-static &&
                make -j"$_j" &&
                make install &&
                _port_prune "$_p"
            else
                # A git export without configure (libyaml_0.2.5.orig.tar.gz): its 8 C files, built
                # by hand as libtool would (-release 0 -version-info CURRENT:REVISION:AGE).
                _ma=$(_yaml_m4 MAJOR) _mi=$(_yaml_m4 MINOR) _pa=$(_yaml_m4 PATCH)
                _cu=$(_yaml_m4 CURRENT) _re=$(_yaml_m4 REVISION) _ag=$(_yaml_m4 AGE)
                [ -n "$_ma$_mi$_pa" ] && [ -n "$_cu$_re$_ag" ] || return 1
                _v=$_ma.$_mi.$_pa
                _so=libyaml-0.so.$((_cu - _ag))
                _full=$_so.$_ag.$_re
                printf '#define %s\n' "YAML_VERSION_MAJOR $_ma" "YAML_VERSION_MINOR $_mi" \
                    "YAML_VERSION_PATCH $_pa" "YAML_VERSION_STRING \"$_v\"" > include/config.h &&
                for _c in src/*.c; do
                    $CC $CPPFLAGS -Iinclude -DHAVE_CONFIG_H -DYAML_DECLARE_EXPORT -O2 -fPIC \
                        -c "$_c" -o "${_c%.c}.o" || return 1
                done &&
                $CC $LDFLAGS -shared -Wl,-soname,"$_so" -o "$_full" src/*.o &&
                mkdir -p "$_p/lib/pkgconfig" "$_p/include" &&
                cp include/yaml.h "$_p/include/" &&
                cp "$_full" "$_p/lib/" &&
                ln -sf "$_full" "$_p/lib/$_so" &&
                ln -sf "$_full" "$_p/lib/libyaml.so" &&
                sed -e "s|@prefix@|$_p|" -e 's|@exec_prefix@|${prefix}|' \
                    -e 's|@includedir@|${prefix}/include|' -e 's|@libdir@|${exec_prefix}/lib|' \
                    -e "s|@PACKAGE_VERSION@|$_v|" yaml-0.1.pc.in > "$_p/lib/pkgconfig/yaml-0.1.pc"
            fi
            ;;
        libxml2-dev)
            # xml2-config stays (lxml's setup runs it); the xmllint/xmlcatalog programs go.
            ./configure $_host CFLAGS="-O2" --prefix="$_p" --libdir="$_p/lib" \
                --enable-shared --disable-static --without-python --without-icu \
                --with-zlib="$_p" --with-lzma="$_p" --with-threads --without-history &&
            make -j"$_j" &&
            make install &&
            _port_prune "$_p" xmllint xmlcatalog
            ;;
        libxslt1-dev)
            # xslt-config stays; no libgcrypt among the ports, so no EXSLT crypto functions.
            ./configure $_host CFLAGS="-O2" --prefix="$_p" --libdir="$_p/lib" \
                --enable-shared --disable-static --without-python --without-crypto \
                --without-debugger --with-libxml-prefix="$_p" &&
            # libtool would give libexslt a RUNPATH to PREFIX/lib (it links the uninstalled
            # libxslt.la); no port library carries an RPATH/RUNPATH.
            sed -i -e 's|^hardcode_libdir_flag_spec=.*|hardcode_libdir_flag_spec=""|' \
                -e 's|^runpath_var=LD_RUN_PATH|runpath_var=DIE_RPATH_DIE|' libtool &&
            make -j"$_j" &&
            make install &&
            _port_prune "$_p" xsltproc
            ;;
        libjpeg-dev)
            # libjpeg.so.62: the libjpeg62-turbo ABI that Debian's libjpeg-dev gives. SIMD needs
            # nasm. Only the library target is built; its files are copied by hand because the
            # install rules would build and install cjpeg, djpeg, ... as well (and the build-tree
            # library would carry a padded empty RUNPATH without CMAKE_SKIP_RPATH).
            _cm=""
            [ -z "$_host" ] || _cm="-DCMAKE_SYSTEM_NAME=Linux \
-DCMAKE_SYSTEM_PROCESSOR=${FLOOR_HOST%%-*} -DCMAKE_AR=$(command -v "$AR") \
-DCMAKE_RANLIB=$(command -v "$RANLIB")"
            mkdir -p _build && cd _build &&
            cmake .. $_cm -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE="-O2 -DNDEBUG" \
                -DCMAKE_INSTALL_PREFIX="$_p" -DCMAKE_INSTALL_LIBDIR="$_p/lib" \
                -DCMAKE_INSTALL_INCLUDEDIR="$_p/include" -DENABLE_STATIC=OFF -DENABLE_SHARED=ON \
                -DWITH_TURBOJPEG=OFF -DWITH_JPEG8=OFF -DWITH_SIMD=ON -DREQUIRE_SIMD=ON \
                -DCMAKE_SKIP_RPATH=ON &&
            make -j"$_j" jpeg &&
            mkdir -p "$_p/include" "$_p/lib/pkgconfig" &&
            cp -P libjpeg.so* "$_p/lib/" &&
            cp jconfig.h ../jerror.h ../jmorecfg.h ../jpeglib.h "$_p/include/" &&
            cp pkgscripts/libjpeg.pc "$_p/lib/pkgconfig/" &&
            cd ..
            ;;
        libpng-dev)
            # Also the unversioned names Debian's libpng-dev has (png.h, libpng.so, libpng.pc,
            # libpng-config); the pngfix and png-fix-itxt programs go.
            ./configure $_host CFLAGS="-O2" --prefix="$_p" --libdir="$_p/lib" \
                --enable-shared --disable-static --enable-unversioned-links &&
            make -j"$_j" &&
            make install &&
            _port_prune "$_p" pngfix png-fix-itxt
            ;;
        libfreetype-dev)
            # freetype-config is installed too (older build scripts still call it).
            ./configure $_host CFLAGS="-O2" --prefix="$_p" --libdir="$_p/lib" \
                --enable-shared --disable-static --with-zlib=yes --with-png=yes \
                --with-bzip2=no --with-harfbuzz=no --with-brotli=no --enable-freetype-config &&
            make -j"$_j" &&
            make install &&
            _port_prune "$_p"
            ;;
        *)
            echo "port_build: no recipe for $1" >&2
            return 1
            ;;
    esac
}
