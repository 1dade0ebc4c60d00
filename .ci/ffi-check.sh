#!/usr/bin/env bash
# C API checks, called from .ci/run:
#  1. header drift: include/cadfeat.h must equal what cbindgen generates from src/ffi/ with
#     cbindgen.toml (through the cbindgen library, a dev-dependency, in tests/ffi_header.rs; and
#     also through the cbindgen CLI when it is installed);
#  2. the C example (examples/c/extract.c) under valgrind memcheck on the real files of
#     tests/data (those up to 256 KiB): no leaks, no invalid reads or writes.
# Installs gcc, g++, cmake, pkg-config and valgrind (Debian packages) when missing.
# Usage: bash .ci/ffi-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

need=()
command -v gcc >/dev/null 2>&1 || need+=(gcc)
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v cmake >/dev/null 2>&1 || need+=(cmake)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
command -v valgrind >/dev/null 2>&1 || need+=(valgrind)
if [ ${#need[@]} -gt 0 ]; then
  echo "ffi-check: installing ${need[*]} (Debian packages)" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

echo "== ffi: header drift (cbindgen)"
cargo test --test ffi_header
if command -v cbindgen >/dev/null 2>&1; then
  tmp_h=$(mktemp)
  cbindgen --config cbindgen.toml --crate cadfeat --output "$tmp_h" 2>/dev/null
  if ! diff -u include/cadfeat.h "$tmp_h"; then
    echo "ffi-check: include/cadfeat.h differs from the cbindgen CLI output" >&2
    exit 1
  fi
  rm -f "$tmp_h"
  echo "cbindgen CLI: include/cadfeat.h is up to date"
fi

echo "== ffi: C example under valgrind memcheck"
cargo build --lib
libdir=$PWD/target/debug
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -std=c11 -Wall -Wextra -pedantic -Werror -g -Iinclude examples/c/extract.c \
  -L"$libdir" -lcadfeat -Wl,-rpath,"$libdir" -o "$work/extract"
files=(tests/data/ffi/box_2x3x4.stl tests/data/ffi/bracket.json tests/data/ffi/not_cad.txt tests/data/ffi/does-not-exist.stl)
while IFS= read -r f; do files+=("$f"); done < <(
  find tests/data -mindepth 2 -maxdepth 2 -type f \
    \( -iname '*.step' -o -iname '*.stp' -o -iname '*.iges' -o -iname '*.igs' -o -iname '*.dxf' \
       -o -iname '*.stl' -o -iname '*.obj' -o -iname '*.ply' -o -iname '*.json' \) \
    -size -257k -not -path 'tests/data/ffi/*' | sort)
status=0
valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect,possible \
  --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
  "$work/extract" v5 "${files[@]}" > "$work/out.jsonl" || status=$?
if [ "$status" = 99 ]; then
  echo "ffi-check: valgrind memcheck found errors (see above)" >&2
  exit 1
fi
if [ "$status" -gt 1 ]; then
  echo "ffi-check: the C example exited with $status" >&2
  exit 1
fi
lines=$(wc -l < "$work/out.jsonl")
if [ "$lines" -ne "${#files[@]}" ]; then
  echo "ffi-check: expected ${#files[@]} JSON lines, got $lines" >&2
  cat "$work/out.jsonl" >&2
  exit 1
fi
echo "valgrind memcheck clean on ${#files[@]} files (exit status $status: 0 all read, 1 some failed as expected)"
