#!/usr/bin/env bash
# Import benchmark: "luciaauth import shadow" and "luciaauth import lucia" of
# N users (default 100,000) with existing hashes (SPEC 5; target < 10 s).
#
# Usage: bench/run-import.sh BUILD_DIR [OUTDIR]
#   BUILD_DIR  a configured build tree in which `make` has run (tools/luciaauth)
#   OUTDIR     results (default: bench/results/ next to this script)
#
# What is measured: the wall time of one `luciaauth import` process, from
# exec to exit, into a fresh store: reading and indexing the files, every
# check, the inserts in one transaction, the commit and the single NSS
# snapshot publish.  Hashing is not measured: every account reuses one
# sha512crypt string (shadow) or one Lucia s2: string (lucia), as the hashes
# are stored as they are and only verified at the first sign-in.  Then the
# same import again (all accounts unchanged: the idempotent second run).
#
# Environment:
#   IMPORT_N            users (default 100000)
#   BENCH_ROUNDS        rounds, the median is reported (default 3)
#   TMPDIR              where the files and stores are built
#
# Writes OUTDIR/import.jsonl (with the process's CPU time and the load
# average, since a loaded machine stretches the wall time) and
# OUTDIR/import-summary.md.  Needs sqlite3, openssl and python3.
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
build=$(cd "$1" && pwd)
outdir=${2:-$here/results}
la_bin=$build/tools/luciaauth
[ -x "$la_bin" ] || { echo "run-import.sh: $la_bin not built" >&2; exit 2; }
if ! command -v sqlite3 >/dev/null || ! command -v openssl >/dev/null; then
	echo "run-import.sh: needs sqlite3 and openssl" >&2
	exit 77
fi
n=${IMPORT_N:-100000}
rounds=${BENCH_ROUNDS:-3}
mkdir -p "$outdir"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/luciaauth-bench-import.XXXXXXXX")
trap 'rm -rf "$scratch"' EXIT

now() { date +%s.%N; }

# ---- inputs ------------------------------------------------------------
first_uid=20000
last_uid=$((first_uid + n - 1))
hash=$(printf 'bench-password\n' | openssl passwd -6 -stdin)
awk -v n="$n" -v u0="$first_uid" -v h="$hash" -v d="$scratch" 'BEGIN {
	print "root:x:0:0:root:/root:/bin/bash" > (d "/passwd")
	print "root:*:19000:0:99999:7:::" > (d "/shadow")
	print "root:x:0:" > (d "/group")
	print "users:x:100:" > (d "/group")
	for (i = 0; i < n; i++) {
		name = sprintf("u%07d", i); uid = u0 + i
		printf "%s:x:%d:%d:Bench %d,,,:/home/%s:/bin/bash\n", name, uid, uid, i, name > (d "/passwd")
		printf "%s:%s:19000:0:99999:7:::\n", name, h > (d "/shadow")
		printf "%s:x:%d:\n", name, uid > (d "/group")
	}
	# one shared group with every tenth user as a member
	printf "staff9:x:%d:", u0 + n + 10 > (d "/group")
	for (i = 0; i < n; i += 10)
		printf "%s%s", (i ? "," : ""), sprintf("u%07d", i) > (d "/group")
	print "" > (d "/group")
}'
# The Lucia database: Lucia v2's schema, one s2: hash (a real one, made by
# the store's own verifier format: salt + 128 hex digits) for every user.
s2="s2:benchsaltbenchs:$(printf '%0128d' 0)"
sqlite3 "$scratch/lucia.sqlite" <<SQL
CREATE TABLE user (id TEXT NOT NULL PRIMARY KEY, email TEXT NOT NULL UNIQUE);
CREATE TABLE user_key (id TEXT NOT NULL PRIMARY KEY, user_id TEXT NOT NULL,
	hashed_password TEXT, FOREIGN KEY (user_id) REFERENCES user(id));
CREATE TABLE user_session (id TEXT NOT NULL PRIMARY KEY, user_id TEXT NOT NULL,
	active_expires INTEGER NOT NULL, idle_expires INTEGER NOT NULL,
	FOREIGN KEY (user_id) REFERENCES user(id));
WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i + 1 < $n)
INSERT INTO user SELECT printf('b%014d', i), printf('user%07d@example.com', i) FROM c;
INSERT INTO user_key SELECT 'email:' || email, id, '$s2' FROM user;
SQL

