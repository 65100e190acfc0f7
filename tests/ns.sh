# shellcheck shell=bash
#
# ns.sh - private mount namespaces for the tests that need root (source it
# after tap.sh).  Mounts made in such a namespace vanish with it: the host
# is never changed.  Never bind-mount a host directory below a directory
# that is removed afterwards, and remove temporary directories with
# "rm -rf --one-file-system".
#
#   ns_reexec VAR SCRIPT [ARG...]
#                  unless VAR is set (this is the copy already inside),
#                  run SCRIPT again with VAR=1 under
#                  "unshare -m --propagation private"; returns 1 (and
#                  goes on here) when no namespace can be made, so the
#                  caller decides whether to skip
#   ns_hold        start a process that keeps a new private mount
#                  namespace alive: HOLDER (its PID) and NS_ID; commands
#                  enter it with nsenter -t "$HOLDER" -m.  Returns 1 when
#                  it did not start.
#   ns_release     stop the holder (the namespace ends with its last
#                  process)
#   ns_stop_bg     stop the processes listed in BG_PIDS, by PID

HOLDER=
NS_ID=
BG_PIDS=()

ns_reexec() {
	local var=$1
	shift
	[ -n "${!var-}" ] && return 0
	unshare -m --propagation private true 2>/dev/null || return 1
	# exec skips the EXIT trap: this copy's temporary directory goes now.
	tap_cleanup
	export "$var"=1
	exec unshare -m --propagation private -- "$BASH" "$@"
}

ns_hold() {
	local host i
	host=$(readlink /proc/self/ns/mnt)
	unshare -m --propagation private -- sleep 900 &
	HOLDER=$!
	for i in $(seq 100); do
		NS_ID=$(readlink "/proc/$HOLDER/ns/mnt" 2>/dev/null) || NS_ID=
		[ -n "$NS_ID" ] && [ "$NS_ID" != "$host" ] && return 0
		sleep 0.05
	done
	NS_ID=
	return 1
}

ns_release() {
	if [ -n "$HOLDER" ]; then
		kill "$HOLDER" 2>/dev/null
		wait "$HOLDER" 2>/dev/null
		HOLDER=
	fi
}

ns_stop_bg() {
	local p
	for p in "${BG_PIDS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	BG_PIDS=()
}
