#!/bin/bash
# cwmp-sim alone: its Connection Request listener (Digest success, wrong
# password and missing credentials get 401; Basic; unknown serial 404) and
# its control channel (get/set/add/del/inform/stats), checked with curl and
# bash's /dev/tcp.  No ACS is needed: the sim points at a closed port, so
# its sessions fail, which is fine here.
#
# Usage: sim_cr_control.sh <cwmp-sim> <tmpdir>
set -u
SIM=$1
TMP=$2
rm -rf "$TMP" && mkdir -p "$TMP"
fails=0
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT

check() { # name expected actual
    if [ "$2" == "$3" ]; then echo "ok   - $1"; else echo "FAIL - $1: expected '$2', got '$3'"; fails=$((fails+1)); fi
}

wait_for() { # file pattern
    for _ in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
    return 1
}

# --- Digest listener + control channel ---
"$SIM" --acs http://127.0.0.1:1/acs --count 3 --json --cr-port 0 \
    --cr-auth digest --cr-username cru --cr-password crp --control 0 \
    --http-timeout 2 > "$TMP/digest.out" 2> "$TMP/digest.err" &
pids+=($!)
SIMPID=$!
wait_for "$TMP/digest.out" control_listen || { echo "FAIL - sim did not start"; cat "$TMP/digest.err"; exit 1; }
URL=$(grep cr_listen "$TMP/digest.out" | grep SIM000002 | sed 's/.*"url":"\([^"]*\)".*/\1/')
PORT=$(grep control_listen "$TMP/digest.out" | sed 's/.*"port":\([0-9]*\).*/\1/')
check "CR URL" "1" "$(echo "$URL" | grep -c '^http://127.0.0.1:[0-9]*/cr/SIM000002$')"

code=$(curl -s -o /dev/null -w '%{http_code}' --digest -u cru:crp "$URL")
check "CR digest, right password" 200 "$code"
wait_for "$TMP/digest.out" '"ev":"cr_received","serial":"SIM000002"'
check "cr_received event" 1 "$(grep -c '"ev":"cr_received","serial":"SIM000002"' "$TMP/digest.out")"
code=$(curl -s -o /dev/null -w '%{http_code}' --digest -u cru:wrong "$URL")
check "CR digest, wrong password" 401 "$code"
wait_for "$TMP/digest.out" auth_failed
check "auth_failed event" 1 "$(grep -c '"ev":"auth_failed","serial":"SIM000002","side":"cr"' "$TMP/digest.out")"
code=$(curl -s -o /dev/null -w '%{http_code}' "$URL")
check "CR without credentials" 401 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' --basic -u cru:crp "$URL")
check "CR Basic when Digest is demanded" 401 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' --digest -u cru:crp "${URL%SIM000002}NOSUCH")
check "CR unknown serial" 404 "$code"

exec 3<>"/dev/tcp/127.0.0.1/$PORT"
ctl() { echo "$1" >&3; read -r -t 5 line <&3; echo "${line%$'\r'}"; }
check "control get" "ok SIM000001" "$(ctl 'get SIM000001 Device.DeviceInfo.SerialNumber')"
check "control set" "ok" "$(ctl 'set SIM000001 Device.Time.NTPServer3 ntp.test with space')"
check "control get after set" "ok ntp.test with space" "$(ctl 'get SIM000001 Device.Time.NTPServer3')"
check "control set bad type" "err invalid value" "$(ctl 'set SIM000001 Device.Time.Enable maybe')"
check "control set unknown" "err no such parameter" "$(ctl 'set SIM000001 Device.No.Such 1')"
check "control add" "ok 3" "$(ctl 'add SIM000001 Device.NAT.PortMapping.')"
check "control count" "ok 3" "$(ctl 'get SIM000001 Device.NAT.PortMappingNumberOfEntries')"
check "control del" "ok" "$(ctl 'del SIM000001 Device.NAT.PortMapping.1.')"
check "control del again" "err no such instance" "$(ctl 'del SIM000001 Device.NAT.PortMapping.1.')"
check "control other device untouched" "ok 2" "$(ctl 'get SIM000003 Device.NAT.PortMappingNumberOfEntries')"
check "control unknown device" "err no such device" "$(ctl 'get NOPE Device.X')"
check "control inform" "ok" "$(ctl 'inform SIM000003 4 VALUE CHANGE')"
check "control stats" "1" "$(ctl 'stats' | grep -c '^ok sessions_ok=0 sessions_failed=[0-9]* active=[0-9]*$')"
check "control quit" "ok" "$(ctl 'quit')"
exec 3>&-

