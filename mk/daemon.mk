# ---- daemon (included from Makefile.am) ----
# luciaauthd: the web service (sign-in page, JSON API, nginx auth_request).
# Built only when configure found libmicrohttpd; its tests skip otherwise.
# The daemon's configuration keys (http_*) are parsed by the library.
storage_libluciaauth_core_la_SOURCES += storage/la_config_http.c
LD_PAGE_FILES = daemon/page.html daemon/page.css daemon/page.js
EXTRA_DIST += $(LD_PAGE_FILES) daemon/embed.sh daemon/luciaauthd.service.in \
	bench/run-daemon.sh bench/lucia/auth-server.mjs \
	tests/browser/package.json tests/browser/browser.mjs tests/daemon_lib.sh
dist_man_MANS += man/luciaauthd.8
SHELL_TESTS += tests/test_daemon_api.sh tests/test_daemon_nginx.sh tests/test_daemon_browser.sh
if HAVE_MHD
sbin_PROGRAMS += daemon/luciaauthd
daemon_luciaauthd_SOURCES = daemon/luciaauthd.c daemon/luciaauthd.h daemon/ld_http.c \
	daemon/ld_api.c daemon/ld_throttle.c
nodist_daemon_luciaauthd_SOURCES = daemon/ld_page.c
daemon_luciaauthd_CFLAGS = $(AM_CFLAGS) -fPIE -pthread $(MHD_CFLAGS) $(JSONC_CFLAGS) \
	$(SODIUM_CFLAGS) -I$(top_srcdir)/daemon
daemon_luciaauthd_LDFLAGS = $(AM_LDFLAGS) -pie
daemon_luciaauthd_LDADD = storage/libluciaauth.la $(MHD_LIBS) $(JSONC_LIBS) $(SODIUM_LIBS) -lpthread
CLEANFILES += daemon/ld_page.c
# systemd unit, installed to $(prefix)/lib/systemd/system (Debian: --prefix=/usr)
systemdsystemunitdir = $(prefix)/lib/systemd/system
systemdsystemunit_DATA = daemon/luciaauthd.service
CLEANFILES += daemon/luciaauthd.service
daemon/luciaauthd.service: daemon/luciaauthd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) daemon && \
		sed -e 's|@sbindir[@]|$(sbindir)|g' $(top_srcdir)/daemon/luciaauthd.service.in >$@.tmp && \
		mv $@.tmp $@
daemon/ld_page.c: $(LD_PAGE_FILES) daemon/embed.sh
	$(AM_V_GEN)$(MKDIR_P) daemon && $(SHELL) $(top_srcdir)/daemon/embed.sh $@ \
		ld_page_html=$(top_srcdir)/daemon/page.html \
		ld_page_css=$(top_srcdir)/daemon/page.css \
		ld_page_js=$(top_srcdir)/daemon/page.js
endif
# playwright-core (installed by tests/test_daemon_browser.sh) and screenshots
clean-local: daemon-clean-local
daemon-clean-local:
	-rm -rf tests/browser-node tests/test_daemon_browser.out
