#!/bin/sh
# fuzz/build.sh OUTDIR [TARGET...] - build the libFuzzer targets listed in
# fuzz/targets (all, or the ones named) into OUTDIR with clang,
# -fsanitize=fuzzer,address,undefined.  Independent of the autotools build:
# it compiles the library sources it needs itself, with a config.h of its
# own, and recompiles only what changed.  CC overrides the compiler.
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: fuzz/build.sh OUTDIR [TARGET...]}
shift
CC=${CC:-clang}
mkdir -p "$out/obj"
out=$(cd "$out" && pwd)

# What the sources take from configure (and mk/*.mk -D flags); nothing here
# depends on the host.
cat >"$out/config.h.new" <<'H'
#define HAVE_CRYPT_H 1
#define HAVE_EXPLICIT_BZERO 1
#define HAVE_SECURE_GETENV 1
#define HAVE_SECURITY_PAM_EXT_H 1
#define HAVE_SECURITY_PAM_MODULES_H 1
#define HAVE_UNINORM_H 1
#define LA_CHKPWD_PATH "/usr/libexec/luciaauth/luciaauth-chkpwd"
#define PACKAGE "luciaauth"
#define PACKAGE_NAME "luciaauth"
#define PACKAGE_VERSION "fuzz"
#define VERSION "fuzz"
H
if cmp -s "$out/config.h.new" "$out/config.h"; then
	rm -f "$out/config.h.new"
else
	mv "$out/config.h.new" "$out/config.h"
fi

SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
CFLAGS="-g -O1 -fno-omit-frame-pointer $SAN -D_GNU_SOURCE -I$out -I$src/storage \
-I$src/pam_module -I$src/nss_module -I$src/fuzz -Wall -Wextra -Wno-unused-parameter"

# The newest header decides whether every object is stale.
newest_h=$(ls -t "$src"/storage/*.h "$src"/pam_module/*.h "$src"/nss_module/*.h \
	"$src"/fuzz/*.h "$out/config.h" | head -1)

# compile SRC FLAGS: prints the object's path
compile() {
	obj=$out/obj/$(echo "$1" | tr / _).o
	if [ ! -f "$obj" ] || [ "$src/$1" -nt "$obj" ] || [ "$newest_h" -nt "$obj" ]; then
		# shellcheck disable=SC2086
		$CC $CFLAGS $2 -c "$src/$1" -o "$obj" >&2
	fi
	echo "$obj"
}

part_sources() {
	case $1 in
	storage) (cd "$src" && ls storage/la_*.c) ;;
	pam) echo pam_module/pam_luciaauth_util.c ;;
	nss) echo nss_module/nss_snapshot.c nss_module/nss_local.c ;;
	*) echo "fuzz/build.sh: unknown part '$1'" >&2; exit 2 ;;
	esac
}

part_libs() {
	case $1 in
	storage) echo "-lsqlite3 -lsodium -lunistring -lcrypt" ;;
	nss) echo "-lpthread" ;;
	esac
}

build_target() {
	name=$1
	shift
	objs=$(compile "fuzz/$name.c" -fsanitize=fuzzer)
	libs=
	for part in "$@"; do
		for f in $(part_sources "$part"); do
			objs="$objs $(compile "$f" -fsanitize=fuzzer-no-link)"
		done
		libs="$libs $(part_libs "$part")"
	done
	echo "  FUZZ     $name" >&2
	# shellcheck disable=SC2086
	$CC $CFLAGS -fsanitize=fuzzer $objs $libs -o "$out/$name"
}

want() {
	[ $# -eq 1 ] && return 0
	t=$1
	shift
	for w in "$@"; do
		[ "$w" = "$t" ] && return 0
	done
	return 1
}

grep -v '^#' "$src/fuzz/targets" | while read -r name parts; do
	[ -n "$name" ] || continue
	# shellcheck disable=SC2086
	want "$name" "$@" && build_target "$name" $parts
done
