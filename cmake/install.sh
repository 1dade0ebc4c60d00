#!/bin/sh
# Installs the C API of cadfeat: libcadfeat.{so,a}, include/cadfeat.{h,hpp}, a pkg-config file
# and a CMake package.
#
#   cargo build --release
#   sh cmake/install.sh /usr/local                 # or any PREFIX; LIBDIR defaults to target/release
#   sh cmake/install.sh "$HOME/.local" target/debug
#
# Afterwards: `pkg-config --cflags --libs cadfeat` (PKG_CONFIG_PATH=PREFIX/lib/pkgconfig when PREFIX
# is not a system prefix) and `find_package(cadfeat)` (CMAKE_PREFIX_PATH=PREFIX), target
# cadfeat::cadfeat. Set DESTDIR to stage the files under another root (packaging).
set -eu
if [ $# -lt 1 ]; then
  echo "usage: $0 PREFIX [LIBDIR]" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
case "$1" in
  /*) prefix=$1 ;;
  *) prefix=$(pwd)/$1 ;;
esac
libdir=${2:-$root/target/release}
destdir=${DESTDIR:-}
version=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' "$root/Cargo.toml" | head -n 1)
if [ ! -f "$libdir/libcadfeat.so" ] && [ ! -f "$libdir/libcadfeat.a" ]; then
  echo "$0: no libcadfeat.so or libcadfeat.a in $libdir (run cargo build --release first)" >&2
  exit 1
fi
dest=$destdir$prefix
install -d "$dest/lib/pkgconfig" "$dest/lib/cmake/cadfeat" "$dest/include"
for lib in libcadfeat.so libcadfeat.a; do
  if [ -f "$libdir/$lib" ]; then
    install -m 0644 "$libdir/$lib" "$dest/lib/$lib"
  fi
done
[ -f "$dest/lib/libcadfeat.so" ] && chmod 0755 "$dest/lib/libcadfeat.so"
install -m 0644 "$root/include/cadfeat.h" "$root/include/cadfeat.hpp" "$dest/include/"
sed -e "s|@PREFIX@|$prefix|g" -e "s|@VERSION@|$version|g" "$root/cadfeat.pc.in" \
  > "$dest/lib/pkgconfig/cadfeat.pc"
install -m 0644 "$root/cmake/cadfeatConfig.cmake" "$dest/lib/cmake/cadfeat/"
sed -e "s|@VERSION@|$version|g" "$root/cmake/cadfeatConfigVersion.cmake.in" \
  > "$dest/lib/cmake/cadfeat/cadfeatConfigVersion.cmake"
echo "installed cadfeat $version C API into $dest"
