#!/bin/bash
#
# test_admin.sh - luciaauth doctor, backup and restore (TAP).
#
#   doctor   every check ok on a fresh store with good nsswitch/PAM files;
#            each kind of finding (stale snapshot, bad nsswitch order, PAM
#            missing, helper not setuid / writable, newer schema) with its
#            exit status (5 store, 1 hints only) and its fix line; --json;
#            the real /etc paths inside a private mount namespace.
#   backup   mode 0600 whatever the umask, refuses to overwrite (4) unless
#            --force, consistent while a writer runs, one self-contained file.
#   restore  refuses a missing file (3), a non-luciaauth database, a newer
#            schema, a damaged file (5) without touching the store; restores
#            users, keys, sessions and the snapshot.
set -u
export LC_ALL=C
umask 022

srcdir=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tap.sh
. "$srcdir/tests/tap.sh"

t_need_luciaauth
command -v sqlite3 >/dev/null || skip_all "needs the sqlite3 program"

T=$TAP_WORK
S=$T/state CFG=$T/c.conf
t_store "$T" "$CFG"
la() { "$LUCIAAUTH" --config "$CFG" "$@"; }
pw='Admin-Test-Pass-1'

la init >/dev/null || bail_out "init failed"
printf '%s\n' "$pw" | la user add ann --password-stdin >/dev/null || bail_out "user add"
la user add bea --no-password >/dev/null || bail_out "user add"
printf '%s\n' "$pw" | la login --user ann --password-stdin >"$T/token" || bail_out "login"

# Good system files for the doctor.
printf 'passwd: files luciaauth\ngroup: files [SUCCESS=merge] luciaauth\nshadow: files luciaauth\n' \
	>"$T/nsswitch.good"
mkdir "$T/pam.d"
for f in common-auth common-account common-password common-session; do
	printf '# comment pam_luciaauth.so\nauth [success=end default=ignore] pam_luciaauth.so try_first_pass\n' \
		>"$T/pam.d/$f"
done
install -m 4755 /bin/true "$T/chkpwd"
doc() { la doctor --nsswitch "$T/nsswitch.good" --pam-dir "$T/pam.d" --chkpwd "$T/chkpwd" "$@"; }

# ---- doctor ------------------------------------------------------------
t_cmd -u -o '^all is well$' -O '^(warning|error)' 0 "doctor: all is well" -- doc
for c in config dir db snapshot schema integrity freshness nsswitch pam chkpwd; do
	tap_match "$T_OUT" -E "^ok +$c " || { not_ok "doctor reports the check $c"; continue; }
	ok "doctor reports the check $c"
done
t_cmd -u -o '"ok":true' -o '"errors":0' -o '"checks":\[' -o '"check":"freshness","status":"ok"' 0 \
	"doctor --json" -- doc --json

# Stale snapshot: a change behind the library's back.
sqlite3 "$T_DB" "UPDATE users SET gecos = 'changed by hand' WHERE username = 'bea'"
t_cmd -o 'error +freshness .*stale' -o 'fix: luciaauth publish' -e 'doctor: 1 error' 5 \
	"doctor: stale snapshot, exit 5" -- doc
la publish >/dev/null
t_cmd -q 0 "doctor: fresh again after publish" -- doc

# nsswitch: missing and misordered.
printf 'passwd: luciaauth files\ngroup: files\n' >"$T/nsswitch.bad"
t_cmd -q -o 'warning +nsswitch .*passwd: line luciaauth comes before files' \
	-o 'warning +nsswitch .*group: line does not use luciaauth' \
	-o 'warning +nsswitch .*shadow: line does not use luciaauth' \
	-o "fix: put 'luciaauth' after 'files'" -O '^error' 1 "doctor: nsswitch hints, exit 1" -- \
	la doctor --nsswitch "$T/nsswitch.bad" --pam-dir "$T/pam.d" --chkpwd "$T/chkpwd"
# PAM: one stack without the module.
printf 'auth required pam_unix.so\n# pam_luciaauth.so commented out\n' >"$T/pam.d/common-auth"
t_cmd -q -o 'warning +pam +pam_luciaauth.so is not in common-auth of' \
	-o 'fix: pam-auth-update --enable luciaauth' 1 "doctor: PAM stack hint, exit 1" -- doc
cp "$T/pam.d/common-account" "$T/pam.d/common-auth"
# The helper: not setuid (hint), writable by others (error).
chmod 0755 "$T/chkpwd"
t_cmd -q -o 'warning +chkpwd .*not setuid root' 1 "doctor: helper not setuid, exit 1" -- doc
chmod 4757 "$T/chkpwd"
t_cmd -o 'error +chkpwd' -o 'fix: chown root: .* && chmod 4755' 5 "doctor: helper writable by others, exit 5" -- doc
chmod 4755 "$T/chkpwd"
t_cmd -q -o 'ok +chkpwd .*is not installed' 0 "doctor: no helper is fine" -- \
	la doctor --nsswitch "$T/nsswitch.good" --pam-dir "$T/pam.d" --chkpwd "$T/nonexistent"
