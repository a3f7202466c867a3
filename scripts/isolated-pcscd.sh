#!/bin/sh
# Run a command with a private pcscd (its own /run/pcscd and network namespace, so its vpcd
# ports 35963/35964 do not clash with another pcscd). Needs root. For running several test
# suites at once on one machine; CI does not need it.
#   scripts/isolated-pcscd.sh make test
# PCSCD_LOG=FILE keeps pcscd's log outside the private namespace.
set -eu
if [ "${CARDTOOL_IN_PCSC_NS:-}" != 1 ]; then
  exec unshare --mount --net --propagation private env CARDTOOL_IN_PCSC_NS=1 "$0" "$@"
fi
ip link set lo up
mkdir -p /run/pcscd
mount -t tmpfs tmpfs /run/pcscd
pcscd --foreground --info > "${PCSCD_LOG:-/run/pcscd/pcscd.log}" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT INT TERM
i=0
while [ ! -S /run/pcscd/pcscd.comm ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
"$@"
