#!/usr/bin/env bash
# Side-by-side session benchmark: libluciaauth vs Lucia v2 on Node (SPEC §7).
#
# Usage: bench/run.sh BUILD_DIR [OUTDIR]
#   BUILD_DIR  a configured build tree in which `make bench/bench_session` has run
#   OUTDIR     results (default: bench/results/ next to this script)
#
# For each durability setting (synchronous=NORMAL and FULL, journal_mode=WAL on
# both sides) and each round, runs BUILD_DIR/bench/bench_session --json and then
# bench/run-lucia.sh with the same settings, so that both sides share the
# machine's state; then prints, per setting, the median ops/s of each side, the
# median of the per-round ratios with their range, the SPEC §7 target
# (validate >= 4.0x, create >= 2.5x Lucia v2) and PASS/MISS, and the non-hash
# part of a sign-in (target < 1 ms).  If run-lucia.sh exits 77 (no node/npm,
# install failed) Lucia is reported as skipped and only luciaauth is shown.
#
# Environment:
#   BENCH_ROUNDS   rounds per setting, medians are reported (default 3)
#   BENCH_N        session operations per kind and run (default 20000)
#   BENCH_SIGNIN_N sign-ins per run (default 20; 0 = skip)
#   BENCH_SYNC     settings to run (default "normal full")
#   BENCH_STRICT   1 = exit 1 when a target is missed (default 0; also for
#                  run-pam.sh and run-timing.sh)
#   BENCH_PAM, BENCH_DAEMON, BENCH_TIMING, BENCH_IMPORT
#                  0 = skip that part (see below; default 1 each)
#   TMPDIR         where both benchmarks create their temporary databases
#
# Writes OUTDIR/luciaauth.jsonl, OUTDIR/lucia.jsonl (every run, with "round"),
# OUTDIR/summary.md (tables for the docs) and OUTDIR/logs/.
#
# Then, in this order, each with its own settings (see the script):
#   bench/run-pam.sh     PAM module: pam.jsonl, pam-summary.md
#   bench/run-daemon.sh  luciaauthd against Lucia v2 over HTTP (wrk)
#   bench/run-timing.sh  failed sign-in, unknown user against wrong password:
#                        timing.jsonl, logs/timing.log
#   bench/run-import.sh  import shadow / lucia of IMPORT_N (100,000) users:
#                        import.jsonl, import-summary.md
# Needs python3 (JSON parsing); node/npm only for the Lucia side.

set -euo pipefail

usage() {
	awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}" >&2
	exit 2
}

