#!/bin/bash
#
# test_abi.sh - what the shared objects export (TAP), with nm -D:
#   pam_luciaauth.so      exactly the six pam_sm_* entry points
#   libnss_luciaauth.so.2 exactly the documented _nss_luciaauth_* functions
#   libluciaauth.so       exactly the LA_PUBLIC functions of luciaauth.h,
#                         all named la_*
# Anything else exported (a storage-library symbol, libsodium pulled in
# statically, a helper without "static") would be ABI the modules never
# meant to offer, and in a PAM/NSS module a name that can clash with the
# host program's.  The variables and the static library that the tests of
# other parts use are not the concern here.
#
# Run by "make check" with abs_top_builddir and abs_top_srcdir set.
set -u
srcdir=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
build=${abs_top_builddir:-$PWD}
# shellcheck source=tests/tap.sh
. "$srcdir/tests/tap.sh"
trap tap_cleanup EXIT

command -v nm >/dev/null || skip_all "nm (binutils) not found"

PAM_SO=$build/pam_module/.libs/pam_luciaauth.so
NSS_SO=$build/nss_module/.libs/libnss_luciaauth.so.2
LIB_SO=$build/storage/.libs/libluciaauth.so

# exports SO: the defined dynamic symbols, one a line, sorted (the version
# node of a version script, an "A" symbol, is not a function or object).
exports() {
	nm -D --defined-only "$1" | awk '$2 != "A" { print $3 }' | sed 's/@.*//' | sort -u
}

# same_set GOT WANT DESC: one test point, with the differences as diagnostics.
same_set() {
	local extra missing
	extra=$(comm -23 <(echo "$1") <(echo "$2"))
	missing=$(comm -13 <(echo "$1") <(echo "$2"))
	if [ -z "$extra" ] && [ -z "$missing" ]; then
		ok "$3"
	else
		not_ok "$3"
		[ -z "$extra" ] || diag "exported but not part of the ABI:" "$extra"
		[ -z "$missing" ] || diag "part of the ABI but not exported:" "$missing"
	fi
}

for so in "$PAM_SO" "$NSS_SO" "$LIB_SO"; do
	[ -f "$so" ] || bail_out "$so not built"
done

pam_want=$(printf '%s\n' pam_sm_acct_mgmt pam_sm_authenticate pam_sm_chauthtok \
	pam_sm_close_session pam_sm_open_session pam_sm_setcred | sort)
same_set "$(exports "$PAM_SO")" "$pam_want" "pam_luciaauth.so exports exactly the six pam_sm_*"

# The list of nss_luciaauth(8): passwd, group and shadow lookups and
# enumeration, and initgroups.
nss_want=$(for db in pw gr sp; do
	echo "_nss_luciaauth_set${db}ent"
	echo "_nss_luciaauth_end${db}ent"
	echo "_nss_luciaauth_get${db}ent_r"
done
printf '_nss_luciaauth_%s\n' getpwnam_r getpwuid_r getgrnam_r getgrgid_r getspnam_r \
	initgroups_dyn)
nss_want=$(echo "$nss_want" | sort)
same_set "$(exports "$NSS_SO")" "$nss_want" \
	"libnss_luciaauth.so.2 exports exactly the documented _nss_luciaauth_* functions"

# The functions luciaauth.h declares LA_PUBLIC (a declaration may span
# lines: the name is the first "la_...(" after LA_PUBLIC).
lib_want=$(awk '/LA_PUBLIC/ { pub = 1 }
	pub && match($0, /la_[a-z0-9_]+\(/) {
		print substr($0, RSTART, RLENGTH - 1); pub = 0 }' "$srcdir/storage/luciaauth.h" |
	sort -u)
lib_got=$(exports "$LIB_SO")
if [ "$(echo "$lib_want" | wc -l)" -ge 20 ]; then
	ok "luciaauth.h declares $(echo "$lib_want" | wc -l) public functions"
else
	not_ok "luciaauth.h declares public functions (found: $lib_want)"
fi
same_set "$lib_got" "$lib_want" "libluciaauth.so exports exactly the LA_PUBLIC functions"
if echo "$lib_got" | grep -qv '^la_'; then
	not_ok "libluciaauth.so exports only la_* names"
	diag "$(echo "$lib_got" | grep -v '^la_')"
else
	ok "libluciaauth.so exports only la_* names"
fi

# Neither module drags the storage library's names in under another
# visibility: no la_ or store_ symbol at all, not even a weak one.
for so in "$PAM_SO" "$NSS_SO"; do
	leaked=$(nm -D "$so" | awk '$3 ~ /^(la_|store_|pla_|nss_snap|nss_view|nss_local)/ { print $3 }')
	if [ -z "$leaked" ]; then
		ok "$(basename "$so") has no internal names in its dynamic symbol table"
	else
		not_ok "$(basename "$so") has no internal names in its dynamic symbol table"
		diag "$leaked"
	fi
done

done_testing
