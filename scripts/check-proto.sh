#!/usr/bin/env bash
# Fails when the committed protobuf-c code differs from a fresh generation of
# proto/ (someone edited a .proto without `make proto`, or edited generated code).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
fresh="$(mktemp -d)"
trap 'rm -rf "$fresh"' EXIT
"$root/scripts/generate-proto.sh" "$fresh"
if ! diff -r "$fresh/include" "$root/Sources/CyberMeshProto/include" >/dev/null \
   || ! diff -r "$fresh/generated" "$root/Sources/CyberMeshProto/generated" >/dev/null; then
  echo "check-proto: Sources/CyberMeshProto differs from proto/; run 'make proto' and commit" >&2
  diff -r "$fresh" "$root/Sources/CyberMeshProto" >&2 || true
  exit 1
fi
echo "check-proto: generated code matches proto/"