[[ $# -ge 1 && $# -le 2 && $1 != -h && $1 != --help ]] || usage

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
build=$(cd -- "$1" && pwd) || { echo "run.sh: no build directory $1" >&2; exit 2; }
outdir=${2:-$here/results}
rounds=${BENCH_ROUNDS:-3}
n=${BENCH_N:-20000}
signin_n=${BENCH_SIGNIN_N:-20}
syncs=${BENCH_SYNC:-normal full}
strict=${BENCH_STRICT:-0}

die() {
	printf 'run.sh: %s\n' "$*" >&2
	exit 1
}

for v in "$rounds" "$n" "$signin_n"; do
	[[ $v =~ ^[0-9]+$ ]] || die "BENCH_ROUNDS, BENCH_N and BENCH_SIGNIN_N must be numbers"
done
((rounds >= 1 && n >= 1)) || die "BENCH_ROUNDS and BENCH_N must be at least 1"
for s in $syncs; do
	[[ $s == normal || $s == full ]] || die "BENCH_SYNC: '$s' is not normal or full"
done
command -v python3 >/dev/null 2>&1 || die "python3 is needed to read the results"

bench=$build/bench/bench_session
[[ -x $bench ]] || die "$bench not found; run 'make bench/bench_session' in $build first"

mkdir -p "$outdir/logs"
outdir=$(cd -- "$outdir" && pwd)
c_jsonl=$outdir/luciaauth.jsonl
l_jsonl=$outdir/lucia.jsonl
: >"$c_jsonl.tmp"
: >"$l_jsonl.tmp"
scratch=$(mktemp -d "$outdir/.run.XXXXXX")
trap 'rm -rf -- "$scratch" "$c_jsonl.tmp" "$l_jsonl.tmp"' EXIT

# Add "round": R to every JSON line of $2 and append them to $3.
tag_round() {
	python3 - "$1" "$2" "$3" <<'PY'
import json, sys
r, src, dst = int(sys.argv[1]), sys.argv[2], sys.argv[3]
with open(src) as f, open(dst, "a") as out:
    for line in f:
        line = line.strip()
        if line:
            obj = json.loads(line)
            obj["round"] = r
            out.write(json.dumps(obj) + "\n")
PY
}

load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?"; }

lucia=on
lucia_why=
load_start=$(load)
printf 'run.sh: %s round(s) x sync {%s}, n=%s, sign-ins %s; load average %s\n' \
	"$rounds" "$syncs" "$n" "$signin_n" "$load_start" >&2

for ((r = 1; r <= rounds; r++)); do
	for s in $syncs; do
		printf 'run.sh: round %d/%d sync=%s: luciaauth' "$r" "$rounds" "$s" >&2
		if ! "$bench" --json --n "$n" --signin-n "$signin_n" --sync "$s" \
			>"$scratch/c.jsonl" 2>"$outdir/logs/luciaauth-$s-$r.log"; then
			echo >&2
			cat "$outdir/logs/luciaauth-$s-$r.log" >&2
			die "bench_session failed (sync=$s, round $r)"
		fi
		tag_round "$r" "$scratch/c.jsonl" "$c_jsonl.tmp"
		if [[ $lucia == on ]]; then
			printf ', Lucia v2' >&2
			rc=0
			"$here/run-lucia.sh" "$scratch/lucia" -- --sync "$s" --journal wal --n "$n" \
				--signin-n "$signin_n" 2>"$outdir/logs/lucia-$s-$r.log" || rc=$?
			if ((rc == 77)); then
				lucia=skipped
				lucia_why=$(grep -m1 'SKIP' "$outdir/logs/lucia-$s-$r.log" || true)
				printf ' skipped (%s)' "${lucia_why#*SKIP: }" >&2
			elif ((rc != 0)); then
				echo >&2
				tail -n 20 "$outdir/logs/lucia-$s-$r.log" >&2
				die "bench/run-lucia.sh failed with status $rc (sync=$s, round $r)"
			else
				tag_round "$r" "$scratch/lucia/lucia.jsonl" "$l_jsonl.tmp"
			fi
		fi
		echo >&2
	done
done
load_end=$(load)

mv -f -- "$c_jsonl.tmp" "$c_jsonl"
mv -f -- "$l_jsonl.tmp" "$l_jsonl"
[[ $lucia == on ]] || rm -f -- "$l_jsonl"

# Machine notes for the summary.
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n1)
tmpfs_dir=${TMPDIR:-/tmp}
fstype=$(df -PT -- "$tmpfs_dir" 2>/dev/null | awk 'NR == 2 { print $2 " (" $7 ")" }')
virt=$(LC_ALL=C lscpu 2>/dev/null | sed -n 's/^Hypervisor vendor:[[:space:]]*//p' | head -n1)
ncpu=$(nproc 2>/dev/null || echo '?')
RUN_CPU="${cpu:-unknown} x $ncpu${virt:+, virtualised ($virt)}"
RUN_KERNEL=$(uname -sr)
RUN_FS="$tmpfs_dir on ${fstype:-unknown}"
RUN_LOAD="$load_start at start, $load_end at end"
RUN_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
export RUN_CPU RUN_KERNEL RUN_FS RUN_LOAD RUN_DATE
export RUN_LUCIA="$lucia" RUN_LUCIA_WHY="${lucia_why#*SKIP: }" RUN_ROUNDS="$rounds" RUN_N="$n"
export RUN_STRICT="$strict"

python3 - "$c_jsonl" "$l_jsonl" "$outdir/summary.md" <<'PY'
import json, os, statistics, sys

c_path, l_path, md_path = sys.argv[1:4]
env = os.environ
lucia_on = env["RUN_LUCIA"] == "on"

def read(path):
    rows = []
    if os.path.exists(path):
        with open(path) as f:
            rows = [json.loads(l) for l in f if l.strip()]
    return rows

c_rows, l_rows = read(c_path), read(l_path)
syncs = []
for r in c_rows:
    if r["sync"] not in syncs:
        syncs.append(r["sync"])

def rows(data, sync, op):
    return [r for r in data if r["sync"] == sync and r["op"] == op]

def med(vals):
    return statistics.median(vals) if vals else None

TARGETS = {"validate": 4.0, "create": 2.5}
OPS = ["create", "validate", "get", "revoke", "validate_idle"]
missed = []
out = []      # terminal
md = []       # markdown

def fmt_int(v):
    return "—" if v is None else f"{v:,.0f}"

md.append("# Session benchmark: libluciaauth vs Lucia v2\n")
md.append(f"Run {env['RUN_DATE']}; {env['RUN_ROUNDS']} round(s) per setting, "
          f"n = {env['RUN_N']} sequential operations per kind and run. ops/s are medians over the "
          "rounds; each round runs both sides back to back, and the ratio is the median of the "
          "per-round ratios (range: lowest–highest round).\n")
md.append("Machine: " + env["RUN_CPU"] + "; " + env["RUN_KERNEL"] + "; databases in " +
          env["RUN_FS"] + "; load average " + env["RUN_LOAD"] + ".\n")

c_meta = c_rows[0] if c_rows else {}
l_meta = l_rows[0] if l_rows else {}
md.append("- luciaauth: `bench/bench_session` through libluciaauth (one handle, C), "
          f"SQLite {c_meta.get('sqlite', '?')} (system library).")
if lucia_on and l_meta:
    md.append(f"- Lucia v2: lucia {l_meta.get('lucia')}, @lucia-auth/adapter-sqlite "
              f"{l_meta.get('adapter')}, better-sqlite3 {l_meta.get('better_sqlite3')} "
              f"(bundled SQLite {l_meta.get('sqlite')}), Node {l_meta.get('node')}.")
else:
    md.append(f"- Lucia v2: **skipped** ({env.get('RUN_LUCIA_WHY') or 'run-lucia.sh exited 77'}).")
md.append("- Durability: journal_mode=WAL and the synchronous setting in each heading, the same on "
          "both sides (luciaauth: `sync = full` in the config, `cfg.sync_full`, else NORMAL; "
          "Lucia: `PRAGMA synchronous` on its better-sqlite3 connection). Both create their "
          "databases in the same directory.")
md.append("")

for sync in syncs:
    c_journal = {r["journal"] for r in c_rows if r["sync"] == sync}
    l_journal = {r["journal"] for r in l_rows if r["sync"] == sync}
    same = lucia_on and c_journal == l_journal and len(c_journal) == 1
    jtxt = "/".join(sorted(c_journal))
    title = f"synchronous={sync.upper()}, journal_mode={jtxt.upper()}"
    if lucia_on:
        title += " on both sides" if same else \
            f" (MISMATCH: Lucia journal {'/'.join(sorted(l_journal)) or '?'})"
    out.append("")
    out.append(title)
    out.append(f"  {'op':<14}{'luciaauth/s':>13}{'Lucia v2/s':>13}{'ratio':>8}  {'(range)':<13}"
               f"{'target':>8}  result")
    md.append(f"## {title}\n")
    md.append("| op | luciaauth ops/s | Lucia v2 ops/s | ratio | range | target | result |")
    md.append("|---|---:|---:|---:|---|---:|---|")
    for op in OPS:
        c = rows(c_rows, sync, op)
        l = rows(l_rows, sync, op)
        cm = med([r["ops_per_s"] for r in c])
        lm = med([r["ops_per_s"] for r in l])
        ratio = rng = None
        if cm is not None and lm:
            # Each round runs both sides back to back: the median of the
            # per-round ratios pairs figures measured under the same load.
            by_round = {r["round"]: r["ops_per_s"] for r in l}
            rs = [r["ops_per_s"] / by_round[r["round"]] for r in c if by_round.get(r["round"])]
            ratio = med(rs) if rs else cm / lm
            if len(rs) > 1:
                rng = f"{min(rs):.2f}–{max(rs):.2f}"
        target = TARGETS.get(op)
        if target is None:
            result = ""
        elif ratio is None:
            result = "n/a"
        elif ratio >= target:
            result = "PASS"
        else:
            result = "MISS"
            missed.append(f"{op} ({sync})")
        rtxt = "—" if ratio is None else f"{ratio:.2f}x"
        ttxt = "" if target is None else f">= {target:.1f}x"
        note = "  (no Lucia counterpart)" if op == "validate_idle" else ""
        out.append(f"  {op:<14}{fmt_int(cm):>13}{fmt_int(lm):>13}{rtxt:>8}  {(rng or ''):<13}"
                   f"{ttxt:>8}  {result}{note}")
        md.append(f"| {op} | {fmt_int(cm)} | {fmt_int(lm) if op != 'validate_idle' else '(not measured)'} "
                  f"| {rtxt} | {rng or ''} | {ttxt.replace('>=', '≥')} | {result} |")

    # Sign-in: the non-hash part.
    cs = rows(c_rows, sync, "signin")
    ls = rows(l_rows, sync, "signin")
    lo = rows(c_rows, sync, "signin_lowcost")
    if cs:
        tot = med([r["total_us"] for r in cs])
        hsh = med([r["hash_us"] for r in cs])
        ovh = med([r["overhead_us"] for r in cs])
        p99 = max(r["total_p99_us"] for r in cs)
        split = all(r.get("nonhash_us") is not None for r in cs)
        if split:
            other = med([r["nonhash_us"] for r in cs])
            other_p99 = max(r["nonhash_p99_us"] for r in cs)
            how = (f"measured inside each call; p99 {other_p99:.0f} us; "
                   f"total - separate hash: {ovh:.0f} us")
        else:
            other = ovh
            how = "total - separately timed hash"
        res = "PASS" if other < 1000 else "MISS"
        if res == "MISS":
            missed.append(f"sign-in overhead ({sync})")
        out.append(f"  sign-in, la_authenticate ({cs[0]['hash']}):")
        out.append(f"    total {tot/1000:.2f} ms (worst p99 {p99/1000:.2f} ms), hash alone "
                   f"{hsh/1000:.2f} ms")
        out.append(f"    everything else {other:.0f} us ({how})")
        out.append(f"    target < 1000 us: {res}")
        md.append("")
        md.append(f"Sign-in, `la_authenticate` ({cs[0]['hash']}): total {tot/1000:.2f} ms; the hash "
                  f"alone (`la_verify_password`) {hsh/1000:.2f} ms; everything else "
                  f"**{other:.0f} µs** ({how.replace('us', 'µs')}); target < 1 ms: {res}.")
        if lo:
            lo_ovh = med([r["overhead_us"] if r.get("nonhash_us") is None else r["nonhash_us"]
                          for r in lo])
            lo_tot = med([r["total_us"] for r in lo])
            out.append(f"    at minimum hash cost ({lo[0]['hash']}): total {lo_tot:.0f} us, "
                       f"everything else {lo_ovh:.0f} us")
            md.append(f"At libsodium's minimum cost ({lo[0]['hash']}) the same call takes "
                      f"{lo_tot:.0f} µs, of which {lo_ovh:.0f} µs are not the hash.")
        if ls:
            lt = med([r["ms_per_op"] for r in ls])
            lh = med([r["hash_ms"] for r in ls])
            lother = med([r["other_ms"] for r in ls])
            out.append(f"    Lucia v2 useKey + createSession ({ls[0]['hash']}): {lt:.2f} ms = "
                       f"hash {lh:.2f} ms + other {lother*1000:.0f} us")
            md.append(f"Lucia v2 `useKey` + `createSession` ({ls[0]['hash']}): {lt:.2f} ms = "
                      f"hash {lh:.2f} ms + other {lother*1000:.0f} µs.")
    md.append("")

if not lucia_on:
    out.append("")
    out.append("Lucia v2: skipped (" + (env.get("RUN_LUCIA_WHY") or "run-lucia.sh exited 77") +
               "); ratios not available.")
out.append("")
out.append(("Durability: both sides journal_mode=WAL with the synchronous setting named above; "
            "each side in its own temporary database under " if lucia_on else
            "Durability: journal_mode=WAL with the synchronous setting named above; "
            "temporary database under ") + env["RUN_FS"] + ".")
out.append("Machine: " + env["RUN_CPU"] + "; " + env["RUN_KERNEL"] + "; load average " +
           env["RUN_LOAD"])
if missed:
    out.append("Targets missed: " + ", ".join(missed))

with open(md_path + ".tmp", "w") as f:
    f.write("\n".join(md).rstrip() + "\n")
os.replace(md_path + ".tmp", md_path)
print("\n".join(out))
print(f"\nwrote {c_path}" + (f", {l_path}" if lucia_on else "") + f", {md_path}")
if missed and env.get("RUN_STRICT") == "1":
    sys.exit(1)
PY

# Then the PAM benchmark into the same OUTDIR (pam.jsonl, pam-summary.md);
# BENCH_PAM=0 skips it.  See bench/run-pam.sh for its settings.
if [[ ${BENCH_PAM:-1} != 0 ]]; then
	"$here/run-pam.sh" "$build" "$outdir"
fi

# Then luciaauthd against Lucia v2 over HTTP (wrk, bench/run-daemon.sh);
# BENCH_DAEMON=0 skips it, and it skips itself (77) without wrk or node.
if [[ ${BENCH_DAEMON:-1} != 0 ]]; then
	"$here/run-daemon.sh" "$build" || [[ $? == 77 ]]
fi

# Then the timing of a failed sign-in, unknown user against a wrong password,
# through PAM and the CLI (bench/run-timing.sh: timing.jsonl, logs/timing.log);
# BENCH_TIMING=0 skips it.
if [[ ${BENCH_TIMING:-1} != 0 ]]; then
	"$here/run-timing.sh" "$build" "$outdir"
fi

# Then importing IMPORT_N users from shadow files and from a Lucia database
# (bench/run-import.sh: import.jsonl, import-summary.md; BENCH_ROUNDS rounds);
# BENCH_IMPORT=0 skips it, and it skips itself (77) without sqlite3 or openssl.
if [[ ${BENCH_IMPORT:-1} != 0 ]]; then
	"$here/run-import.sh" "$build" "$outdir" || [[ $? == 77 ]]
fi