# Leftovers of a killed publish.
: >"$S/.nss.snapshot.AbCdEf"
t_cmd -q -o 'warning +leftover' -o 'fix: rm -f' 1 "doctor: leftover temporary file, exit 1" -- doc
rm -f "$S/.nss.snapshot.AbCdEf"
# A newer schema.
cp "$T_DB" "$T/saved.db"
rm -f "$T_DB-wal" "$T_DB-shm"
sqlite3 "$T_DB" "INSERT INTO schema_version VALUES (99, 0)"
t_cmd -o 'error +schema .*newer' 5 "doctor: newer schema, exit 5" -- doc
t_cmd -e 'newer' 5 "user list refuses the newer schema too" -- la user list
sqlite3 "$T_DB" "DELETE FROM schema_version WHERE version = 99"
t_cmd -q 0 "doctor: fine again" -- doc
# A configuration file named with --config must exist (as for every
# command); a store that does not exist is a finding.
t_cmd -e 'cannot open .*none.conf' 5 "doctor: --config FILE must exist" -- \
	"$LUCIAAUTH" --config "$T/none.conf" doctor
t_cmd -o 'error +dir .*does not exist' -o 'fix: luciaauth --dir .* init' 5 \
	"doctor: no store at all" -- \
	"$LUCIAAUTH" --config "$CFG" --dir "$T/nostore" doctor --nsswitch "$T/nsswitch.good" \
	--pam-dir "$T/pam.d"

# The real paths, in a private mount namespace (bind mounts over the
# host's files; they vanish with the namespace).
if [ "$(id -u)" = 0 ] && unshare -m --propagation private true 2>/dev/null; then
	t_cmd -q -o 'ok +nsswitch +passwd: files luciaauth' -o 'ok +pam +pam_luciaauth.so is in' 0 \
		"doctor reads /etc/nsswitch.conf and /etc/pam.d (private namespace)" -- \
		unshare -m --propagation private sh -c 'mount --bind "$1" /etc/nsswitch.conf &&
			mount --bind "$2" /etc/pam.d && exec "$3" --config "$4" doctor --chkpwd "$5"' sh \
		"$T/nsswitch.good" "$T/pam.d" "$LUCIAAUTH" "$CFG" "$T/chkpwd"
else
	skip "needs root and unshare -m" "doctor reads the real /etc paths"
fi

# ---- backup ------------------------------------------------------------
t_cmd -u -o 'backed up' 0 "backup" -- sh -c 'umask 000 && exec "$@"' sh \
	"$LUCIAAUTH" --config "$CFG" backup "$T/b1.db"
is "$(stat -c %a "$T/b1.db")" 600 "backup: mode 0600 even under umask 000"
check "backup: one self-contained file (no -wal beside it)" test ! -e "$T/b1.db-wal"
is "$(sqlite3 "$T/b1.db" 'PRAGMA journal_mode')" delete "backup: rollback-journal mode"
is "$(sqlite3 "$T/b1.db" 'PRAGMA integrity_check')" ok "backup: integrity_check ok"
is "$(sqlite3 "$T/b1.db" 'SELECT group_concat(username) FROM (SELECT username FROM users ORDER BY 1)')" \
	"ann,bea" "backup: holds the users"
before=$(sha256sum <"$T/b1.db")
t_cmd -u -e 'exists.*--force' 4 "backup: refuses to overwrite" -- la backup "$T/b1.db"
is "$(sha256sum <"$T/b1.db")" "$before" "backup: the existing file is untouched"
t_cmd -u -q 0 "backup --force replaces it" -- la backup --force "$T/b1.db"
is "$(stat -c %a "$T/b1.db")" 600 "backup --force: mode 0600"
ln -s "$T/b1.db" "$T/link.db"
t_cmd -u -e 'exists' 4 "backup: refuses an existing symbolic link" -- la backup "$T/link.db"
t_cmd -u -e 'cannot create|No such file' 5 "backup into a missing directory: exit 5" -- \
	la backup "$T/nodir/b.db"
t_cmd -u 2 "backup without FILE: usage" -- la backup
check "backup: no temporary file left" test -z "$(find "$T" -maxdepth 1 -name '.luciaauth-backup.*')"

# Consistent while a writer runs: users are added during the copy.
(for i in $(seq 1 40); do la user add "w$i" --no-password >/dev/null 2>&1; done) &
writer=$!
ok_copies=0
for i in 1 2 3 4 5; do
	la backup --force "$T/b2.db" >/dev/null 2>&1 &&
		[ "$(sqlite3 "$T/b2.db" 'PRAGMA integrity_check')" = ok ] &&
		[ -z "$(sqlite3 "$T/b2.db" 'PRAGMA foreign_key_check')" ] &&
		ok_copies=$((ok_copies + 1))
