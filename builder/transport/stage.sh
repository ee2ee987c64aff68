# shellcheck shell=sh
# One user stage in the guest, sent as `sh -c "$(this file)" vmwheel-stage SECONDS MARK COMMAND`
# by builder/transport/limits.py.
#
# COMMAND runs under sh in a session of its own (setsid: its own process group), with
# VMWHEEL_STAGE=MARK.PID (this script's) in its environment and, unless SECONDS is 0, under
# `timeout -k 5 SECONDS` (TERM to the group at the limit, KILL 5 s later). Its stdout and stderr
# reach ours through two FIFOs that this script reads. Once COMMAND has exited (or timed out),
# what it left running is killed: its process group, and every process whose environment still
# holds the mark (daemons that left the group with setsid). The readers then get 2 s to drain
# before they are killed, so our stdout (the SSH channel) closes even if something that could
# not be killed (it dropped the mark: `env -i`, sudo) still holds a FIFO.
# Exit code: COMMAND's; 124 (or 137) when the limit ended it; 125 when this script could not
# set up.

# The mark is unique to this run of the wrapper: a retried command (the same line sent again
# after a broken link) has its own, and the first run's sweep never kills the second's.
limit=$1 mark=$2.$$ command=$3
fifos=$(mktemp -d) || exit 125
trap 'rm -rf "$fifos"' EXIT
mkfifo "$fifos/out" "$fifos/err" || exit 125
cat "$fifos/out" &
out=$!
cat "$fifos/err" >&2 &
err=$!
if [ "$limit" -gt 0 ]; then
    VMWHEEL_STAGE=$mark setsid timeout -k 5 "$limit" sh -c "$command" \
        >"$fifos/out" 2>"$fifos/err" </dev/null &
else
    VMWHEEL_STAGE=$mark setsid sh -c "$command" >"$fifos/out" 2>"$fifos/err" </dev/null &
fi
leader=$!
wait "$leader"
code=$?

rounds=0
while [ "$rounds" -lt 10 ]; do  # again while some are found: they may have forked meanwhile
    rounds=$((rounds + 1))
    kill -s KILL -- "-$leader" 2>/dev/null
    pids=$(grep -lzxF "VMWHEEL_STAGE=$mark" /proc/[0-9]*/environ 2>/dev/null |
           sed 's,^/proc/,,; s,/environ$,,')
    [ -n "$pids" ] || break
    # shellcheck disable=SC2086 # numbers, one per word
    kill -s KILL $pids 2>/dev/null
done

(
    trap 'kill "$nap" 2>/dev/null; exit 0' TERM
    sleep 2 &
    nap=$!
    wait "$nap"
    kill "$out" "$err"
) >/dev/null 2>&1 </dev/null &
dog=$!
wait "$out" "$err"
kill "$dog" 2>/dev/null
exit "$code"
