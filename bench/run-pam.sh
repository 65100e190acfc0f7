#!/usr/bin/env bash
# PAM benchmark: pam_luciaauth.so against pam_unix, and a login storm (SPEC §3, §7).
#
# Usage: bench/run-pam.sh BUILD_DIR [OUTDIR]
#   BUILD_DIR  a configured build tree in which `make` has built
#              pam_module/pam_luciaauth.la and bench/bench_pam
#   OUTDIR     results (default: bench/results/ next to this script)
#
# Runs BUILD_DIR/bench/bench_pam (see the comment at the top of
# bench/bench_pam.c): pam_authenticate through the built module, loaded by
# libpam from a private service directory (pam_start_confdir), split into the
# password hash and everything else (SPEC §7 target: the rest < 1 ms); the
# same for pam_unix.so with a yescrypt hash whose cost is picked so that it
# takes about as long as the store's default Argon2id; then a login storm
# (32 concurrent clients, 1000 logins of auth + open_session +
# close_session; targets: 0 errors, throughput >= 90 % of cores / hash time).
#
# pam_unix needs root (it reads /etc/shadow) and a local user with a known
# password.  As root, and where `unshare -m` works, this script copies
# /etc/passwd and /etc/shadow into a private temporary directory, appends a
# user `pbunix` (a free uid, the calibrated yescrypt hash) and bind-mounts the
# copies over the originals inside a private mount namespace, where the
# benchmark runs; the host's files are never written (their checksums are
# compared before and after).  Otherwise the pam_unix part is reported as
# skipped, with the reason.
#
# Environment:
#   BENCH_PAM_N           one-client rounds (default 50)
#   BENCH_PAM_CLIENTS     storm clients (default 32)
#   BENCH_PAM_LOGINS      storm logins in all (default 1000)
#   BENCH_PAM_USERS       store users the storm spreads over (default 32)
#   BENCH_PAM_MODE        storm clients: processes, threads or both (default both)
#   BENCH_PAM_HASH_SLOTS  K > 0: one more storm with at most K hashes at a time
#                         (an experiment; default 0 = skip)
#   BENCH_STRICT          1 = exit 1 when a target is missed (default 0)
#   TMPDIR                where the store, the service files and the copies live
#
# Writes OUTDIR/pam.jsonl (every JSON line of the run), OUTDIR/pam-summary.md
# and OUTDIR/logs/pam.log (the benchmark's own table).  Needs python3.

set -euo pipefail

usage() {
	awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}" >&2
	exit 2
}

