#!/bin/bash
#
# test_nss_real.sh - system-level tests of the NSS module libnss_luciaauth.so.2
# with real programs (TAP): getent, id, ls, python3's pwd/grp.
#
# Run by "make check" with LUCIAAUTH, abs_top_builddir and abs_top_srcdir in
# the environment; by hand:
#   LUCIAAUTH=$build/tools/luciaauth abs_top_builddir=$build \
#   abs_top_srcdir=$src bash tests/test_nss_real.sh
#
# Two ways of putting the module in front of real programs:
#
#  wrap  nss_wrapper (LD_PRELOAD=libnss_wrapper.so, no root needed): the
#        module is loaded from the build tree and finds the snapshot through
#        its test hook LUCIAAUTH_NSS_SNAPSHOT; "local" accounts are the
#        NSS_WRAPPER_PASSWD/GROUP files (copies of the host's).
#  real  real glibc NSS in a private mount namespace (root and unshare -m;
#        otherwise these points are skipped): a read-only overlay over /etc
#        supplies nsswitch.conf ("passwd: files luciaauth", "group: files
#        [SUCCESS=merge] luciaauth", "shadow: files luciaauth", "initgroups:
#        files luciaauth"), a private ld.so.cache that also lists a copy of
#        the module, /etc/luciaauth.conf (dir = the test's store);
#        /etc/passwd and /etc/group are bind mounts of the store's
#        passwd_file and group_file: copies of the host's, the group "users"
#        with a local member (for the merge).
#        No environment reaches these programs (env -i), so setuid programs
#        and processes as nobody find the snapshot through the config file.
#
# Both: getent passwd/group/initgroups by name and id, id, ls -l, enumeration,
# unknown names, nothing on stderr, fork safety (python3), a snapshot crafted
# to hold entries the module must never serve (uid/gid 0, out of range, a
# local account's name), a local account created after the store's user of
# that name (before and after a republish), a tampered master database (a
# user with uid 0, one named like a local account, a gid 0 group) - never
# served.
# Real only: shadow (the password field is "*", aging fields from the store),
# [SUCCESS=merge] with a local group, an unprivileged user (setpriv nobody):
# lookups, no access to the master database, shadow without a hash, the
# test hook ignored by a setuid program; a process as nobody that holds the
# snapshot (fcntl lock, flock, sqlite BEGIN, mapping, open descriptors)
# while root adds 100 users - no slower than without it (bound below); 1000
# republishes while threads and processes look up the changing user: no
# error, never a torn answer, enumerations complete.
#
# The store lives on /dev/shm when it is a tmpfs (TMPDIR otherwise): the
# 1000 republishes fsync.  The loops call the CLI binary behind libtool's
# wrapper script directly (a shell per call would cost more than the call).
# The host is never changed: its files and mount table are compared at the
# end (test points), processes started here are stopped by their PID.
# Run time: about 15 s (50 s with an ASan build) on 2 cores.

set -u
export LC_ALL=C
umask 022

srcdir=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tap.sh
. "$srcdir/tests/tap.sh"
# shellcheck source=ns.sh
. "$srcdir/tests/ns.sh"

module=$builddir/nss_module/.libs/libnss_luciaauth.so.2

t_need_luciaauth
[ -f "$module" ] || skip_all "libnss_luciaauth.so.2 not built ($module)"
t_need getent id ls sqlite3 md5sum
PY=
for p in /usr/bin/python3 python3; do
	if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import pwd, grp, sqlite3, fcntl' 2>/dev/null; then
		PY=$(command -v "$p")
		break
	fi
done

# Never inherit a preload, a wrapper or the test hook from the caller.
unset LD_PRELOAD LUCIAAUTH_NSS_SNAPSHOT NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP \
	NSS_WRAPPER_HOSTS NSS_WRAPPER_SHADOW NSS_WRAPPER_MODULE_SO_PATH \
	NSS_WRAPPER_MODULE_FN_PREFIX

# A module built with ASan needs the ASan runtime first in every process
# that loads it (only processes that are not setuid can be given it).
asan_rt=
if command -v readelf >/dev/null 2>&1 &&
	readelf -d "$module" 2>/dev/null | grep -q 'NEEDED.*libasan'; then
	asan_rt=$(${CC:-gcc} -print-file-name=libasan.so 2>/dev/null)
	[ -f "$asan_rt" ] || skip_all "the module needs libasan, and its runtime was not found"
fi
asan_opts="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

have_wrap=0
# ld.so only complains (and goes on) when a preload cannot be found.
[ -z "$(env LD_PRELOAD=libnss_wrapper.so true 2>&1)" ] && have_wrap=1
have_real=0
why_no_real=
if [ "$(id -u)" != 0 ]; then
	why_no_real="needs root (private mount namespace)"
else
	for p in unshare nsenter setpriv findmnt ldconfig timeout; do
		command -v "$p" >/dev/null 2>&1 || why_no_real="$p not found"
	done
	if [ -z "$why_no_real" ] && ! unshare -m --propagation private true 2>/dev/null; then
		why_no_real="cannot create a private mount namespace (unshare -m failed)"
	fi
	[ -z "$why_no_real" ] && have_real=1
fi
[ "$have_wrap" = 1 ] || [ "$have_real" = 1 ] ||
	skip_all "neither nss_wrapper (libnss-wrapper) nor root with unshare -m: $why_no_real"

# ---------------------------------------------------------------------
# Host state, compared at the end.
# ---------------------------------------------------------------------
host_files() {
	local f
	for f in /etc/nsswitch.conf /etc/ld.so.cache /etc/passwd /etc/group /etc/shadow \
		/etc/luciaauth.conf; do
		if [ -e "$f" ]; then md5sum "$f"; else echo "absent $f"; fi
	done
}
host_mounts() { findmnt -rn -o TARGET,SOURCE,FSTYPE,OPTIONS 2>&1 | sort; }
host_files_before=$(host_files 2>&1)
host_mounts_before=$(host_mounts)

