#!/bin/sh
# Installs every Debian 12 package uspbridge needs to build, run and test.
# Usage: tools/install-deps.sh        (uses sudo when not run as root)
set -eu
PKGS="build-essential cmake pkg-config clang libclang-rt-14-dev
  gsoap libgsoap-dev libmicrohttpd-dev libcurl4-openssl-dev libgnutls28-dev
  libwebsockets-dev libwebsockets-evlib-uv libmosquitto-dev mosquitto mosquitto-clients
  liblmdb-dev lmdb-utils libprotobuf-c-dev protobuf-c-compiler libuv1-dev
  libxml2-dev libinih-dev libssl-dev libcmocka-dev libjansson-dev zlib1g-dev
  openssl curl procps"
# Node.js + npm run the third-party controller (usp-js) in the interop tests;
# keep an existing Node.js install (e.g. NodeSource) rather than fight it.
if ! command -v npm >/dev/null 2>&1; then PKGS="$PKGS nodejs npm"; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
if ! dpkg-query -W -f='${Status}\n' $PKGS 2>/dev/null | grep -qv "install ok installed" \
   && [ "$(dpkg-query -W -f='${Status}\n' $PKGS 2>/dev/null | wc -l)" -eq "$(echo $PKGS | wc -w)" ]; then
  echo "install-deps: all packages already installed"
  exit 0
fi
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $PKGS
