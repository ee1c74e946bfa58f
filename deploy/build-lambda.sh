#!/usr/bin/env bash
# Build the Lambda artifact: deploy/dist/palosync.zip with the palosync binary as `bootstrap` at
# its root, for the provided.al2023 runtime (the template's CodeUri points there).
#
#   deploy/build-lambda.sh                   # `lambda` profile build (fat LTO) for this machine's architecture
#   deploy/build-lambda.sh --binary PATH     # package an already built binary instead
#   deploy/build-lambda.sh --out FILE.zip    # write the zip elsewhere
#
# Environment: CARGO_TARGET_DIR is honoured (cargo reports where the binary lands).
# The zip is deterministic (fixed timestamp, fixed mode 0755), so an unchanged binary gives a
# byte-identical zip and `sam deploy` has nothing to upload.
#
# Checks before zipping, because each one otherwise fails only at invocation time in AWS:
#   - the binary is a Linux ELF for x86_64 or arm64 (printed: pass it as Architecture=...);
#   - it needs no glibc newer than 2.34, the version of Amazon Linux 2023;
#   - it links no library besides glibc and libgcc_s (provided.al2023 is a minimal image).
# Cross-building for arm64 (Graviton, the template's default): docs/deployment.md.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/deploy/dist/palosync.zip"
binary=""
readonly max_glibc="2.34"

die() { printf 'deploy/build-lambda.sh: %s\n' "$*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary="${2:?--binary needs a path}"; shift 2 ;;
    --out) out="${2:?--out needs a path}"; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done

if [ -z "$binary" ]; then
  cd "$root"
  echo "==> cargo build --profile lambda --locked -p palosync --bin palosync" >&2
  cargo build --profile lambda --locked -p palosync --bin palosync
  target_dir=$(cargo metadata --format-version 1 --no-deps \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
  binary="$target_dir/lambda/palosync"
fi
[ -f "$binary" ] || die "no binary at $binary"

# --- what the binary needs at run time ---------------------------------------------------------
header=$(readelf -h "$binary" 2>/dev/null) || die "$binary is not an ELF executable"
case "$header" in
  *"Advanced Micro Devices X86-64"*) architecture=x86_64 ;;
  *AArch64*) architecture=arm64 ;;
  *) die "$binary is neither x86_64 nor aarch64; Lambda runs only those" ;;
esac

newest_glibc=$(readelf --dyn-syms -W "$binary" | grep -o 'GLIBC_[0-9][0-9.]*' \
  | sed 's/GLIBC_//' | sort -uV | tail -n1 || true)
if [ -n "$newest_glibc" ] \
  && [ "$(printf '%s\n%s\n' "$newest_glibc" "$max_glibc" | sort -V | tail -n1)" != "$max_glibc" ]; then
  die "the binary needs glibc $newest_glibc, Amazon Linux 2023 has $max_glibc: build on an older
  distribution, or with cargo-zigbuild: cargo zigbuild --release --target $(uname -m)-unknown-linux-gnu.$max_glibc"
fi

# The provided.al2023 image is minimal; palosync is built to need nothing beyond glibc and
# libgcc_s there (TLS is rustls), so any other library is a dependency that slipped in.
while read -r library; do
  case "$library" in
    libc.so.6|libm.so.6|libgcc_s.so.1|libpthread.so.0|libdl.so.2|librt.so.1|libutil.so.1) ;;
    ld-linux-x86-64.so.2|ld-linux-aarch64.so.1) ;;
    *) die "the binary links $library; it must need only glibc and libgcc_s (rustls, not native-tls/OpenSSL)" ;;
  esac
done < <(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')

if [ "$architecture" = "$(uname -m | sed 's/aarch64/arm64/')" ]; then
  "$binary" --help >/dev/null || die "$binary --help failed"
fi

# --- the zip: one entry, `bootstrap`, executable -----------------------------------------------
mkdir -p "$(dirname "$out")"
python3 - "$binary" "$out" <<'PY'
import sys, zipfile
binary, out = sys.argv[1], sys.argv[2]
entry = zipfile.ZipInfo("bootstrap", date_time=(1980, 1, 1, 0, 0, 0))
entry.create_system = 3                  # Unix, so Lambda honours the mode below
entry.external_attr = 0o100755 << 16     # regular file, rwxr-xr-x
entry.compress_type = zipfile.ZIP_DEFLATED
with open(binary, "rb") as source, zipfile.ZipFile(out, "w") as archive:
    archive.writestr(entry, source.read(), compresslevel=9)
with zipfile.ZipFile(out) as archive:
    names = archive.namelist()
    if names != ["bootstrap"] or archive.testzip() is not None:
        sys.exit(f"bad archive {out}: {names}")
PY

binary_bytes=$(stat -c %s "$binary")
zip_bytes=$(stat -c %s "$out")
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
echo "==> $out" >&2
echo "    bootstrap $(mib "$binary_bytes") ($binary_bytes bytes), zip $(mib "$zip_bytes") ($zip_bytes bytes)" >&2
echo "    architecture $architecture, glibc >= ${newest_glibc:-any}: deploy with Architecture=$architecture" >&2
echo "$out"
