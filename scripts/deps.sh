#!/usr/bin/env bash
# Installs the Debian packages CyberMesh builds, tests and runs with, and only
# those that are missing, so it is cheap to run before every `make test`.
set -euo pipefail
packages=(
  pkg-config
  libsodium-dev librdkafka-dev libpq-dev libssl-dev
  libprotobuf-c-dev protobuf-c-compiler
  postgresql openssl kcat python3 python3-confluent-kafka python3-nacl
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
