#!/usr/bin/env bash
# The system tools the tests drive, installed when missing so that `make test` passes on a fresh
# machine: rsync (`make deploy`), git (the git deploy target), headless Chromium and its driver
# (browser tests), a Java runtime and npm (the Nu HTML validator, which `make test` installs from
# npm into .cache/npm). Installs through apt-get when run as root; otherwise prints the one
# command that installs them and fails.
set -euo pipefail

declare -A PACKAGE_OF=(
  [rsync]=rsync
  [git]=git
  [chromium]=chromium
  [chromedriver]=chromium-driver
  [java]=default-jre-headless
  [npm]=npm
)

missing=()
for tool in "${!PACKAGE_OF[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${PACKAGE_OF[$tool]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing the system tools the tests need: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "the tests need these system packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