kill -TERM "$SIMPID"
wait "$SIMPID"
check "summary on SIGTERM" 1 "$(grep -c '"ev":"summary"' "$TMP/digest.out")"

# --- Basic listener ---
"$SIM" --acs http://127.0.0.1:1/acs --json --cr-port 0 --cr-auth basic \
    --cr-username u --cr-password p --http-timeout 2 > "$TMP/basic.out" 2>&1 &
pids+=($!)
SIMPID=$!
wait_for "$TMP/basic.out" cr_listen
URL=$(grep cr_listen "$TMP/basic.out" | sed 's/.*"url":"\([^"]*\)".*/\1/')
check "CR basic, right password" 200 "$(curl -s -o /dev/null -w '%{http_code}' --basic -u u:p "$URL")"
check "CR basic, wrong password" 401 "$(curl -s -o /dev/null -w '%{http_code}' --basic -u u:x "$URL")"
kill -TERM "$SIMPID"
wait "$SIMPID"

# --- no authentication ---
"$SIM" --acs http://127.0.0.1:1/acs --json --cr-port 0 --cr-auth none \
    --http-timeout 2 > "$TMP/none.out" 2>&1 &
pids+=($!)
SIMPID=$!
wait_for "$TMP/none.out" cr_listen
URL=$(grep cr_listen "$TMP/none.out" | sed 's/.*"url":"\([^"]*\)".*/\1/')
check "CR without auth" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$URL")"
kill -TERM "$SIMPID"
wait "$SIMPID"

# --- --state-dir: local changes survive a restart ---
mkdir -p "$TMP/state"
for round in 1 2; do
    "$SIM" --acs http://127.0.0.1:1/acs --json --cr-port -1 --control 0 \
        --state-dir "$TMP/state" --http-timeout 2 > "$TMP/state$round.out" 2>&1 &
    pids+=($!)
    SIMPID=$!
    wait_for "$TMP/state$round.out" control_listen
    PORT=$(grep control_listen "$TMP/state$round.out" | sed 's/.*"port":\([0-9]*\).*/\1/')
    exec 3<>"/dev/tcp/127.0.0.1/$PORT"
    if [ $round = 1 ]; then
        check "state: set" "ok" "$(ctl 'set SIM000001 Device.Time.NTPServer4 kept.example')"
        check "state: add" "ok 3" "$(ctl 'add SIM000001 Device.Users.User.')"
    else
        check "state: value after restart" "ok kept.example" "$(ctl 'get SIM000001 Device.Time.NTPServer4')"
        check "state: object after restart" "ok 3" "$(ctl 'get SIM000001 Device.Users.UserNumberOfEntries')"
    fi
    exec 3>&-
    kill -TERM "$SIMPID"
    wait "$SIMPID"
done
check "state file" 1 "$(ls "$TMP/state" | grep -c '^SIM000001.state$')"

# --- usage errors ---
"$SIM" --count 1 >/dev/null 2>&1; check "missing --acs" 2 $?
"$SIM" --acs http://x/ --quirk nope >/dev/null 2>&1; check "unknown quirk" 2 $?
"$SIM" --help | grep -q "basic-upfront"; check "--help lists quirks" 0 $?

if [ $fails -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "all checks passed"
