#!/usr/bin/env bash
# NSS benchmark: libnss_luciaauth.so.2 vs glibc's files module (SPEC §7).
#
# Usage: bench/run-nss.sh BUILD_DIR [OUTDIR]
#   BUILD_DIR  a configured build tree in which `make` has run (bench/bench_nss,
#              nss_module/.libs/libnss_luciaauth.so.2)
#   OUTDIR     results (default: bench/results/ next to this script)
#
# For each size N (10, 1,000, 100,000, 1,000,000 users), `bench_nss build`
# creates a store with N users in a scratch directory, times
# la_snapshot_publish() and writes a passwd file with the same users.  Then,
# for each round, two processes time getpwnam_r/getpwuid_r of random users
# through glibc, each in a private mount namespace (unshare -m) where
#   - /etc/nsswitch.conf says `passwd: luciaauth` (the module alone; the
#     snapshot is named by LUCIAAUTH_NSS_SNAPSHOT) or `passwd: files` (the
#     generated passwd file bind-mounted over /etc/passwd);
#   - /etc/ld.so.cache is a private cache (ldconfig -X -C) that also lists a
#     copy of the module, so glibc's dlopen("libnss_luciaauth.so.2") finds it.
# glibc keeps a loaded module for the life of a process: one process per
# configuration.
# Nothing of the host changes; the script checks /etc/nsswitch.conf,
# /etc/ld.so.cache and /etc/passwd before and after.
#
# Without root or without `unshare -m`, only the publish times are measured.
# Without the module, only the files side is measured.
#
# Environment:
#   NSS_SIZES           sizes to run (default "10 1000 100000 1000000")
#   BENCH_ROUNDS        lookup rounds per size, medians reported (default 3)
#   BENCH_N             lookups per operation and process (default 20000)
#   BENCH_MAX_SECONDS   time budget per operation and process (default 2; the
#                       files module needs ~35 ms per lookup at 1,000,000)
#   BENCH_PUBLISH_RUNS  la_snapshot_publish() calls per size (default 3)
#   BENCH_STRICT        1 = exit 1 when a target is missed (default 0)
#   TMPDIR              where the stores and passwd files are built
#
# Writes OUTDIR/nss.jsonl (every line, lookups with "round"),
# OUTDIR/nss-summary.md and OUTDIR/logs/nss-*.log.  Needs python3.

set -euo pipefail

usage() {
	awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}" >&2
	exit 2
}

