# ---- chkpwd (included from Makefile.am) ----
# luciaauth-chkpwd(8): the setuid-root helper that lets an unprivileged
# caller (a screen locker) check its own password; pam_luciaauth.so runs it
# when it cannot open the master database.  Where a distribution keeps such
# helpers (Debian: unix_chkpwd in /usr/sbin, but helpers only PAM runs
# belong in libexec, outside PATH): $(libexecdir)/luciaauth.  "exec" in
# the directory variable: installed by install-exec, before its hook.
chkpwdexecdir = $(libexecdir)/luciaauth
chkpwdexec_PROGRAMS = tools/luciaauth-chkpwd
tools_luciaauth_chkpwd_SOURCES = tools/luciaauth_chkpwd.c
tools_luciaauth_chkpwd_CFLAGS = $(AM_CFLAGS) -fPIE $(SODIUM_CFLAGS)
tools_luciaauth_chkpwd_LDFLAGS = $(AM_LDFLAGS) -pie
# Linked statically against the private library: a setuid program should
# not depend on where libluciaauth.so is found at run time.
tools_luciaauth_chkpwd_LDADD = storage/libluciaauth_core.la $(SODIUM_LIBS)
storage_libluciaauth_core_la_SOURCES += storage/la_chkpwd.c

pam_module_pam_luciaauth_la_SOURCES += pam_module/pam_luciaauth_chkpwd.c
pam_module_pam_luciaauth_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DLA_CHKPWD_PATH='"$(chkpwdexecdir)/luciaauth-chkpwd"'
dist_man_MANS += man/luciaauth-chkpwd.8

# setuid root, as Linux-PAM installs unix_chkpwd.  A non-root "make install"
# (a package build into DESTDIR) cannot chown: it leaves mode 0755 and says
# so; the package's postinst or dpkg-statoverride sets 4755 root:root.
install-exec-hook: install-chkpwd-setuid
install-chkpwd-setuid:
	@f='$(DESTDIR)$(chkpwdexecdir)/luciaauth-chkpwd'; \
	if [ "`id -u`" = 0 ] && chown root:root "$$f"; then \
		echo "chmod 4755 $$f"; chmod 4755 "$$f"; \
	else \
		echo "WARNING: $$f is not setuid root (make install as root to do that)"; \
	fi

# Lockout under concurrency: 32 processes against one user; the password
# checks are counted through --wrap (the storage library is static here).
if HAVE_CHECK
check_PROGRAMS += tests/check_lockout_race
tests_check_lockout_race_SOURCES = tests/check_lockout_race.c tests/check_fixture.c \
	tests/check_la.h
tests_check_lockout_race_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SQLITE_CFLAGS)
tests_check_lockout_race_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=crypto_pwhash_str_verify
tests_check_lockout_race_LDADD = storage/libluciaauth_core.la $(CHECK_LIBS) $(SQLITE_LIBS) \
	$(SODIUM_LIBS)
TESTS += tests/check_lockout_race
endif

# The helper run setuid root as an unprivileged store user, and the PAM
# module through it (root and unshare -m, else skipped).
SHELL_TESTS += tests/test_chkpwd.sh
# Secrets never leak: CLI stderr and PAM debug syslog searched for every
# password, token and stored hash; file modes; no secret taken from argv.
SHELL_TESTS += tests/test_secrets.sh