cfg() { # cfg NAME: a fresh store
	{
		echo "dir = $scratch/$1"
		echo "passwd_file = $scratch/etc-passwd"
		echo "group_file = $scratch/etc-group"
		echo "uid_min = 10000"
		echo "uid_max = $((last_uid + 1000))"
	} >"$scratch/$1.conf"
	rm -rf "${scratch:?}/$1"
	"$la_bin" --config "$scratch/$1.conf" init >/dev/null
}
# The "machine's own" account files: root only (the accounts being imported
# are not local any more, as after a switch-over).
printf 'root:x:0:0:root:/root:/bin/bash\n' >"$scratch/etc-passwd"
printf 'root:x:0:\n' >"$scratch/etc-group"

# run KIND ROUND: import into a fresh store, then again; prints a JSON line.
run() {
	local kind=$1 r=$2 t1 t2 out added unchanged wall user sys
	local -a args
	if [ "$kind" = shadow ]; then
		args=(import shadow --passwd "$scratch/passwd" --shadow "$scratch/shadow"
			--group "$scratch/group" --uid-max "$last_uid")
	else
		args=(import lucia "$scratch/lucia.sqlite")
	fi
	cfg "s-$kind"
	# bash's time: wall, user and system seconds of the import process.
	local TIMEFORMAT='%R %U %S'
	{ time "$la_bin" --config "$scratch/s-$kind.conf" --json "${args[@]}" \
		>"$scratch/out.json"; } 2>"$scratch/time"
	read -r wall user sys <"$scratch/time"
	out=$(cat "$scratch/out.json")
	t1=$(now)
	"$la_bin" --config "$scratch/s-$kind.conf" --json "${args[@]}" >/dev/null
	t2=$(now)
	added=$(printf '%s' "$out" | sed -n 's/.*"added": *\([0-9]*\).*/\1/p')
	[ "$added" = "$n" ] || { echo "run-import.sh: $kind imported '$added' of $n" >&2; exit 1; }
	unchanged=$(sqlite3 "$scratch/s-$kind/luciaauth.db" 'SELECT count(*) FROM users')
	[ "$unchanged" = "$n" ] || { echo "run-import.sh: $kind: $unchanged users in the store" >&2; exit 1; }
	[ -s "$scratch/s-$kind/nss.snapshot" ] || { echo "run-import.sh: no snapshot" >&2; exit 1; }
	awk -v k="$kind" -v r="$r" -v n="$n" -v w="$wall" -v u="$user" -v s="$sys" -v b="$t1" \
		-v c="$t2" -v load="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
		printf "{\"bench\":\"import\",\"kind\":\"%s\",\"round\":%d,\"n\":%d,\"seconds\":%.3f,\"rows_per_s\":%.0f,\"cpu_seconds\":%.3f,\"second_run_seconds\":%.3f,\"loadavg\":%s}\n",
			k, r, n, w, n / w, u + s, c - b, load }'
}

: >"$outdir/import.jsonl"
for kind in shadow lucia; do
	for r in $(seq 1 "$rounds"); do
		run "$kind" "$r" | tee -a "$outdir/import.jsonl"
	done
done

python3 - "$outdir/import.jsonl" "$outdir/import-summary.md" "$(nproc)" <<'PY' || true
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
out = ["# Import benchmark", "",
       f"{rows[0]['n']:,} users with existing hashes, one `luciaauth import` process into a fresh store "
       f"(including the commit and the NSS snapshot publish); {sys.argv[3]} CPUs; median of "
       f"{len(rows) // 2} rounds.", "",
       "| import | wall time | rows/s | CPU (user+sys) | second run (all unchanged) | load average | target < 10 s |",
       "|---|---|---|---|---|---|---|"]
for k in ("shadow", "lucia"):
    rs = [r for r in rows if r["kind"] == k]
    s = statistics.median(r["seconds"] for r in rs)
    s2 = statistics.median(r["second_run_seconds"] for r in rs)
    cpu = statistics.median(r["cpu_seconds"] for r in rs)
    load = statistics.median(r["loadavg"] for r in rs)
    out.append(f"| {k} | {s:.2f} s | {rs[0]['n'] / s:,.0f} | {cpu:.2f} s | {s2:.2f} s | {load:.1f} | {'met' if s < 10 else 'MISSED'} |")
open(sys.argv[2], "w").write("\n".join(out) + "\n")
print("\n".join(out))
PY