[[ $# -ge 1 && $# -le 2 && $1 != -h && $1 != --help ]] || usage

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
build=$(cd -- "$1" && pwd) || { echo "run-nss.sh: no build directory $1" >&2; exit 2; }
outdir=${2:-$here/results}
sizes=${NSS_SIZES:-10 1000 100000 1000000}
rounds=${BENCH_ROUNDS:-3}
n=${BENCH_N:-20000}
max_s=${BENCH_MAX_SECONDS:-2}
pub_runs=${BENCH_PUBLISH_RUNS:-3}
strict=${BENCH_STRICT:-0}

die() {
	printf 'run-nss.sh: %s\n' "$*" >&2
	exit 1
}
note() { printf 'run-nss.sh: %s\n' "$*" >&2; }

for v in $sizes "$rounds" "$n" "$pub_runs"; do
	[[ $v =~ ^[0-9]+$ && $v -ge 1 ]] || die "NSS_SIZES, BENCH_ROUNDS, BENCH_N, BENCH_PUBLISH_RUNS: '$v' is not a count"
done
[[ $max_s =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "BENCH_MAX_SECONDS: '$max_s' is not a number"
command -v python3 >/dev/null 2>&1 || die "python3 is needed to read the results"

bench=$build/bench/bench_nss
module=$build/nss_module/.libs/libnss_luciaauth.so.2
[[ -x $bench ]] || die "$bench not found; run 'make bench/bench_nss' in $build first"

mkdir -p "$outdir/logs"
outdir=$(cd -- "$outdir" && pwd)
jsonl=$outdir/nss.jsonl
: >"$jsonl.tmp"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/nssbench.XXXXXX")
trap 'rm -rf -- "$scratch" "$jsonl.tmp"' EXIT

# ---- can we do the lookups? ------------------------------------------
lookups=on
why=
if [[ $(id -u) != 0 ]]; then
	lookups=off why="not root"
elif ! command -v unshare >/dev/null 2>&1 || ! unshare -m --propagation private true 2>/dev/null; then
	lookups=off why="unshare -m not available"
fi
impls="glibc-files"
module_why=
if [[ $lookups == on ]]; then
	if [[ -e $module ]]; then
		impls="luciaauth-nss glibc-files"
	else
		module_why="$module not built"
		note "$module_why: measuring the files module only"
	fi
else
	note "the lookup part needs root and unshare -m ($why): measuring publish times only"
fi

host_files=(/etc/nsswitch.conf /etc/ld.so.cache /etc/passwd)
md5sum -- "${host_files[@]}" >"$scratch/host.md5"

# Private ld.so.cache with a copy of the module (the host cache is untouched).
if [[ $lookups == on ]]; then
	mkdir -p "$scratch/nsslib"
	[[ ! -e $module ]] || cp -- "$module" "$scratch/nsslib/"
	printf 'include /etc/ld.so.conf.d/*.conf\n%s\n' "$scratch/nsslib" >"$scratch/ld.so.conf"
	ldconfig -X -C "$scratch/ld.so.cache" -f "$scratch/ld.so.conf"
	for impl in luciaauth files; do
		printf 'passwd: %s\ngroup: files\nshadow: files\n' "$impl" >"$scratch/nsswitch-$impl.conf"
	done
fi

# Run a lookup process in its own mount namespace: ns_run IMPL SIZEDIR ARGS...
ns_run() {
	local impl=$1 dir=$2 conf passwd=
	shift 2
	if [[ $impl == luciaauth-nss ]]; then
		conf=$scratch/nsswitch-luciaauth.conf
	else
		conf=$scratch/nsswitch-files.conf passwd=$dir/passwd
	fi
	# shellcheck disable=SC2016 # expanded by the inner shell
	env LUCIAAUTH_NSS_SNAPSHOT="$dir/store/nss.snapshot" \
		unshare -m --propagation private -- /bin/sh -c '
		set -e
		mount --bind "$1" /etc/nsswitch.conf
		mount --bind "$2" /etc/ld.so.cache
		[ -z "$3" ] || mount --bind "$3" /etc/passwd
		# A host nscd would answer with the host configuration.
		[ ! -d /run/nscd ] || mount -t tmpfs -o size=1m tmpfs /run/nscd
		shift 3
		exec "$@"' sh "$conf" "$scratch/ld.so.cache" "$passwd" "$@"
}

load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?"; }
load_start=$(load)
t_start=$SECONDS
note "sizes {$sizes}, $rounds round(s), n=$n (at most ${max_s} s per operation); load average $load_start"

for size in $sizes; do
	dir=$scratch/n$size
	mkdir -p "$dir"
	log=$outdir/logs/nss-build-$size.log
	note "$size users: building the store and publishing"
	if ! "$bench" build --users "$size" --dir "$dir" --publish-runs "$pub_runs" --json \
		>>"$jsonl.tmp" 2>"$log"; then
		cat "$log" >&2
		die "bench_nss build failed ($size users)"
	fi
	sed 's/^/    /' "$log" >&2
	if [[ $lookups == on ]]; then
		for ((r = 1; r <= rounds; r++)); do
			for impl in $impls; do
				log=$outdir/logs/nss-$impl-$size-$r.log
				if ! ns_run "$impl" "$dir" "$bench" lookup --impl "$impl" --users "$size" \
					--n "$n" --max-seconds "$max_s" --seed "$r" --round "$r" --json \
					>>"$jsonl.tmp" 2>"$log"; then
					cat "$log" >&2
					die "bench_nss lookup failed ($impl, $size users, round $r)"
				fi
				sed 's/^/    /' "$log" >&2
			done
		done
	fi
	rm -rf -- "$dir"
done
load_end=$(load)
elapsed=$((SECONDS - t_start))

# The host must be exactly as before: same files, nothing mounted on them.
host_ok=yes
if ! md5sum --quiet -c "$scratch/host.md5" >&2; then
	host_ok=no
fi
for f in "${host_files[@]}"; do
	if findmnt -n --target "$f" -o TARGET 2>/dev/null | grep -qx -- "$f"; then
		note "$f is still a mount point"
		host_ok=no
	fi
done
[[ $host_ok == yes ]] || die "the host's /etc changed during the run"

mv -f -- "$jsonl.tmp" "$jsonl"

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n1)
virt=$(LC_ALL=C lscpu 2>/dev/null | sed -n 's/^Hypervisor vendor:[[:space:]]*//p' | head -n1)
fstype=$(df -PT -- "${TMPDIR:-/tmp}" 2>/dev/null | awk 'NR == 2 { print $2 }')
ncpu=$(nproc 2>/dev/null || echo '?')
RUN_CPU="${cpu:-unknown} x $ncpu${virt:+, virtualised ($virt)}"
RUN_KERNEL=$(uname -sr)
RUN_GLIBC=$(getconf GNU_LIBC_VERSION 2>/dev/null || echo '?')
RUN_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
export RUN_CPU RUN_KERNEL RUN_GLIBC RUN_DATE RUN_ELAPSED=$elapsed
export RUN_FS="${TMPDIR:-/tmp} on ${fstype:-unknown}" RUN_LOAD="$load_start at start, $load_end at end"
export RUN_LOOKUPS=$lookups RUN_WHY=$why RUN_MODULE_WHY=$module_why RUN_ROUNDS=$rounds
export RUN_N=$n RUN_MAX_S=$max_s RUN_STRICT=$strict

python3 - "$jsonl" "$outdir/nss-summary.md" <<'PY'
import json, math, os, statistics, sys

jsonl, md_path = sys.argv[1:3]
env = os.environ
rows = [json.loads(l) for l in open(jsonl) if l.strip()]
med = lambda v: statistics.median(v) if v else None
sizes = []
for r in rows:
    if r["users"] not in sizes:
        sizes.append(r["users"])

def sel(impl, op, users):
    return [r for r in rows if r["impl"] == impl and r["op"] == op and r["users"] == users]

MOD, FILES = "luciaauth-nss", "glibc-files"
missed, out, md = [], [], []
f = lambda v, d=2: "—" if v is None else f"{v:,.{d}f}"
# Ratios: three decimals, or two significant digits below 0.1; no exponent.
rf = lambda r: "—" if r is None else f"{r:.3f}" if r >= 0.1 or r <= 0 else \
    f"{r:.{1 - math.floor(math.log10(r))}f}"

md.append("# NSS benchmark: libnss_luciaauth.so.2 vs glibc `files`\n")
md.append(f"Run {env['RUN_DATE']} ({env['RUN_ELAPSED']} s). Machine: {env['RUN_CPU']}; "
          f"{env['RUN_KERNEL']}; glibc {env['RUN_GLIBC'].split()[-1]}; stores and passwd files in "
          f"{env['RUN_FS']}; load average {env['RUN_LOAD']}.\n")
md.append("`bench/bench_nss lookup` times `getpwnam_r` and `getpwuid_r` of random existing users "
          "through glibc, one process per configuration, in a private mount namespace whose "
          "`nsswitch.conf` names one module: `passwd: luciaauth` (the snapshot of a store with N "
          "users) or `passwd: files` (a passwd file with the same N users bind-mounted over "
          "`/etc/passwd`). Every answer is checked. Figures are µs per call, medians over "
          f"{env['RUN_ROUNDS']} round(s) of up to {env['RUN_N']} calls per operation (fewer where "
          f"the {env['RUN_MAX_S']} s budget per operation ran out: column n); the ratio is the "
          "median of the per-round ratios of the means (module / files). *first* is the first "
          "call of the process (reading nsswitch.conf, loading the module, mapping and checking the "
          "snapshot), i.e. the whole cost of a lookup in a process that makes only one. "
          "Without nscd, glibc itself retries nscd (socket + connect, ~2 µs) on every 100th passwd "
          "call of a process, whatever the module: 1% of the calls, right at the p99 boundary.\n")

if env["RUN_LOOKUPS"] != "on":
    md.append(f"**Lookups not measured**: they need root and `unshare -m` ({env['RUN_WHY']}).\n")
    out.append(f"lookups not measured: they need root and unshare -m ({env['RUN_WHY']})")
else:
    if env.get("RUN_MODULE_WHY"):
        md.append(f"**luciaauth-nss not measured**: {env['RUN_MODULE_WHY']}.\n")
        out.append(f"luciaauth-nss not measured: {env['RUN_MODULE_WHY']}")
    md.append("| users | op | module mean | p50 | p99 | first | n | files mean | p50 | p99 | first "
              "| n | ratio (mean) | ratio (p50) | files ÷ module | target | result |")
    md.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    out.append(f"{'users':>9} {'op':<9}{'module mean':>12}{'p50':>8}{'p99':>9}{'first':>10}"
               f"{'files mean':>12}{'p50':>12}{'p99':>12}{'first':>10}{'ratio':>10}"
               f"{'speed-up':>10}  target")
    for users in sizes:
        for op in ("getpwnam", "getpwuid"):
            m, fl = sel(MOD, op, users), sel(FILES, op, users)
            if not m and not fl:
                continue
            mm = {k: med([r[k] for r in m]) for k in ("us_mean", "us_p50", "us_p99", "first_us", "n")}
            ff = {k: med([r[k] for r in fl]) for k in ("us_mean", "us_p50", "us_p99", "first_us", "n")}
            fr = {r["round"]: r for r in fl}
            ratios = [r["us_mean"] / fr[r["round"]]["us_mean"] for r in m if r["round"] in fr]
            ratios50 = [r["us_p50"] / fr[r["round"]]["us_p50"] for r in m if r["round"] in fr]
            ratio, ratio50 = med(ratios), med(ratios50)
            target, result = "", ""
            if users <= 10:
                target = "≤ 1.0× files"
                result = "n/a" if ratio is None else ("PASS" if ratio <= 1.0 else "MISS")
            elif users >= 1000000:
                target = "< 20 µs"
                result = "n/a" if mm["us_mean"] is None else ("PASS" if mm["us_mean"] < 20 else "MISS")
            if op != "getpwnam" and target:
                target += " (SPEC: getpwnam)"
            if result == "MISS":
                missed.append(f"{op} at {users:,} users")
            rng = f" ({rf(min(ratios))}–{rf(max(ratios))})" if len(ratios) > 1 else ""
            speed = None if ratio is None else 1 / ratio
            md.append(f"| {users:,} | {op} | {f(mm['us_mean'])} | {f(mm['us_p50'])} | "
                      f"{f(mm['us_p99'])} | {f(mm['first_us'], 0)} | {f(mm['n'], 0)} | "
                      f"{f(ff['us_mean'])} | {f(ff['us_p50'])} | {f(ff['us_p99'])} | "
                      f"{f(ff['first_us'], 0)} | {f(ff['n'], 0)} | {rf(ratio)}×{rng} | {rf(ratio50)}× | "
                      f"{f(speed, 1)}× | {target} | {result} |")
            out.append(f"{users:>9,} {op:<9}{f(mm['us_mean']):>12}{f(mm['us_p50']):>8}"
                       f"{f(mm['us_p99']):>9}{f(mm['first_us'], 0):>10}{f(ff['us_mean']):>12}"
                       f"{f(ff['us_p50']):>12}{f(ff['us_p99']):>12}{f(ff['first_us'], 0):>10}{rf(ratio) + 'x':>10}{f(speed, 1) + 'x':>10}  "
                       f"{target.replace('≤', '<=').replace('µ', 'u')} {result}")
    mods = sorted({r.get("module", "") for r in rows if r["impl"] == MOD})
    if mods:
        md.append(f"\nModule loaded from: `{'`, `'.join(mods)}` (a copy of the build's "
                  "`nss_module/.libs/libnss_luciaauth.so.2`, found through a private ld.so.cache).")
    md.append("")

md.append("## Snapshot publishing\n")
md.append("`la_snapshot_publish()` on a store with N users (read transaction, build, checksum, "
          "write to a temporary file, fsync, rename, fsync of the directory); median of the "
          "runs. The store is filled by direct INSERTs in one transaction (fill time shown).\n")
md.append("| users | publish ms (median) | min–max | runs | snapshot MB | store fill s | target | result |")
md.append("|---:|---:|---|---:|---:|---:|---|---|")
out.append("")
out.append(f"{'users':>9}  {'publish ms':>11}  {'snapshot MB':>11}  target")
for users in sizes:
    p = sel("luciaauth", "snapshot_publish", users)
    fill = sel("luciaauth", "fill_database", users)
    if not p:
        continue
    p = p[0]
    target = result = ""
    if users == 100000:
        target = "< 1000 ms"
        result = "PASS" if p["ms_p50"] < 1000 else "MISS"
        if result == "MISS":
            missed.append("snapshot publish at 100,000 users")
    md.append(f"| {users:,} | {p['ms_p50']:,.1f} | {p['ms_min']:,.1f}–{p['ms_max']:,.1f} | "
              f"{p['runs']} | {p['bytes']/1e6:,.2f} | {fill[0]['s'] if fill else '—'} | "
              f"{target} | {result} |")
    out.append(f"{users:>9,}  {p['ms_p50']:>11,.1f}  {p['bytes']/1e6:>11,.2f}  "
               f"{target} {result}")
md.append("")
md.append("Host check: `/etc/nsswitch.conf`, `/etc/ld.so.cache` and `/etc/passwd` have the same "
          "md5sum after the run as before, and none is a mount point.")
if missed:
    md.append("\nTargets missed: " + ", ".join(missed) + ".")
    out.append("Targets missed: " + ", ".join(missed))
with open(md_path + ".tmp", "w") as fh:
    fh.write("\n".join(md).rstrip() + "\n")
os.replace(md_path + ".tmp", md_path)
print("\n".join(out))
print(f"\nwrote {jsonl}, {md_path}")
if missed and env.get("RUN_STRICT") == "1":
    sys.exit(1)
PY