[[ $# -ge 1 && $# -le 2 && $1 != -h && $1 != --help ]] || usage

die() {
	printf 'run-pam.sh: %s\n' "$*" >&2
	exit 1
}

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
build=$(cd -- "$1" && pwd) || die "no build directory $1"
outdir=${2:-$here/results}
n=${BENCH_PAM_N:-50}
clients=${BENCH_PAM_CLIENTS:-32}
logins=${BENCH_PAM_LOGINS:-1000}
users=${BENCH_PAM_USERS:-32}
mode=${BENCH_PAM_MODE:-both}
slots=${BENCH_PAM_HASH_SLOTS:-0}
strict=${BENCH_STRICT:-0}

for v in "$n" "$clients" "$logins" "$users" "$slots"; do
	[[ $v =~ ^[0-9]+$ ]] || die "BENCH_PAM_N, _CLIENTS, _LOGINS, _USERS and _HASH_SLOTS must be numbers"
done
[[ $mode == processes || $mode == threads || $mode == both ]] ||
	die "BENCH_PAM_MODE: processes, threads or both, not '$mode'"
command -v python3 >/dev/null 2>&1 || die "python3 is needed to read the results"

bench=$build/bench/bench_pam
module=$build/pam_module/.libs/pam_luciaauth.so
[[ -x $bench ]] || die "$bench not found; run 'make bench/bench_pam' in $build first"
[[ -f $module ]] || die "$module not found; run 'make' in $build first"

mkdir -p "$outdir/logs"
outdir=$(cd -- "$outdir" && pwd)
jsonl=$outdir/pam.jsonl
log=$outdir/logs/pam.log
# Private scratch: it will hold a copy of /etc/shadow.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/run-pam.XXXXXX")
chmod 0700 "$scratch"
trap 'rm -rf -- "$scratch" "$jsonl.tmp"' EXIT
: >"$jsonl.tmp"

load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?"; }
load_start=$(load)

args=(--module "$module" --n "$n" --clients "$clients" --logins "$logins" --users "$users"
	--storm-mode "$mode" --hash-slots "$slots" --json)

# ---- pam_unix: a local user inside a private mount namespace ----------
unix_user=pbunix
unix_why=
pam_unix=$(find /lib /usr/lib /lib64 /usr/lib64 -path '*/security/pam_unix.so' -print -quit \
	2>/dev/null || true)
if [[ $(id -u) != 0 ]]; then
	unix_why="not root: pam_unix reads /etc/shadow only as root"
elif [[ -z $pam_unix ]]; then
	unix_why="pam_unix.so not found"
elif ! command -v unshare >/dev/null 2>&1 || ! unshare -m --propagation private true 2>/dev/null; then
	unix_why="no private mount namespace (unshare -m failed)"
elif getent passwd "$unix_user" >/dev/null 2>&1; then
	unix_why="a user '$unix_user' already exists on this host"
fi

if [[ -z $unix_why ]]; then
	printf 'run-pam.sh: calibrating yescrypt against the default Argon2id cost\n' >&2
	"$bench" --calibrate-yescrypt "$scratch/unix.hash" --json >"$scratch/cal.jsonl" \
		2>"$scratch/cal.log" || { cat "$scratch/cal.log" >&2; die "calibration failed"; }
	cat "$scratch/cal.log" >&2
	cat "$scratch/cal.jsonl" >>"$jsonl.tmp"
	uid=
	for ((u = 64999; u >= 64000; u--)); do
		if ! getent passwd "$u" >/dev/null && ! getent group "$u" >/dev/null; then
			uid=$u
			break
		fi
	done
	[[ -n $uid ]] || die "no free uid in 64000..64999 for $unix_user"
	cp -p /etc/passwd "$scratch/passwd"
	cp -p /etc/shadow "$scratch/shadow"
	printf '%s:x:%s:%s:bench_pam:/nonexistent:/usr/sbin/nologin\n' "$unix_user" "$uid" "$uid" \
		>>"$scratch/passwd"
	printf '%s:%s:%s:0:99999:7:::\n' "$unix_user" "$(cat "$scratch/unix.hash")" \
		"$(($(date +%s) / 86400))" >>"$scratch/shadow"
	sums_before=$(sha256sum /etc/passwd /etc/shadow)
	printf 'run-pam.sh: benchmark in a private mount namespace (%s, uid %s); load average %s\n' \
		"$unix_user" "$uid" "$load_start" >&2
	rc=0
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare -m --propagation private -- sh -c '
		mount --bind "$1" /etc/passwd && mount --bind "$2" /etc/shadow || exit 1
		shift 2
		exec "$@"' sh "$scratch/passwd" "$scratch/shadow" \
		"$bench" "${args[@]}" --unix-user "$unix_user" >"$scratch/pam.jsonl" 2>"$log" || rc=$?
	[[ $(sha256sum /etc/passwd /etc/shadow) == "$sums_before" ]] ||
		die "/etc/passwd or /etc/shadow changed during the run (not by this script?)"
	if grep -qs ' /etc/passwd \| /etc/shadow ' /proc/self/mountinfo; then
		die "a bind mount over /etc/passwd or /etc/shadow is visible outside the namespace"
	fi
else
	printf 'run-pam.sh: pam_unix part skipped (%s); load average %s\n' "$unix_why" \
		"$load_start" >&2
	rc=0
	"$bench" "${args[@]}" --unix-skip "$unix_why" >"$scratch/pam.jsonl" 2>"$log" || rc=$?
fi
cat "$log" >&2
((rc == 0)) || die "bench_pam failed with status $rc (see $log)"
cat "$scratch/pam.jsonl" >>"$jsonl.tmp"
mv -f -- "$jsonl.tmp" "$jsonl"
load_end=$(load)

# ---- summary -----------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n1)
virt=$(LC_ALL=C lscpu 2>/dev/null | sed -n 's/^Hypervisor vendor:[[:space:]]*//p' | head -n1)
fstype=$(df -PT -- "${TMPDIR:-/tmp}" 2>/dev/null | awk 'NR == 2 { print $2 }')
ncpu=$(nproc 2>/dev/null || echo '?')
RUN_CPU="${cpu:-unknown} x $ncpu${virt:+, virtualised ($virt)}"
RUN_KERNEL=$(uname -sr)
RUN_FS="${TMPDIR:-/tmp} on ${fstype:-unknown}"
RUN_LOAD="$load_start at start, $load_end at end"
RUN_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
RUN_PAM=$(dpkg-query -W -f '${Version}' libpam0g 2>/dev/null || echo '?')
export RUN_CPU RUN_KERNEL RUN_FS RUN_LOAD RUN_DATE RUN_PAM
export RUN_STRICT="$strict"

python3 - "$jsonl" "$outdir/pam-summary.md" <<'PY'
import json, os, sys

jsonl, md_path = sys.argv[1:3]
env = os.environ
rows = [json.loads(l) for l in open(jsonl) if l.strip()]

def one(impl, op, **kw):
    for r in rows:
        if r.get("impl") == impl and r.get("op") == op and all(r.get(k) == v for k, v in kw.items()):
            return r
    return None

def ms(us):
    return "—" if us is None else f"{us / 1000:.2f}"

settings = one("luciaauth-pam", "settings") or {}
auth, hsh = one("luciaauth-pam", "auth"), one("luciaauth-pam", "hash")
ovh = one("luciaauth-pam", "overhead")
login = one("luciaauth-pam", "login")
l_auth = one("luciaauth-pam", "login_auth")
l_open = one("luciaauth-pam", "login_open_session")
l_close = one("luciaauth-pam", "login_close_session")
u_auth, u_hash = one("pam_unix", "auth"), one("pam_unix", "hash")
u_ovh, u_skip = one("pam_unix", "overhead"), one("pam_unix", "skipped")
pick = one("yescrypt", "calibrate_pick")
cal_argon = one("luciaauth-pam", "calibrate_argon2id")
cal = [r for r in rows if r.get("impl") == "yescrypt" and r.get("op") == "calibrate"]
storms = [r for r in rows if r.get("op") == "storm"]
hstorms = [r for r in rows if r.get("op") == "hash_storm"]
missed = []

md = ["# PAM benchmark: pam_luciaauth.so\n"]
md.append(f"Run {env['RUN_DATE']} by `bench/run-pam.sh`. Machine: {env['RUN_CPU']}; "
          f"{env['RUN_KERNEL']}; Linux-PAM {env['RUN_PAM']}; SQLite {settings.get('sqlite', '?')}; "
          f"store, service files and copies in {env['RUN_FS']}; load average {env['RUN_LOAD']}.\n")
md.append("- The module is loaded by libpam from a private service directory "
          "(`pam_start_confdir`), `auth/account/session required <build>/pam_luciaauth.so "
          "config=<tmp>/luciaauth.conf nodelay`; the config sets only `dir`, so every other "
          f"setting is the default: password hash {auth['hash'] if auth else '?'} (Argon2id), "
          "synchronous=NORMAL, WAL. `nodelay` only drops the 2 s delay after a failure; only "
          "successes are timed.")
md.append(f"- One client: {settings.get('n', '?')} rounds after {settings.get('warmup', '?')} "
          "warm-up rounds; every call on a fresh handle (`pam_start_confdir`, the call, "
          "`pam_end`); hash alone, module, pam_unix and the full login interleaved in each round. "
          "*Hash alone* = `la_verify_password` on the user's stored hash. *Non-hash, in the call* "
          "= the call's time minus the time spent inside `crypto_pwhash_str_verify` (pam_unix: "
          "`crypt_r`), measured by wrappers in the benchmark that the modules' calls bind to.")
if pick:
    c = ", ".join(f"cost {r['count']} ({r['params']}) {r['us'] / 1000:.2f} ms" for r in cal)
    md.append(f"- pam_unix: user `pbunix` added to copies of /etc/passwd and /etc/shadow "
              "bind-mounted in a private mount namespace (the host's files untouched); its "
              f"yescrypt cost picked so that verification takes about as long as the Argon2id "
              f"({cal_argon['us'] / 1000:.2f} ms): {c}; picked **cost {pick['count']} "
              f"(`$y${pick['params']}$`)**. Service: `auth required pam_unix.so nodelay`.")
elif u_skip:
    md.append(f"- pam_unix: **skipped** ({u_skip.get('reason')}).")
md.append("")

md.append("## One client: pam_authenticate\n")
md.append("| | mean ms | p50 ms | p99 ms | CPU ms |")
md.append("|---|---:|---:|---:|---:|")
def line(label, r, nonhash=False):
    if not r:
        return
    if nonhash:
        if r.get("nonhash_us") is None:
            return
        md.append(f"| {label} | {ms(r['nonhash_us'])} | {ms(r['nonhash_p50_us'])} | "
                  f"{ms(r['nonhash_p99_us'])} | {ms(r['nonhash_cpu_us'])} |")
    else:
        md.append(f"| {label} | {ms(r['mean_us'])} | {ms(r['p50_us'])} | {ms(r['p99_us'])} | "
                  f"{ms(r['cpu_us'])} |")
line("luciaauth: pam_authenticate", auth)
line("luciaauth: hash alone (`la_verify_password`)", hsh)
line("luciaauth: non-hash, in the call", auth, True)
line("luciaauth: login = auth + open_session + close_session", login)
line("&nbsp;&nbsp;pam_authenticate", l_auth)
line("&nbsp;&nbsp;pam_open_session", l_open)
line("&nbsp;&nbsp;pam_close_session", l_close)
line("&nbsp;&nbsp;non-hash part of the login", login, True)
line("pam_unix: pam_authenticate", u_auth)
line("pam_unix: hash alone (`crypt_rn`)", u_hash)
line("pam_unix: non-hash, in the call", u_auth, True)
md.append("")
if ovh:
    res = "PASS" if ovh["pass"] else "MISS"
    if not ovh["pass"]:
        missed.append("PAM overhead")
    inner = f"; measured inside each call: **{ms(auth['nonhash_us'])} ms** (p99 " \
            f"{ms(auth['nonhash_p99_us'])} ms)" if auth and auth.get("nonhash_us") is not None else ""
    md.append(f"Overhead of pam_luciaauth = mean(pam_authenticate) − mean(hash alone) = "
              f"**{ms(ovh['us'])} ms**{inner}; target < 1 ms: **{res}**.")
if u_ovh and u_auth:
    calls = u_auth.get("hash_calls_per_op", 1)
    md.append(f"pam_unix: pam_authenticate − hash alone = {ms(u_ovh['us'])} ms"
              + (f"; outside `crypt_r` {ms(u_auth['nonhash_us'])} ms" if u_auth.get("nonhash_us") is not None else "")
              + f"; `crypt_r` calls per pam_authenticate: {calls:g}"
              + (" (this pam_unix hashes every password twice: Linux-PAM's `x_strdup()` macro "
                 "evaluates `crypt_r()` twice in `verify_pwd_hash`)" if calls >= 1.5 else "")
              + f"; pam_unix / pam_luciaauth authenticate time = {u_ovh['vs_luciaauth_auth']:.2f}.")
md.append("")

if storms:
    md.append("## Login storm\n")
    s0 = storms[0]
    md.append(f"{s0['clients']} concurrent clients, {s0['logins']} logins in all, each "
              "`pam_start_confdir` + `pam_authenticate` + `pam_open_session` + "
              f"`pam_close_session` + `pam_end`, login k for user k mod {s0['users']}. "
              "Clients are processes (each login of sshd/login/su runs in its own process) "
              "or threads of one process (one address space). *Ideal* = cores ÷ hash time = "
              f"{s0['cores']} ÷ {s0['hash_us'] / 1000:.2f} ms = {s0['ideal_per_s']:.1f} /s "
              "(hash time: the one-client mean of the hash alone). The hash-only storm runs "
              "`la_verify_password` alone with the same number of clients: what the machine "
              "delivers when nothing but the hash runs.\n")
    md.append("| clients | logins/s | errors | % of ideal | CPU per login ms (hash CPU ÷ it) | % of hash-only storm | latency p50 / p99 ms | CPU in hash / rest per login ms | other load | result |")
    md.append("|---|---:|---:|---:|---|---:|---|---|---:|---|")
    for s in storms:
        label = s["mode"] + (f", ≤ {s['hash_slots']} hashes at a time" if s["hash_slots"] else "")
        rest = (s["cpu_user_s"] + s["cpu_sys_s"] - s["hash_cpu_s"]) / s["logins"] * 1000
        hper = s["hash_cpu_s"] / s["hash_calls"] * 1000 if s["hash_calls"] else 0
        ok = s["errors"] == 0 and s["fraction"] >= 0.9
        busy = s.get("other_busy_frac", 0) > 0.1
        if not s["hash_slots"]:
            if s["errors"]:
                missed.append(f"storm errors ({s['mode']})")
            if s["fraction"] < 0.9:
                missed.append(f"storm throughput ({s['mode']}" +
                              (", machine busy: not conclusive)" if busy else ")"))
        vs = f"{s['vs_hash_storm'] * 100:.0f} %" if "vs_hash_storm" in s else "—"
        other = f"{s['other_busy_frac'] * 100:.0f} %" if "other_busy_frac" in s else "?"
        md.append(f"| {label} | {s['per_s']:.1f} | {s['errors']} | {s['fraction'] * 100:.0f} % | "
                  f"{s['cpu_per_op_ms']:.2f} ({s['cpu_efficiency'] * 100:.0f} %) | "
                  f"{vs} | {s['latency_p50_ms']:.0f} / {s['latency_p99_ms']:.0f} | "
                  f"{hper:.2f} / {rest:.2f} | {other} | "
                  f"{'PASS' if ok else 'MISS'}{' (experiment)' if s['hash_slots'] else ''}"
                  f"{' — busy machine' if busy else ''} |")
    for h in hstorms:
        hper = h["hash_cpu_s"] / h["hash_calls"] * 1000 if h["hash_calls"] else 0
        other = f"{h['other_busy_frac'] * 100:.0f} %" if "other_busy_frac" in h else "?"
        md.append(f"| hash only, {h['mode']} ({h['verifications']} verifications) | "
                  f"{h['per_s']:.1f} | {h['errors']} | {h['fraction'] * 100:.0f} % | "
                  f"{h['cpu_per_op_ms']:.2f} ({h['cpu_efficiency'] * 100:.0f} %) | — | "
                  f"{h['latency_p50_ms']:.0f} / {h['latency_p99_ms']:.0f} | {hper:.2f} / — | "
                  f"{other} | |")
    md.append("")
    md.append("Targets (SPEC §7): zero errors; throughput ≥ 90 % of cores ÷ hash time. "
              "*CPU in hash* is the CPU time per call inside `crypto_pwhash_str_verify` (about "
              f"{hsh['cpu_us'] / 1000:.2f} ms with one client); *other load* is the CPU "
              "time other processes on the machine used during the storm, as a share of cores × "
              "wall (from /proc/stat); above 10 % the run is marked *busy machine* and its "
              "throughput is not conclusive. *CPU per login* is the CPU time (user + system, "
              "all clients) per login; the one-client hash CPU time ÷ it is the share of "
              "ideal the storm would reach with the cores to itself and none idle, a figure "
              "that other load disturbs less." if hsh else "")
    left = [s for s in storms if s.get("sessions_left") or s.get("auth_failures")]
    if left:
        md.append(f"\nAfter the storms: {left[-1]['sessions_left']} sessions left, "
                  f"{left[-1]['auth_failures']} recorded failures (both should be 0).")
    md.append("")

md.append("Targets missed: " + (", ".join(missed) if missed else "none") + ".")
with open(md_path + ".tmp", "w") as f:
    f.write("\n".join(md).rstrip() + "\n")
os.replace(md_path + ".tmp", md_path)
print(f"\nrun-pam.sh: wrote {jsonl}, {md_path}" + (f"; targets missed: {', '.join(missed)}" if missed else "; all targets met"))
if missed and env.get("RUN_STRICT") == "1":
    sys.exit(1)
PY
