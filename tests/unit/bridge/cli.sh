#!/bin/sh
# uspbridged command line: --help, --version, --check-config, --print-config,
# overrides, and refusal of bad configuration with file:line.
set -u
BIN=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
check() { # name expected-status command...
  name=$1; want=$2; shift 2
  "$@" >"$T/out" 2>&1; got=$?
  if [ "$got" -ne "$want" ]; then
    echo "FAIL $name: exit $got, wanted $want"; sed 's/^/  | /' "$T/out"; fail=1
  else
    echo "ok   $name"
  fi
}
grep_out() { # name pattern
  if grep -q -- "$2" "$T/out"; then echo "ok   $1"; else echo "FAIL $1: no '$2'"; sed 's/^/  | /' "$T/out"; fail=1; fi
}

check help 0 "$BIN" --help;                       grep_out help-synopsis "SYNOPSIS"
check version 0 "$BIN" --version;                 grep_out version "uspbridged "
check default-ok 0 "$BIN" --check-config;         grep_out default-ok "configuration OK (embedded default)"
check print 0 "$BIN" --print-config;              grep_out print-masked "password = \*\*\*\*\*\*\*\*"
check override 0 "$BIN" --print-config -o cwmp.port=8000 --ws-port 0
grep_out override-port "^port = 8000"
check bad-arg 2 "$BIN" --no-such-option
check bad-set 2 "$BIN" --check-config -o cwmp.nosuch=1; grep_out bad-set-msg "unknown option"

printf '[cwmp]\nport = 7547\nauth = sometimes\n' > "$T/bad.conf"
check bad-value 2 "$BIN" --check-config --config "$T/bad.conf"; grep_out bad-value-line "bad.conf:3"
printf '[cwmp]\nport = 99999\n' > "$T/range.conf"
check bad-range 2 "$BIN" --check-config --config "$T/range.conf"; grep_out bad-range-line "range.conf:2"
printf '[cwmp]\ntls_cert = /nonexistent.pem\ntls_key = /nonexistent.key\n' > "$T/tls.conf"
check missing-file 2 "$BIN" --check-config --config "$T/tls.conf"; grep_out missing-file-msg "nonexistent.pem"
printf '[usp]\nget_policy = sometimes\n' > "$T/pol.conf"
check bad-policy 2 "$BIN" --check-config --config "$T/pol.conf"; grep_out bad-policy-msg "get_policy"
printf '[usp]\ncontrollers = not-an-endpoint-id\n' > "$T/ctl.conf"
check bad-controller 2 "$BIN" --check-config --config "$T/ctl.conf"; grep_out bad-controller-msg "not an endpoint ID"
printf '[usp]\nget_policy = max-age:30\nget_policy_paths = Device.WiFi.=live,Device.Hosts.=cache\ncontrollers = self::a=t/a,self::b\n' > "$T/good.conf"
check good-file 0 "$BIN" --check-config --config "$T/good.conf"
check no-file 2 "$BIN" --check-config --config "$T/none.conf"
if [ $fail -ne 0 ]; then echo "cli: FAILED"; exit 1; fi
echo "cli: all passed"