done
wait "$writer"
is "$ok_copies" 5 "backup while a writer adds users: 5 sound copies"

# ---- restore -----------------------------------------------------------
la backup --force "$T/good.db" >/dev/null
t_cmd -u -e 'cannot read.*No such file' 3 "restore: missing file, exit 3" -- la restore "$T/missing.db"
sqlite3 "$T/foreign.db" 'CREATE TABLE t (x); INSERT INTO t VALUES (1)'
t_cmd -u -e 'not a luciaauth database' 5 "restore: a foreign SQLite file is refused" -- \
	la restore "$T/foreign.db"
cp "$T/good.db" "$T/newer.db"
sqlite3 "$T/newer.db" "INSERT INTO schema_version VALUES (99, 0)"
t_cmd -u -e 'newer than this program' 5 "restore: a newer schema is refused" -- la restore "$T/newer.db"
cp "$T/good.db" "$T/damaged.db"
size=$(stat -c %s "$T/damaged.db")
head -c 8192 /dev/urandom | dd of="$T/damaged.db" bs=4096 seek=$((size / 4096 / 2)) conv=notrunc status=none
t_cmd -u -e 'integrity|malformed|corrupt' 5 "restore: a damaged file is refused" -- la restore "$T/damaged.db"
printf 'hello' >"$T/text.db"
t_cmd -u -e 'corrupt|not a database' 5 "restore: not a database at all" -- la restore "$T/text.db"
cp "$T/good.db" "$T/dangling.db"
sqlite3 "$T/dangling.db" "PRAGMA foreign_keys=OFF; INSERT INTO auth_keys VALUES ('github:1', 'nosuchuser00000', NULL)"
t_cmd -u -e 'foreign key' 5 "restore: a dangling key is refused" -- la restore "$T/dangling.db"

# Now change the store, then restore the good copy.
la user del bea >/dev/null
la user add carl --no-password >/dev/null
want_users=$(sqlite3 "$T/good.db" 'SELECT group_concat(username) FROM (SELECT username FROM users ORDER BY 1)')
t_cmd -o 'restored .* published the NSS snapshot' 0 "restore the good copy" -- la restore "$T/good.db"
is "$(sqlite3 "$T_DB" 'SELECT group_concat(username) FROM (SELECT username FROM users ORDER BY 1)')" \
	"$want_users" "restore: the users of the backup"
is "$(sqlite3 "$T_DB" .dump | grep -v '^INSERT INTO sqlite_stat' | sha256sum)" \
	"$(sqlite3 "$T/good.db" .dump | grep -v '^INSERT INTO sqlite_stat' | sha256sum)" \
	"restore: the store equals the backup (dump)"
t_cmd -i "$(cat "$T/token")" -S -o '^valid' 0 "restore: the session of the backup validates" -- \
	la session validate
t_cmd -q -i "$pw" -S 0 "restore: the password key of the backup works" -- \
	la login --user ann --password-stdin
t_cmd -q -o 'ok +freshness' 0 "restore: snapshot current, doctor happy" -- doc
is "$(stat -c %a "$T_DB")" 600 "restore: the master keeps mode 0600"
t_cmd -q -o '"ok":true' 0 "restore --json" -- la --json restore "$T/good.db"

# Readers during restores see the old or the new store, never an error or
# a mix: restores alternate between two backups while a reader lists.
for i in $(seq 1 30); do la user add "x$i" --no-password >/dev/null; done
la backup --force "$T/big.db" >/dev/null
sum_big=$(la user list 2>&1 | md5sum)
la restore "$T/good.db" >/dev/null
sum_good=$(la user list 2>&1 | md5sum)
(for i in $(seq 1 80); do la user list 2>&1 | md5sum; done >"$T/reads") &
reader=$!
: >"$T/reads.err"
for i in 1 2 3 4 5 6; do
	la restore "$T/big.db" >/dev/null 2>>"$T/reads.err"
	la restore "$T/good.db" >/dev/null 2>>"$T/reads.err"
done
wait "$reader"
is "$(sort -u "$T/reads" | grep -vxF -e "$sum_good" -e "$sum_big" | wc -l)" 0 \
	"readers during 12 restores saw only one of the two stores ($(sort -u "$T/reads" | wc -l) distinct)"
is "$(cat "$T/reads.err")" "" "restores with a reader running all succeeded"

# Missing master: restore puts the file in place.
rm -f "$T_DB" "$T_DB-wal" "$T_DB-shm"
t_cmd -q 0 "restore onto a missing master" -- la restore "$T/good.db"
is "$(stat -c %a "$T_DB")" 600 "restore onto a missing master: mode 0600"
t_cmd -q -o 'ok +freshness' 0 "restore onto a missing master: doctor happy" -- doc
check "restore: no temporary file left" test -z "$(find "$S" -name '.luciaauth.db.*')"

done_testing