# The store lives on a tmpfs when there is one (/dev/shm): 1000 republishes
# with an fsync each would otherwise dominate the run time.
tmpbase=${TMPDIR:-/tmp}
if [ -d /dev/shm ] && [ -w /dev/shm ] && [ -z "${TMPDIR:-}" ] &&
	[ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then
	tmpbase=/dev/shm
fi
tmp=$(mktemp -d "$tmpbase/luciaauth-nssreal.XXXXXXXX") || bail_out "mktemp failed"
# nobody must reach the state directory (0711) and the helpers below.
chmod 711 "$tmp"

cleanup() {
	touch "$tmp/hold.stop" "$tmp/stress.stop" 2>/dev/null
	ns_stop_bg
	ns_release
	rm -rf --one-file-system "$tmp"
	tap_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# ---------------------------------------------------------------------
# The store.
# ---------------------------------------------------------------------
cfg=$tmp/luciaauth.conf
state=$tmp/state
db=$state/luciaauth.db
snap=$state/nss.snapshot
mkdir -m 755 "$tmp/bin" "$tmp/nsslib" "$tmp/etcov" "$tmp/suid" "$tmp/crafted"

# The "local" accounts: copies of the host's files, the group "users" with
# a local member (daemon) so that the merge has something to merge with.
# The store judges collisions against the same files glibc's files module
# reads in the namespace.
cp /etc/passwd "$tmp/local-passwd"
merge_group=
merge_gid=
merge_local=
if grep -q '^users:[^:]*:[0-9][0-9]*:' /etc/group && grep -q '^daemon:' /etc/passwd; then
	merge_group=users
	merge_gid=$(grep '^users:' /etc/group | cut -d: -f3)
	merge_local=$(grep '^users:' /etc/group | cut -d: -f4)
	[ -n "$merge_local" ] || merge_local=daemon
	sed "s/^users:\([^:]*\):\([0-9]*\):\$/users:\1:\2:daemon/" /etc/group >"$tmp/local-group"
else
	cp /etc/group "$tmp/local-group"
fi

write_config() {
	cat >"$1" <<EOF
# luciaauth store of test_nss_real.sh
dir = $2
hash_mem_kib = 64
hash_ops = 1
passwd_file = $tmp/local-passwd
group_file = $tmp/local-group
EOF
}
write_config "$cfg" "$state"

la() { "$LUCIAAUTH" --config "$cfg" "$@"; }

# The CLI without libtool's wrapper script (which costs a shell per call):
# for the loops of hundreds of calls.
fast_bin=
if head -c 2 "$LUCIAAUTH" 2>/dev/null | grep -q '^#!' && grep -q libtool "$LUCIAAUTH" 2>/dev/null; then
	for c in "$(dirname "$LUCIAAUTH")/.libs/lt-luciaauth" "$(dirname "$LUCIAAUTH")/.libs/luciaauth"; do
		if [ -x "$c" ] && env LD_LIBRARY_PATH="$builddir/storage/.libs" "$c" --help >/dev/null 2>&1; then
			fast_bin=$c
			break
		fi
	done
fi
la_fast() {
	if [ -n "$fast_bin" ]; then
		env LD_LIBRARY_PATH="$builddir/storage/.libs" "$fast_bin" --config "$cfg" "$@"
	else
		"$LUCIAAUTH" --config "$cfg" "$@"
	fi
}

must() {
	t_run "$@"
	if [ "$T_RC" != 0 ]; then
		diag "setup command failed ($T_RC): ${*}" "stdout: $T_OUT" "stderr: $T_ERR"
		bail_out "setup step failed"
	fi
}
# json_int KEY: an integer field of the JSON object in T_OUT.
json_int() { printf '%s' "$T_OUT" | grep -o "\"$1\":[0-9-]*" | head -n1 | cut -d: -f2; }

must -- la init
# store_user NAME GECOS HOME SHELL [PASSWORD]: add a user; sets uid_NAME,
# gid_NAME and line_NAME (the expected passwd line).
store_user() {
	local name=$1 gecos=$2 home=$3 shell=$4 uid gid
	if [ $# -ge 5 ]; then
		must -i "$5" -- la user add "$name" --gecos "$gecos" --home "$home" --shell "$shell" \
			--password-stdin
	else
		must -- la user add "$name" --gecos "$gecos" --home "$home" --shell "$shell" --no-password
	fi
	must -- la --json user show "$name"
	uid=$(json_int uid)
	gid=$(json_int gid)
	if [ -z "$uid" ] || [ -z "$gid" ]; then
		bail_out "no uid/gid for $name in: $T_OUT"
	fi
	printf -v "uid_$name" '%s' "$uid"
	printf -v "gid_$name" '%s' "$gid"
	printf -v "line_$name" '%s' "$name:x:$uid:$gid:$gecos:$home:$shell"
}
# shellcheck disable=SC2034 # set by store_user through printf -v
uid_alice='' gid_alice='' line_alice='' uid_bob='' gid_bob='' line_bob=''
store_user alice 'Alice Liddell' /home/alice /bin/sh 'alice-Pass-1234'
store_user bob 'Bob' /srv/bob /bin/bash
must -- la user mod bob --must-change
must -- la user expire bob --at 2030-01-01
expire_bob=$(($(date -u -d 2030-01-01 +%s) / 86400))
must -- la group add staff2
must -- la group add-member staff2 alice
must -- la group add-member staff2 bob
must -- la --json group show staff2
gid_staff2=$(json_int gid)
[ -n "$gid_staff2" ] || bail_out "no gid for staff2 in: $T_OUT"
if [ -n "$merge_group" ]; then
	must -- la group add "$merge_group"
	must -- la group add-member "$merge_group" alice
fi
line_alice_grp="alice:x:$gid_alice:"
today=$(($(date -u +%s) / 86400))

# A file owned by alice and the group staff2, for ls -l.
owned=$tmp/owned
: >"$owned"
chmod 644 "$owned"
owned_ok=0
chown "$uid_alice:$gid_staff2" "$owned" 2>/dev/null && owned_ok=1

# A second store with one user, mallory: the test hook may point at its
# snapshot, /etc/luciaauth.conf never does.
state2=$tmp/state2
cfg2=$tmp/other.conf
write_config "$cfg2" "$state2"
must -- "$LUCIAAUTH" --config "$cfg2" init
must -- "$LUCIAAUTH" --config "$cfg2" user add mallory --no-password --home /home/mallory --shell /bin/sh
snap2=$state2/nss.snapshot

# ---------------------------------------------------------------------
# Helper programs (python3), readable by nobody.
# ---------------------------------------------------------------------

# snapcraft.py OUT: a snapshot in the layout of storage/la_snapshot.h with a
# valid checksum, holding one good user (okuser 10001) and entries no NSS
# module may serve: uid 0 (toor), a local account's name (daemon, uid
# 10900), a uid outside uid_min..uid_max (farout 70000), a group with gid 0
# (wheel0) and one outside the range (farg 70001), both with okuser as member.
cat >"$tmp/bin/snapcraft.py" <<'EOF'
import os, struct, sys, time

def fnv(data):
    # storage/la_snapshot.h: FNV-1a over little-endian 64-bit words, then the tail bytes.
    h, n = 0xcbf29ce484222325, len(data) - len(data) % 8
    for (w,) in struct.iter_unpack("<Q", data[:n]):
        h = ((h ^ w) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    for b in data[n:]:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h

def align8(n):
    return (n + 7) & ~7

HDR = struct.Struct("=8sIIQQq" + "I" * 14 + "6I")
USER = struct.Struct("=IIIIIIIIiiII")
GROUP = struct.Struct("=IIIIII")
assert HDR.size == 120 and USER.size == 48 and GROUP.size == 24

# name, gecos, home, shell, uid, gid
users = [("toor", "", "/root", "/bin/sh", 0, 0),
         ("okuser", "Ok", "/home/okuser", "/bin/sh", 10001, 10001),
         ("daemon", "imposter", "/", "/bin/sh", 10900, 10900),
         ("farout", "", "/", "/bin/sh", 70000, 70000)]
# name, gid, member names
groups = [("wheel0", 0, ["okuser"]),
          ("okuser", 10001, []),
          ("farg", 70001, ["okuser"])]

pool = bytearray()
def s(x):
    off = len(pool)
    pool.extend(x.encode() + b"\0")
    return off

uidx = {u[0]: i for i, u in enumerate(users)}
members, ug = [], {i: [] for i in range(len(users))}
grecs = []
for gi, (name, gid, mem) in enumerate(groups):
    first = len(members)
    for m in mem:
        members.append(uidx[m])
        ug[uidx[m]].append(gi)
    grecs.append(GROUP.pack(s(name), gid, first, len(mem), 0, 0))
user_groups, urecs = [], []
for i, (name, gecos, home, shell, uid, gid) in enumerate(users):
    first = len(user_groups)
    user_groups.extend(ug[i])
    urecs.append(USER.pack(s(name), s(gecos), s(home), s(shell), uid, gid,
                           first, len(ug[i]), -1, -1, 0, 0))
ubn = sorted(range(len(users)), key=lambda i: users[i][0])
gbn = sorted(range(len(groups)), key=lambda i: groups[i][0])
parts = [b"".join(urecs), struct.pack("=%dI" % len(ubn), *ubn),
         b"".join(grecs), struct.pack("=%dI" % len(gbn), *gbn),
         struct.pack("=%dI" % len(members), *members),
         struct.pack("=%dI" % len(user_groups), *user_groups), bytes(pool)]
body, offsets, at = bytearray(), [], HDR.size
for p in parts:
    offsets.append(at)
    body.extend(p)
    at += len(p)
    pad = align8(at) - at
    body.extend(b"\0" * pad)
    at += pad
hdr = HDR.pack(b"LASNAP01", 1, HDR.size, at, fnv(body), int(time.time() * 1000),
               10000, 59999, len(users), len(groups), len(members), len(user_groups),
               offsets[0], offsets[1], offsets[2], offsets[3], offsets[4], offsets[5],
               offsets[6], len(pool), 0, 0, 0, 0, 0, 0)
tmpf = sys.argv[1] + ".tmp"
with open(tmpf, "wb") as f:
    f.write(hdr + body)
os.chmod(tmpf, 0o644)
os.rename(tmpf, sys.argv[1])
EOF

# forktest.py KNOWN NEWNAME CLI...: fork safety.
#  1. a child of a process that used the module resolves like its parent;
#  2. a child forked before a republish resolves a user added after it
#     (the parent runs CLI... to add NEWNAME in between), so does the parent;
#  3. children forked while two threads of the parent are inside lookups
#     resolve correctly and do not hang (alarm).
cat >"$tmp/bin/forktest.py" <<'EOF'
import grp, os, pwd, signal, subprocess, sys, threading

known, newname, cli = sys.argv[1], sys.argv[2], sys.argv[3:]
fails = []

def expect(cond, what):
    if not cond:
        fails.append(what)

def child(fn):
    pid = os.fork()
    if pid == 0:
        signal.alarm(10)
        try:
            ok = fn()
        except BaseException:
            ok = False
        os._exit(0 if ok else 1)
    return pid

def status(pid):
    st = os.waitpid(pid, 0)[1]
    if os.WIFSIGNALED(st):
        return "killed by signal %d" % os.WTERMSIG(st)
    return "exit %d" % os.WEXITSTATUS(st)

p0 = pwd.getpwnam(known)
g0 = grp.getgrgid(p0.pw_gid)
same = lambda: (pwd.getpwnam(known) == p0 and pwd.getpwuid(p0.pw_uid) == p0
                and grp.getgrgid(p0.pw_gid) == g0)

st = status(child(same))
expect(st == "exit 0", "1: child of a process that used the module: %s" % st)

r, w = os.pipe()
def late():
    os.close(w)
    os.read(r, 1)
    return pwd.getpwnam(newname).pw_name == newname and same()
pid = child(late)
os.close(r)
env = {k: v for k, v in os.environ.items()
       if k != "LD_PRELOAD" and not k.startswith("NSS_WRAPPER_")}
res = subprocess.run(cli, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
expect(res.returncode == 0, "2: adding %s failed: %s" % (newname, res.stderr.strip()))
os.write(w, b"x")
os.close(w)
st = status(pid)
expect(st == "exit 0", "2: child forked before the republish, lookup of %s after it: %s" % (newname, st))
try:
    expect(pwd.getpwnam(newname).pw_name == newname, "2: parent")
except KeyError:
    fails.append("2: the parent does not resolve %s" % newname)

stop = False
errors = []
def loop():
    while not stop:
        try:
            if pwd.getpwnam(known) != p0 or grp.getgrgid(p0.pw_gid) != g0:
                errors.append("wrong answer")
        except Exception as e:
            errors.append(repr(e))
threads = [threading.Thread(target=loop) for _ in range(2)]
for t in threads:
    t.start()
bad = []
for i in range(20):
    st = status(child(same))
    if st != "exit 0":
        bad.append(st)
stop = True
for t in threads:
    t.join()
expect(not bad, "3: children forked during lookups in other threads: %d of 20 failed (%s)"
       % (len(bad), ", ".join(sorted(set(bad)))))
expect(not errors, "3: parent threads: %d errors (%s)" % (len(errors), errors[:3]))
for f in fails:
    print(f)
sys.exit(1 if fails else 0)
EOF

# holder.py SNAPSHOT MASTERDB KNOWN STOP: run as nobody; holds every
# snapshot it can see (open descriptors, mapping, flock, fcntl read lock,
# an sqlite3 "read transaction") until STOP exists, re-taking the new file
# after each republish, and keeps looking up KNOWN through the module.
# Prints "ready" once it holds the snapshot, at the end what it held and
# what it could not open.
cat >"$tmp/bin/holder.py" <<'EOF'
import errno, fcntl, mmap, os, pwd, sqlite3, sys, time

snap, master, known, stopf = sys.argv[1:5]
out = {}
seen = {}

def try_master():
    # Every attempt's result, for the master and its -wal/-shm (which
    # exist only while the CLI writes).
    for p in (master, master + "-wal", master + "-shm"):
        try:
            fd = os.open(p, os.O_RDONLY)
            r = "OPENED"
            os.close(fd)
        except OSError as e:
            r = errno.errorcode.get(e.errno, str(e.errno))
        seen.setdefault(os.path.basename(p), set()).add(r)

try_master()
try:
    c = sqlite3.connect("file:%s?mode=ro" % master, uri=True)
    c.execute("SELECT count(*) FROM users").fetchall()
    out["sqlite-master"] = "READ"
except Exception as e:
    out["sqlite-master"] = type(e).__name__
held, maps, conns, inodes = [], [], [], set()
locks = {"flock-ex": 0, "flock-sh": 0, "fcntl-rd": 0, "sqlite-begin": 0}
lookups = lookup_errors = 0

def take():
    try:
        fd = os.open(snap, os.O_RDONLY)
    except OSError:
        return
    ino = os.fstat(fd).st_ino
    if ino in inodes:
        os.close(fd)
        return
    inodes.add(ino)
    held.append(fd)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        locks["flock-ex"] += 1
    except OSError:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            locks["flock-sh"] += 1
        except OSError:
            pass
    try:
        fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        locks["fcntl-rd"] += 1
    except OSError:
        pass
    try:
        maps.append(mmap.mmap(fd, 0, prot=mmap.PROT_READ))
    except Exception:
        pass
    try:
        c = sqlite3.connect("file:%s?mode=ro" % snap, uri=True, isolation_level=None)
        c.execute("BEGIN")
        try:
            c.execute("SELECT count(*) FROM sqlite_schema").fetchall()
        except Exception:
            pass
        conns.append(c)
        locks["sqlite-begin"] += 1
    except Exception:
        pass

take()
print("ready", flush=True)
deadline = time.time() + 120
while not os.path.exists(stopf) and time.time() < deadline:
    take()
    try_master()
    try:
        pwd.getpwnam(known)
        lookups += 1
    except Exception:
        lookup_errors += 1
    time.sleep(0.005)
take()
for k, v in seen.items():
    out[k] = "+".join(sorted(v))
out.update(locks)
out["snapshots_held"] = len(inodes)
out["lookups"] = lookups
out["lookup_errors"] = lookup_errors
print(" ".join("%s=%s" % kv for kv in sorted(out.items())))
EOF

# lookers.py NAME UID GROUP GID STOP NTHREADS: threads that look NAME up by
# name and uid and GROUP by name until STOP exists; every answer must be
# whole: gecos "gen N" with home "/srv/gen-N" (the same N), the group with
# NAME as its only member.  Prints a summary; exit 1 on any error.
cat >"$tmp/bin/lookers.py" <<'EOF'
import grp, os, pwd, re, sys, threading, time

name, uid, group, gid, stopf, n = sys.argv[1:7]
uid, gid, n = int(uid), int(gid), int(n)
gen = re.compile(r"gen (\d+)")
lock = threading.Lock()
errors, gens, count = [], set(), [0]

def check_pw(p):
    m = gen.fullmatch(p.pw_gecos)
    if (not m or p.pw_dir != "/srv/gen-" + m.group(1) or p.pw_name != name
            or p.pw_uid != uid or p.pw_shell != "/bin/sh"):
        return "torn or wrong entry: %r" % (tuple(p),)
    with lock:
        gens.add(int(m.group(1)))
    return None

def work(k):
    i = 0
    deadline = time.time() + 120
    while not os.path.exists(stopf) and time.time() < deadline:
        i += 1
        try:
            if i % 3 == 0:
                e = check_pw(pwd.getpwnam(name))
            elif i % 3 == 1:
                e = check_pw(pwd.getpwuid(uid))
            else:
                g = grp.getgrnam(group)
                e = None if (g.gr_gid == gid and g.gr_mem == [name]) else "group: %r" % (tuple(g),)
        except Exception as ex:
            e = repr(ex)
        with lock:
            count[0] += 1
            if e:
                errors.append(e)

threads = [threading.Thread(target=work, args=(k,)) for k in range(n)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("lookups=%d errors=%d generations=%d" % (count[0], len(errors), len(gens)))
for e in errors[:5]:
    print("error: " + e)
sys.exit(1 if errors else 0)
EOF
chmod 644 "$tmp/bin/"*.py

# ---------------------------------------------------------------------
# Runners.  q MODE CMD... runs CMD with the module in front of the
# system's databases; SNAP=FILE q ... points the test hook at another
# snapshot (in "real" mode /etc/luciaauth.conf is used otherwise).
# ---------------------------------------------------------------------
SNAP=
wrap_preload=libnss_wrapper.so
[ -n "$asan_rt" ] && wrap_preload="$asan_rt libnss_wrapper.so"

nsw() {
	env -u LD_LIBRARY_PATH LD_PRELOAD="$wrap_preload" ASAN_OPTIONS="$asan_opts" \
		NSS_WRAPPER_PASSWD="$tmp/local-passwd" NSS_WRAPPER_GROUP="$tmp/local-group" \
		NSS_WRAPPER_MODULE_SO_PATH="$module" NSS_WRAPPER_MODULE_FN_PREFIX=luciaauth \
		LUCIAAUTH_NSS_SNAPSHOT="${SNAP:-$snap}" "$@"
}
# In the namespace, in /, with a clean environment.
nsr() {
	local -a e=(PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C)
	[ -n "$asan_rt" ] && e+=(LD_PRELOAD="$asan_rt" ASAN_OPTIONS="$asan_opts")
	[ -n "$SNAP" ] && e+=(LUCIAAUTH_NSS_SNAPSHOT="$SNAP")
	# NSR_EXEC=1 nsr ... &: exec, so that $! is the program itself.
	[ -n "${NSR_EXEC:-}" ] && exec nsenter -t "$HOLDER" -m --wd=/ -- env -i "${e[@]}" "$@"
	nsenter -t "$HOLDER" -m --wd=/ -- env -i "${e[@]}" "$@"
}
# The same as nobody (uid and gid 65534, no supplementary groups).
nsr_nobody() { nsr setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }
q() {
	local mode=$1
	shift
	case $mode in
	wrap) nsw "$@" ;;
	real) nsr "$@" ;;
	esac
}

# Module-only enumeration of DB (passwd or group), sorted.
mod_enum() {
	local mode=$1 dbname=$2
	case $mode in
	real) nsr getent -s luciaauth "$dbname" | sort ;;
	wrap)
		local f=$tmp/local-passwd
		[ "$dbname" = group ] && f=$tmp/local-group
		nsw getent "$dbname" | grep -vxFf "$f" | sort
		;;
	esac
}

# sort_words TEXT: the words of TEXT, sorted, one line.
sort_words() {
	local -a w
	read -ra w <<<"$1"
	[ "${#w[@]}" -gt 0 ] && printf '%s\n' "${w[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}
# The sorted member list of a group line.
members_of() { printf '%s' "$1" | cut -d: -f4 | tr ',' '\n' | sort | tr '\n' ',' | sed 's/,$//'; }

# ---------------------------------------------------------------------
# The lookups both ways share.
# ---------------------------------------------------------------------
# qr MODE CMD...: t_run through q, keeping the module's stderr (it must
# never write anything) in q_errs.
q_errs=
qr() {
	t_run -- q "$@"
	[ -n "$T_ERR" ] && q_errs="$q_errs$1: ${*:2}: $T_ERR"$'\n'
	return 0
}

# The store's users and groups as the module must enumerate them (users
# added later by the fork checks are appended).
store_lines=("$line_alice" "$line_bob")
store_groups=(alice bob staff2)
[ -n "$merge_group" ] && store_groups+=("$merge_group")
# add_expected NAME: a user added with --gecos fork --home /home/NAME
# --shell /bin/sh (and its private group).
add_expected() {
	local uid gid
	t_run -- la --json user show "$1"
	[ "$T_RC" = 0 ] || return 0
	uid=$(json_int uid)
	gid=$(json_int gid)
	store_lines+=("$1:x:$uid:$gid:fork:/home/$1:/bin/sh")
	store_groups+=("$1")
}

common_checks() {
	local m=$1 out want
	q_errs=
	diag "--- $m: $([ "$m" = wrap ] && echo nss_wrapper || echo 'real glibc in a private mount namespace')"

	qr "$m" getent passwd alice
	if [ "$T_RC" != 0 ] && [ -z "$T_OUT" ]; then
		not_ok "$m: getent passwd alice"
		diag "rc $T_RC, stderr: $T_ERR"
		diag "the module does not answer; the other $m points will fail too"
	else
		is "$T_OUT" "$line_alice" "$m: getent passwd alice"
	fi
	qr "$m" getent passwd "$uid_alice"
	is "$T_OUT" "$line_alice" "$m: getent passwd $uid_alice (by uid)"
	qr "$m" getent passwd bob
	is "$T_OUT" "$line_bob" "$m: getent passwd bob"
	qr "$m" getent group staff2
	is "$(printf '%s' "$T_OUT" | cut -d: -f1-3):$(members_of "$T_OUT")" "staff2:x:$gid_staff2:alice,bob" \
		"$m: getent group staff2 (members alice, bob)"
	qr "$m" getent group "$gid_staff2"
	is "$(printf '%s' "$T_OUT" | cut -d: -f1-3):$(members_of "$T_OUT")" "staff2:x:$gid_staff2:alice,bob" \
		"$m: getent group $gid_staff2 (by gid)"
	qr "$m" getent group alice
	is "$T_OUT" "$line_alice_grp" "$m: getent group alice (the user private group)"

	want="$gid_staff2"
	[ -n "$merge_group" ] && want="$merge_gid $gid_staff2"
	qr "$m" getent initgroups alice
	out=$(printf '%s' "$T_OUT" | sed 's/^alice *//')
	is "$T_RC:$(sort_words "$out")" "0:$(sort_words "$want")" \
		"$m: getent initgroups alice (supplementary gids: $want)"
	qr "$m" getent initgroups bob
	out=$(printf '%s' "$T_OUT" | sed 's/^bob *//')
	is "$T_RC:$(sort_words "$out")" "0:$gid_staff2" "$m: getent initgroups bob"

	want="uid=$uid_alice(alice) gid=$gid_alice(alice) groups=$gid_alice(alice),"
	[ -n "$merge_group" ] && want="$want$merge_gid($merge_group),"
	want="$want$gid_staff2(staff2)"
	qr "$m" id alice
	out=$T_OUT
	# The order of the groups is the module's; compare them as a set.
	is "${out%%groups=*}groups=$(sort_words "$(printf '%s' "${out#*groups=}" | tr ',' ' ')")" \
		"${want%%groups=*}groups=$(sort_words "$(printf '%s' "${want#*groups=}" | tr ',' ' ')")" \
		"$m: id alice"
	qr "$m" id -un "$uid_bob"
	is "$T_OUT" bob "$m: id -un $uid_bob"

	if [ "$owned_ok" = 1 ]; then
		qr "$m" ls -l "$owned"
		is "$(printf '%s' "$T_OUT" | awk '{ print $3 " " $4 }')" "alice staff2" \
			"$m: ls -l shows a file's store owner and group by name"
	else
		skip "not root: cannot give a file to alice" "$m: ls -l of a file owned by a store user"
	fi

	qr "$m" getent passwd nosuchuser-la
	is "$T_RC:$T_OUT" "2:" "$m: an unknown name: getent exit 2, no output"
	qr "$m" getent passwd 59998
	is "$T_RC:$T_OUT" "2:" "$m: an unknown uid: getent exit 2, no output"
	qr "$m" getent passwd root
	is "$T_OUT" "$(grep '^root:' "$tmp/local-passwd")" "$m: root is the local one"

	out=$(mod_enum "$m" passwd)
	want=$(printf '%s\n' "${store_lines[@]}" | sort)
	is "$out" "$want" "$m: enumeration (getent passwd): the store's users, each once"
	qr "$m" getent passwd
	is "$(printf '%s\n' "$T_OUT" | head -n1)" "$(head -n1 "$tmp/local-passwd")" \
		"$m: enumeration starts with the local accounts (files first)"
	out=$(mod_enum "$m" group | cut -d: -f1 | tr '\n' ' ')
	is "$(sort_words "$out")" "$(sort_words "${store_groups[*]}")" \
		"$m: enumeration (getent group): the store's groups"
	is "$q_errs" "" "$m: nothing on stderr during these lookups"

	# Fork.
	if [ -n "$PY" ]; then
		t_run -- q "$m" "$PY" "$tmp/bin/forktest.py" alice "fork$m" \
			"$LUCIAAUTH" --config "$cfg" user add "fork$m" --no-password \
			--gecos fork --home "/home/fork$m" --shell /bin/sh
		if [ "$T_RC" = 0 ]; then
			ok "$m: fork: children of a process that used the module resolve correctly (also after a republish, also while other threads look up)"
		else
			not_ok "$m: fork: children of a process that used the module resolve correctly"
			diag "$T_OUT" "$T_ERR"
		fi
		add_expected "fork$m"
	else
		skip "python3 not found" "$m: fork"
	fi

	# A snapshot that holds what must never be served.
	if [ -n "$PY" ] && [ -f "$tmp/crafted/nss.snapshot" ]; then
		SNAP=$tmp/crafted/nss.snapshot
		qr "$m" getent passwd okuser
		is "$T_OUT" "okuser:x:10001:10001:Ok:/home/okuser:/bin/sh" \
			"$m: crafted snapshot: its valid user okuser is served (the file is well-formed)"
		qr "$m" getent passwd toor
		is "$T_RC:$T_OUT" "2:" "$m: crafted snapshot: a user with uid 0 (toor) is never served"
		qr "$m" getent passwd 0
		is "$T_OUT" "$(grep '^root:' "$tmp/local-passwd")" "$m: crafted snapshot: uid 0 is only the local root"
		qr "$m" getent passwd 10900
		is "$T_RC:$T_OUT" "2:" "$m: crafted snapshot: a user named like a local account (daemon, uid 10900) is never served"
		qr "$m" getent passwd daemon
		is "$T_OUT" "$(grep '^daemon:' "$tmp/local-passwd")" "$m: crafted snapshot: getent passwd daemon is the local daemon"
		qr "$m" getent passwd farout 70000
		is "$T_RC:$T_OUT" "2:" "$m: crafted snapshot: a uid outside uid_min..uid_max is never served"
		qr "$m" getent group wheel0 farg 70001
		is "$T_RC:$T_OUT" "2:" "$m: crafted snapshot: groups with gid 0 or outside the range are never served"
		qr "$m" getent group 0
		is "$T_OUT" "$(grep '^root:' "$tmp/local-group")" "$m: crafted snapshot: gid 0 is only the local root group, no member added"
		qr "$m" id okuser
		like "$T_RC:$T_OUT" '^0:uid=10001\(okuser\) gid=10001\(okuser\) groups=10001\(okuser\)$' \
			"$m: crafted snapshot: id okuser shows neither gid 0 nor 70001"
		out=$(mod_enum "$m" passwd | cut -d: -f1,3 | tr '\n' ' ')
		is "$out" "okuser:10001 " "$m: crafted snapshot: enumeration has only okuser"
		SNAP=
	else
		skip "python3 not found" "$m: crafted snapshot"
	fi
}

if [ -n "$PY" ]; then
	"$PY" "$tmp/bin/snapcraft.py" "$tmp/crafted/nss.snapshot" || diag "snapcraft.py failed"
fi

# =====================================================================
# nss_wrapper
# =====================================================================
if [ "$have_wrap" = 1 ]; then
	common_checks wrap
else
	skip "libnss_wrapper.so cannot be preloaded (package libnss-wrapper)" "wrap: nss_wrapper checks"
fi

# =====================================================================
# Real glibc in a private mount namespace
# =====================================================================
real_ready=0
if [ "$have_real" = 1 ]; then
	cp "$module" "$tmp/nsslib/libnss_luciaauth.so.2"
	chmod 644 "$tmp/nsslib/libnss_luciaauth.so.2"
	printf 'include /etc/ld.so.conf.d/*.conf\n%s\n' "$tmp/nsslib" >"$tmp/ld.so.conf"
	ldconfig -X -C "$tmp/etcov/ld.so.cache" -f "$tmp/ld.so.conf" 2>"$tmp/ldconfig.err" ||
		diag "ldconfig: $(cat "$tmp/ldconfig.err")"
	{
		grep -Ev '^[[:space:]]*(passwd|group|shadow|initgroups)[[:space:]]*:' /etc/nsswitch.conf
		echo "passwd:     files luciaauth"
		echo "group:      files [SUCCESS=merge] luciaauth"
		echo "shadow:     files luciaauth"
		echo "initgroups: files luciaauth"
	} >"$tmp/etcov/nsswitch.conf"
	cp "$cfg" "$tmp/etcov/luciaauth.conf"
	chmod 644 "$tmp/etcov/"*

	if ! ns_hold; then
		not_ok "private mount namespace"
		diag "the namespace holder did not start"
	else
		# nscd would answer with the host's configuration: hide it.
		t_run -- nsenter -t "$HOLDER" -m --wd=/ -- sh -euc '
			tmp=$1
			mount -t overlay overlay -o "lowerdir=$tmp/etcov:/etc" /etc
			mount --bind "$tmp/local-passwd" /etc/passwd
			mount --bind "$tmp/local-group" /etc/group
			for d in /run/nscd /var/run/nscd; do
				[ -d "$d" ] && mount -t tmpfs -o mode=755 tmpfs "$d"
			done
			mount -t tmpfs -o mode=755 tmpfs "$tmp/suid"
			cp /usr/bin/getent /bin/cat "$tmp/suid/"
			chown +0:+0 "$tmp/suid/getent" "$tmp/suid/cat"
			chmod 4755 "$tmp/suid/getent" "$tmp/suid/cat"' sh "$tmp"
		if [ "$T_RC" = 0 ]; then
			ok "private mount namespace: overlay on /etc (nsswitch.conf, ld.so.cache, luciaauth.conf), passwd and group"
			real_ready=1
		else
			not_ok "private mount namespace: overlay on /etc"
			diag "rc $T_RC: $T_ERR"
		fi
	fi
fi

if [ "$real_ready" = 1 ]; then
	common_checks real

	# --- shadow ---------------------------------------------------
	t_run -- nsr getent shadow alice
	like "$T_OUT" "^alice:\*:($((today - 1))|$today|$((today + 1))):" \
		"real: getent shadow alice (root): password field '*', last change today"
	like "$T_OUT" '^[^$]*$' "real: getent shadow alice (root): no hash anywhere"
	t_run -- nsr getent shadow bob
	like "$T_OUT" "^bob:\*:0:.*:$expire_bob:[^:]*\$" \
		"real: getent shadow bob: must change (last change 0), expires $expire_bob (2030-01-01)"
	t_run -- nsr getent shadow root
	is "$(printf '%s' "$T_OUT" | cut -d: -f1)" root "real: getent shadow root comes from the local file"

	# --- merge ------------------------------------------------------
	if [ -n "$merge_group" ]; then
		t_run -- nsr getent group "$merge_group"
		is "$T_OUT" "$merge_group:x:$merge_gid:$merge_local,alice" \
			"real: [SUCCESS=merge]: getent group $merge_group has the local member and the store's"
		t_run -- nsr getent group "$merge_gid"
		is "$T_OUT" "$merge_group:x:$merge_gid:$merge_local,alice" \
			"real: [SUCCESS=merge]: getent group $merge_gid (by gid) too"
		t_run -- nsr getent -s luciaauth group "$merge_group"
		is "$T_OUT" "$merge_group:x:$merge_gid:alice" "real: the module alone gives the merge group with its members"
	else
		skip "no local group 'users' on this host" "real: [SUCCESS=merge]"
	fi
	t_run -- nsr getent -s luciaauth passwd root daemon 0
	is "$T_RC:$T_OUT" "2:" "real: the module alone knows neither root nor daemon nor uid 0"

	# --- as nobody --------------------------------------------------
	t_run -- nsr_nobody id -u
	if [ "$T_OUT" != 65534 ]; then
		not_ok "real: setpriv to nobody"
		diag "got '$T_OUT' $T_ERR"
	fi
	t_run -- nsr_nobody getent passwd alice "$uid_bob"
	is "$T_OUT" "$line_alice"$'\n'"$line_bob" "nobody: getent passwd alice $uid_bob"
	t_run -- nsr_nobody getent group staff2
	is "$(printf '%s' "$T_OUT" | cut -d: -f1-3):$(members_of "$T_OUT")" "staff2:x:$gid_staff2:alice,bob" \
		"nobody: getent group staff2"
	t_run -- nsr id alice
	want=$T_OUT
	t_run -- nsr_nobody id alice
	is "$T_OUT" "$want" "nobody: id alice (as for root)"
	t_run -- nsr_nobody getent shadow alice
	like "$T_RC:$T_OUT" '^0:alice:\*:' "nobody: getent shadow alice shows '*'"
	like "$T_OUT" '^[^$]*$' "nobody: getent shadow alice shows no hash"
	t_run -- nsr_nobody cat "$db"
	like "$T_RC:$T_ERR" '^1:.*Permission denied' "nobody: the master database cannot be read (cat)"
	t_run -- nsr_nobody sqlite3 "file:$db?mode=ro" 'SELECT count(*) FROM users'
	is "$T_RC:$T_OUT" "1:" "nobody: the master database cannot be opened (sqlite3)"
	t_run -- nsr_nobody cat "$snap"
	is "$T_RC" 0 "nobody: the snapshot is readable (it is public)"

	# --- setuid programs ignore the test hook ----------------------
	if [ -n "$asan_rt" ]; then
		skip "ASan build: a setuid program cannot be given the ASan runtime" "setuid: test hook ignored"
	else
		t_run -- nsr_nobody "$tmp/suid/cat" /proc/self/status
		like "$T_OUT" $'Uid:\t65534\t0\t' "setuid: a setuid copy runs as nobody with euid 0 (AT_SECURE)"
		SNAP=$snap2 t_run -- nsr_nobody getent passwd mallory
		like "$T_OUT" '^mallory:x:' "setuid: a plain program as nobody honours LUCIAAUTH_NSS_SNAPSHOT (the other store's mallory)"
		SNAP=$snap2 t_run -- nsr_nobody "$tmp/suid/getent" passwd mallory
		is "$T_RC:$T_OUT" "2:" "setuid: a setuid getent ignores LUCIAAUTH_NSS_SNAPSHOT (no mallory)"
		SNAP=$snap2 t_run -- nsr_nobody "$tmp/suid/getent" passwd alice
		is "$T_OUT" "$line_alice" "setuid: a setuid getent finds the store through /etc/luciaauth.conf"
	fi
else
	skip "${why_no_real:-the namespace could not be set up}" "real glibc NSS, shadow, merge, nobody, setuid"
fi

# =====================================================================
# A local account created (useradd) after the store's user of the same
# name, before anything is republished: the store's entry is now named like
# an account in /etc/passwd and must not be served (SPEC 2), by uid either.
# =====================================================================
must -- la user add latecomer --no-password --gecos late --home /home/latecomer --shell /bin/sh
must -- la --json user show latecomer
uid_late=$(json_int uid)
late_local=9991
while grep -q "^[^:]*:[^:]*:$late_local:" "$tmp/local-passwd"; do
	late_local=$((late_local - 1))
done
# Appended in place: the namespace's /etc/passwd is this very file.
echo "latecomer:x:$late_local:$late_local:local latecomer:/home/latecomer:/bin/sh" >>"$tmp/local-passwd"
late_checks() {
	local m=$1 when=$2
	t_run -- q "$m" getent passwd latecomer
	is "$T_OUT" "latecomer:x:$late_local:$late_local:local latecomer:/home/latecomer:/bin/sh" \
		"$m: local latecomer $when: getent passwd latecomer is the local account"
	t_run -- q "$m" getent passwd "$uid_late"
	is "$T_RC:$T_OUT" "2:" \
		"$m: local latecomer $when: the store's latecomer (uid $uid_late) is not served"
	t_run -- q "$m" getent passwd
	is "$(printf '%s\n' "$T_OUT" | grep -c '^latecomer:')" 1 \
		"$m: local latecomer $when: the enumeration has one latecomer (the local one)"
}
for m in wrap real; do
	[ "$m" = wrap ] && [ "$have_wrap" != 1 ] && continue
	[ "$m" = real ] && [ "$real_ready" != 1 ] && continue
	if [ "$m" = wrap ]; then
		# Under nss_wrapper the local account exists only in the wrapper's
		# file; the module reads the real passwd_file (never NSS itself),
		# so only the publisher's filter can apply here: after a republish.
		for what in "getent passwd latecomer is the local account" \
			"the store's latecomer (uid $uid_late) is not served" \
			"the enumeration has one latecomer (the local one)"; do
			skip "the module cannot see nss_wrapper's passwd file" \
				"$m: local latecomer (no republish yet): $what"
		done
		continue
	fi
	late_checks "$m" "(no republish yet)"
done

# =====================================================================
# Tampered master database: a user with uid 0, a user named like a local
# account with an id in range, a group with gid 0 with alice as member.
# =====================================================================
t_run -- sqlite3 "$db" "
	INSERT INTO users (id, username, uid, gid, home, shell, created)
		VALUES ('tamperroot00001', 'toor', 0, 0, '/root', '/bin/sh', 0),
		       ('tamperdaemon001', 'daemon', 10900, 10900, '/', '/bin/sh', 0);
	INSERT INTO groups (gid, name) VALUES (0, 'wheel0');
	INSERT INTO group_members (gid, user_id)
		SELECT 0, id FROM users WHERE username = 'alice';"
if [ "$T_RC" = 0 ]; then
	ok "tamper: rows inserted into the master database with sqlite3"
else
	not_ok "tamper: rows inserted into the master database with sqlite3"
	diag "$T_ERR"
fi
t_run -- la publish
if [ "$T_RC" = 0 ]; then
	ok "tamper: luciaauth publish"
else
	not_ok "tamper: luciaauth publish"
	diag "rc $T_RC: $T_ERR" "republishing through a change instead (group add tamperprobe)"
	la group add tamperprobe >/dev/null 2>&1
fi
tamper_checks() {
	local m=$1
	t_run -- q "$m" getent passwd toor
	is "$T_RC:$T_OUT" "2:" "$m: tampered: the uid 0 user (toor) is never served"
	t_run -- q "$m" getent passwd 0
	is "$T_OUT" "$(grep '^root:' "$tmp/local-passwd")" "$m: tampered: uid 0 is only the local root"
	t_run -- q "$m" getent passwd 10900
	is "$T_RC:$T_OUT" "2:" "$m: tampered: the store's 'daemon' (uid 10900) is never served"
	t_run -- q "$m" getent passwd daemon
	is "$T_OUT" "$(grep '^daemon:' "$tmp/local-passwd")" "$m: tampered: getent passwd daemon is the local daemon (all fields)"
	t_run -- q "$m" getent group 0
	is "$T_OUT" "$(grep '^root:' "$tmp/local-group")" "$m: tampered: gid 0 is the local root group, alice not added"
	t_run -- q "$m" id alice
	like "$T_RC:$T_OUT" '^0:uid=' "$m: tampered: id alice still works"
	is "$(printf '%s' "$T_OUT" | grep -c '[=,]0(')" 0 "$m: tampered: id alice has no gid 0"
	t_run -- q "$m" getent passwd
	is "$(printf '%s\n' "$T_OUT" | grep -Ec '^toor:|^daemon:x:10900:')" 0 \
		"$m: tampered: the enumeration holds neither toor nor the store's daemon"
	is "$(printf '%s\n' "$T_OUT" | awk -F: '$3 == 0' | wc -l | tr -d ' ')" 1 \
		"$m: tampered: the enumeration has exactly one uid 0 (the local root)"
}
if [ "$have_wrap" = 1 ]; then
	tamper_checks wrap
	late_checks wrap "(republished)"
fi
if [ "$real_ready" = 1 ]; then
	tamper_checks real
	late_checks real "(republished)"
	t_run -- nsr getent -s luciaauth passwd toor daemon 0 10900
	is "$T_RC:$T_OUT" "2:" "real: tampered: the module alone serves none of them"
fi

# =====================================================================
# A process as nobody holds the snapshot while root adds 100 users.
# =====================================================================
# add_users PREFIX: 100 users through one CLI call each; prints the
# elapsed milliseconds and the number of failed calls.
add_users() {
	local p=$1 i t0 t1 fails=0
	t0=$(date +%s%N)
	for i in $(seq -w 1 100); do
		la_fast user add "$p$i" --no-password >/dev/null 2>"$tmp/add.err" || fails=$((fails + 1))
	done
	t1=$(date +%s%N)
	echo "$(((t1 - t0) / 1000000)) $fails"
}
# Bound: with the holder at most 1.5 x the time without it plus 1 s.
within_bound() { [ "$1" -le $(($2 * 3 / 2 + 1000)) ]; }

# start_holder: the holder as nobody, in the namespace; waits until it holds.
hold_pid=
start_holder() {
	rm -f "$tmp/hold.stop"
	: >"$tmp/holder.out"
	NSR_EXEC=1 nsr_nobody "$PY" "$tmp/bin/holder.py" "$snap" "$db" alice "$tmp/hold.stop" \
		>"$tmp/holder.out" 2>&1 &
	hold_pid=$!
	BG_PIDS+=("$hold_pid")
	for _ in $(seq 200); do
		grep -qx ready "$tmp/holder.out" && return 0
		kill -0 "$hold_pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
stop_holder() {
	touch "$tmp/hold.stop"
	wait_for "$hold_pid"
}
# wait_for PID: wait at most 30 s for a background process, then kill it.
wait_for() {
	local i
	for i in $(seq 300); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill "$1" 2>/dev/null
	wait "$1"
}
# hv KEY: a value from the holder's report.
hv() { printf '%s\n' "$holder_out" | tail -n1 | tr ' ' '\n' | sed -n "s/^$1=//p"; }
# hn KEY: a count from it (0 when missing).
hn() {
	local v
	v=$(hv "$1")
	case $v in '' | *[!0-9]*) echo 0 ;; *) echo "$v" ;; esac
}

if [ "$real_ready" = 1 ] && [ -n "$PY" ]; then
	read -r t_without f_without < <(add_users wa)
	if start_holder; then
		read -r t_with f_with < <(add_users ha)
		if ! within_bound "$t_with" "$t_without"; then
			# Once more, in case the machine was busy.
			diag "with the holder: $t_with ms, without: $t_without ms; measuring again"
			stop_holder
			read -r t_without f2 < <(add_users wb)
			f_without=$((f_without + f2))
			start_holder || diag "the holder did not start again"
			read -r t_with f2 < <(add_users hb)
			f_with=$((f_with + f2))
		fi
		stop_holder
		BG_PIDS=()
		holder_out=$(cat "$tmp/holder.out")
		diag "100 adds without the holder: $t_without ms, with it: $t_with ms" "holder: $holder_out"
		is "$f_without:$f_with" "0:0" "blocking: every 'user add' succeeded (with the holder too)"
		if within_bound "$t_with" "$t_without"; then
			ok "blocking: 100 adds with nobody holding the snapshot: $t_with ms <= 1.5 x $t_without ms + 1000 ms"
		else
			not_ok "blocking: 100 adds with nobody holding the snapshot: $t_with ms <= 1.5 x $t_without ms + 1000 ms"
		fi
		is "$([ "$(hn flock-ex)" -ge 1 ] && [ "$(hn fcntl-rd)" -ge 1 ] && [ "$(hn sqlite-begin)" -ge 1 ] && echo held)" held \
			"blocking: the holder held the snapshot (flock LOCK_EX, fcntl read lock, sqlite3 BEGIN, mapping)"
		is "$([ "$(hn snapshots_held)" -ge 10 ] && echo many)" many \
			"blocking: the holder also held many of the 100 new snapshots ($(hn snapshots_held) files, >= 10)"
		is "$(hv lookup_errors):$([ "$(hn lookups)" -ge 1 ] && echo ran)" "0:ran" \
			"blocking: the holder kept resolving alice through the module ($(hn lookups) lookups, no error)"
		is "$(hv luciaauth.db) $(hv sqlite-master)" "EACCES OperationalError" \
			"nobody: the master database cannot be opened, during the writes either (EACCES)"
		# -wal and -shm exist only while the CLI writes: ENOENT otherwise.
		v="$(hv luciaauth.db-wal) $(hv luciaauth.db-shm)"
		if [[ $v =~ ^[A-Z+]+\ [A-Z+]+$ && $v != *OPENED* ]]; then
			ok "nobody: its -wal and -shm cannot be opened either ($v)"
		else
			not_ok "nobody: its -wal and -shm cannot be opened either"
			diag "attempts: '$v'"
		fi
		mapfile -t names < <(printf 'ha%03d\n' $(seq 1 100))
		t_run -- nsr_nobody getent passwd "${names[@]}"
		is "$(printf '%s\n' "$T_OUT" | grep -c '^ha[0-9]*:x:')" 100 "blocking: afterwards the 100 new users resolve (as nobody)"
		mapfile -t names < <(printf 'wa%03d\n' $(seq 1 100))
		t_run -- nsr getent passwd "${names[@]}"
		is "$(printf '%s\n' "$T_OUT" | grep -c '^wa[0-9]*:x:')" 100 "blocking: and the 100 of the run without the holder (as root)"
	else
		not_ok "blocking: the holder (as nobody) started"
		diag "$(cat "$tmp/holder.out")"
	fi
	ns_stop_bg
else
	skip "${why_no_real:-python3 not found}" "blocking: a snapshot holder as nobody"
fi

# =====================================================================
# Stress: 1000 republishes while threads and processes look up.
# =====================================================================
if [ "$real_ready" = 1 ] && [ -n "$PY" ]; then
	must -- la user add stressu --no-password --gecos "gen 0" --home /srv/gen-0 --shell /bin/sh
	must -- la --json user show stressu
	uid_s=$(json_int uid)
	gid_s=$(json_int gid)
	must -- la group add stressgrp
	must -- la group add-member stressgrp stressu
	must -- la --json group show stressgrp
	gid_sg=$(json_int gid)
	enum_names=$(nsr getent -s luciaauth passwd | cut -d: -f1 | sort | tr '\n' ' ')
	enum_count=$(printf '%s' "$enum_names" | wc -w | tr -d ' ')
	stop=$tmp/stress.stop
	rm -f "$stop"
	t_start=$(date +%s%N)
	# The lookers run niced: on a small machine they would otherwise starve
	# the republisher (they still take every idle cycle).
	NSR_EXEC=1 nsr nice -n 10 "$PY" "$tmp/bin/lookers.py" stressu "$uid_s" stressgrp "$gid_sg" "$stop" 4 \
		>"$tmp/lookers.out" 2>&1 &
	lookers_pid=$!
	BG_PIDS+=("$lookers_pid")
	# getent in a loop, one process per lookup (as root and as nobody),
	# and whole enumerations of the module's users.
	# (They also end when the test's directory is gone.)
	loop_sh='stop=$1; shift; while [ -d "${stop%/*}" ] && [ ! -e "$stop" ]; do "$@" || echo "RC $?"; done'
	enum_sh='stop=$1; while [ -d "${stop%/*}" ] && [ ! -e "$stop" ]; do getent -s luciaauth passwd; echo "--END $?"; done'
	NSR_EXEC=1 nsr nice -n 10 sh -c "$loop_sh" sh "$stop" getent passwd stressu >"$tmp/loop-root.out" 2>&1 &
	BG_PIDS+=($!)
	NSR_EXEC=1 nsr_nobody nice -n 10 sh -c "$loop_sh" sh "$stop" getent passwd "$uid_s" >"$tmp/loop-nobody.out" 2>&1 &
	BG_PIDS+=($!)
	NSR_EXEC=1 nsr nice -n 10 sh -c "$enum_sh" sh "$stop" >"$tmp/loop-enum.out" 2>&1 &
	BG_PIDS+=($!)
	pub_fail=0
	for i in $(seq 1 1000); do
		la_fast user mod stressu --gecos "gen $i" --home "/srv/gen-$i" >/dev/null 2>"$tmp/mod.err" ||
			{ pub_fail=$((pub_fail + 1)); [ "$pub_fail" = 1 ] && diag "user mod: $(cat "$tmp/mod.err")"; }
	done
	touch "$stop"
	lookers_rc=
	for p in "${BG_PIDS[@]}"; do
		wait_for "$p"
		rc=$?
		[ "$p" = "$lookers_pid" ] && lookers_rc=$rc
	done
	BG_PIDS=()
	t_stress=$((($(date +%s%N) - t_start) / 1000000))
	diag "stress: 1000 republishes with lookers in $t_stress ms"
	is "$pub_fail" 0 "stress: 1000 republishes (user mod), no failure"
	lk=$(cat "$tmp/lookers.out")
	diag "python threads: $lk"
	is "${lookers_rc:-x}" 0 "stress: 4 threads of one process (getpwnam, getpwuid, getgrnam): no error, no torn entry"
	like "$lk" 'lookups=[1-9][0-9]{2,} errors=0 generations=([2-9][0-9]|[0-9]{3,})' \
		"stress: the threads saw the entry change (many generations) while it was republished"
	good_re="^stressu:x:$uid_s:$gid_s:gen ([0-9]+):/srv/gen-\\1:/bin/sh\$"
	for who in root nobody; do
		f=$tmp/loop-$who.out
		n=$(wc -l <"$f" | tr -d ' ')
		bad=$(grep -Evc "$good_re" "$f")
		gens=$(sed -n 's/^stressu:x:[0-9]*:[0-9]*:gen \([0-9]*\):.*/\1/p' "$f" | sort -u | wc -l | tr -d ' ')
		diag "getent loop as $who: $n lookups, $gens generations, $bad bad"
		[ "$bad" != 0 ] && diag "$(grep -Ev "$good_re" "$f" | head -n 5)"
		is "$bad:$([ "$n" -gt 0 ] && echo ran)" "0:ran" \
			"stress: getent passwd in a loop as $who: no error, every answer whole (gecos and home of one generation)"
	done
	# Per enumeration: status 0, the expected number of lines, no name
	# twice, every name one of the expected ones (so: exactly those).
	enum_res=$(awk -v want="$enum_names" -v wc="$enum_count" '
		BEGIN { split(want, w, " "); for (i in w) known[w[i]] = 1 }
		/^--END / { blocks++
			if ($2 != 0 || n != wc || unknown) bad++
			n = 0; unknown = 0; split("", seen); next }
		{ split($0, f, ":"); if (f[1] in seen) dup++
			if (!(f[1] in known)) unknown++
			seen[f[1]] = 1; n++ }
		END { printf "%d %d %d", blocks, bad + 0, dup + 0 }' "$tmp/loop-enum.out")
	read -r e_blocks e_bad e_dup <<<"$enum_res"
	: "${e_blocks:=0}" "${e_bad:=?}" "${e_dup:=?}"
	diag "enumerations: $e_blocks, bad: $e_bad, duplicates: $e_dup (of $enum_count users each)"
	is "$e_bad:$e_dup:$([ "$e_blocks" -gt 0 ] && echo ran)" "0:0:ran" \
		"stress: every enumeration during the republishes lists each user exactly once"
	t_run -- nsr_nobody getent passwd stressu
	is "$T_OUT" "stressu:x:$uid_s:$gid_s:gen 1000:/srv/gen-1000:/bin/sh" \
		"stress: afterwards the last generation is served"
else
	skip "${why_no_real:-python3 not found}" "stress: republishes during lookups"
fi

# =====================================================================
# The host is untouched.
# =====================================================================
ns_stop_bg
ns_release
is "$(host_files 2>&1)" "$host_files_before" \
	"host: /etc/nsswitch.conf, /etc/ld.so.cache, passwd, group, shadow unchanged, no /etc/luciaauth.conf"
is "$(host_mounts)" "$host_mounts_before" "host: the mount table is as before (findmnt)"
if [ -n "$NS_ID" ]; then
	left=
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$NS_ID" ] && left="$left ${p#/proc/}"
	done
	is "$left" "" "host: no process left in the private namespace"
fi

done_testing
