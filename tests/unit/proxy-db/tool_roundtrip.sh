#!/bin/sh
# uspbridge-db: import -> export -> import into a second store -> export
# must give the same JSON (apart from store-assigned fields), and the
# read-only commands must work.  Usage: tool_roundtrip.sh TOOL FIXTURE
set -eu
tool=$1
fixture=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pdb-tool-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

"$tool" --db "$tmp/a" import < "$fixture"
"$tool" --db "$tmp/a" list > "$tmp/list"
grep -q 'os::00D09E-SN1 *00D09E-IGD-SN1 .* none *6$' "$tmp/list"
"$tool" --db "$tmp/a" show 00D09E-IGD-SN1 > "$tmp/show"
grep -q '^conn_req_password: \*\*\*\*\*\*\*\*$' "$tmp/show"
if grep -q secret "$tmp/show"; then echo "password leaked by show"; exit 1; fi
"$tool" --db "$tmp/a" dump os::00D09E-SN1 Device.Hosts. > "$tmp/dump"
# data-model order: Host.2 before Host.10, only the Hosts subtree
printf 'Device.Hosts.Host.2.\nDevice.Hosts.Host.2.IPAddress\nDevice.Hosts.Host.10.\n' > "$tmp/want"
cut -f1 "$tmp/dump" | diff "$tmp/want" -
"$tool" --db "$tmp/a" stats | grep -q '^params: *6$'
"$tool" --db "$tmp/a" export os::00D09E-SN1 > "$tmp/e1.json"
"$tool" --db "$tmp/b" import < "$tmp/e1.json"
"$tool" --db "$tmp/b" export '#1' > "$tmp/e2.json"
strip() { grep -v '"created_at"' "$1"; }
strip "$tmp/e1.json" > "$tmp/e1s"
strip "$tmp/e2.json" > "$tmp/e2s"
diff "$tmp/e1s" "$tmp/e2s"
grep -q '"type_name": "acme:odd"' "$tmp/e2.json"
# errors: unknown device, usage, bad JSON
if "$tool" --db "$tmp/a" show os::nope 2>/dev/null; then exit 1; fi
set +e
"$tool" --db "$tmp/a" 2>/dev/null; [ $? -eq 2 ] || exit 1
echo '{"device":' | "$tool" --db "$tmp/a" import 2>/dev/null; [ $? -eq 1 ] || exit 1
set -e
echo "uspbridge-db round trip OK"
