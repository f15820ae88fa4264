#!/bin/sh
# Regenerates docs/configuration.md from `uspbridged --print-config`.
# Usage: tools/gen-config-doc.sh [path/to/uspbridged]
set -eu
cd "$(dirname "$0")/.."
BIN=${1:-build/bridge/uspbridged}
out=docs/configuration.md
head -n "$(grep -n '^```ini$' "$out" | cut -d: -f1)" "$out" > "$out.tmp"
"$BIN" --print-config >> "$out.tmp"
echo '```' >> "$out.tmp"
mv "$out.tmp" "$out"
