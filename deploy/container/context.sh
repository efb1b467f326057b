#!/usr/bin/env bash
# Prepares the build context of deploy/container/Containerfile: a root file system with
# the csgen binary, exactly the shared libraries it links (as `ldd` lists them, at the
# same paths), CA certificates for HTTPS to AWS, and a non-root user. The image needs
# no package manager and no shell, and the Containerfile no RUN step, so it builds with
# a plain `FROM scratch` + `COPY` (podman or docker, rootless or not).
#
#   deploy/container/context.sh BINARY OUTDIR
#   podman build -f deploy/container/Containerfile -t csgen OUTDIR
#
# BINARY is a csgen built on a Linux with glibc (target/release/csgen); it is copied
# as it is (the release profile decides about symbols).
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 BINARY OUTDIR" >&2
  exit 2
fi
binary=$1
out=$2
if [ ! -x "$binary" ]; then
  echo "$0: $binary is not an executable" >&2
  exit 2
fi
if [ -e "$out" ] && [ -n "$(ls -A "$out")" ]; then
  echo "$0: $out exists and is not empty" >&2
  exit 2
fi

root=$out/rootfs
mkdir -p "$root/usr/local/bin" "$root/etc/ssl/certs" "$root/tmp" "$out/home"
chmod 1777 "$root/tmp"
cp "$binary" "$root/usr/local/bin/csgen"

# Every library the dynamic loader resolves, and the loader itself. `ldd` prints
# "name => /path (addr)" for libraries and "/path (addr)" for the loader.
ldd "$binary" | awk '/=> \//{print $3} /^[[:space:]]*\//{print $1}' | while read -r lib; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
if ldd "$binary" | grep -q 'not found'; then
  echo "$0: $binary needs a library this machine lacks:" >&2
  ldd "$binary" | grep 'not found' >&2
  exit 1
fi

# TLS roots for the AWS SDK and object_store (HTTPS to Kinesis, Firehose and S3).
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
else
  echo "$0: warning: no /etc/ssl/certs/ca-certificates.crt; HTTPS will fail in the image" >&2
fi

# The user the image runs as (USER 65532 in the Containerfile): no password, no shell.
echo 'csgen:x:65532:65532:csgen:/home/csgen:/nonexistent' > "$root/etc/passwd"
echo 'csgen:x:65532:' > "$root/etc/group"
