#!/bin/sh
# RSS of uspbridged serving N registered idle devices (default 100,000).
# Builds the registry with bench-pdb, starts uspbridged on it (CWMP and
# WebSocket MTP on free loopback ports), reads VmRSS once every agent is
# served, and compares with an empty store.
# Usage: tools/bench/rss-idle.sh [BUILD_DIR] [N]
set -eu
BUILD=${1:-build}
N=${2:-100000}
T=$(mktemp -d)
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT INT TERM

"$BUILD/tools/bench-pdb/bench-pdb" --dir "$T/pdb" --runs 1 --devices 1 --idle "$N" --nosync >/dev/null

rss_of() { # store-dir -> prints VmRSS kB after start-up
  printf '[general]\ndata_dir = %s/d\n[store]\npath = %s\n[cwmp]\nport = 0\n[usp]\nws_port = 0\n' \
    "$T" "$1" > "$T/c.conf"
  "$BUILD/bridge/uspbridged" --config "$T/c.conf" -l notice > "$T/log" 2>&1 &
  PID=$!
  i=0
  while ! grep -q "USP WebSocket MTP on" "$T/log" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  sleep 2 # agents are served right after the listener line
  awk '/VmRSS/ {print $2}' "/proc/$PID/status"
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
}

empty=$(rss_of "$T/empty")
full=$(rss_of "$T/pdb/registry")
echo "uspbridged RSS: empty store ${empty} kB, ${N} idle devices ${full} kB" \
     "-> $(( (full - empty) * 1024 / N )) bytes/device"
