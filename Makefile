# creamasd: the multiprocessing and distributed layer of Creamas, in C.
#
#   make              build creamasd and creamasctl (into build/)
#   make check        build and run the tests, the suites in parallel
#   make check-slow   the long and heavy suites, and check-deb
#   make check SAN=1  the same with AddressSanitizer and UBSan (build-san/)
#   make bench        build and run the benchmarks
#   make deb          the Debian packages, in build-deb/
#   make check-deb    build them and check them in a fresh Debian root
#   make check-systemd  and boot that root with systemd, the units enabled
#   make install      install under $(DESTDIR)$(PREFIX), the configuration
#                     under $(DESTDIR)$(SYSCONFDIR)/creamasd
#   make uninstall    remove what install put there

PREFIX ?=	/usr/local
BINDIR ?=	$(PREFIX)/bin
SBINDIR ?=	$(PREFIX)/sbin
INCLUDEDIR ?=	$(PREFIX)/include
MANDIR ?=	$(PREFIX)/share/man
DOCDIR ?=	$(PREFIX)/share/doc/creamasd
PLUGINDIR ?=	$(PREFIX)/lib/creamas/plugins
PKGCONFIGDIR ?=	$(PREFIX)/share/pkgconfig
VERSION =	$(shell sed -n 's/^\#define CREAMASD_VERSION[^"]*"\(.*\)"/\1/p' \
		    daemon/creamasd.h)
UNITDIR ?=	$(PREFIX)/lib/systemd/system
SYSUSERSDIR ?=	$(PREFIX)/lib/sysusers.d
SYSCONFDIR ?=	/etc

CC ?=		cc
PKG_CONFIG ?=	pkg-config

ifeq ($(SAN),1)
BUILD ?=	build-san
SANFLAGS =	-fsanitize=address,undefined -fno-omit-frame-pointer \
		-fno-sanitize-recover=undefined
else
BUILD ?=	build
SANFLAGS =
endif

WARNINGS =	-Wall -Wextra -Werror -Wstrict-prototypes \
		-Wmissing-prototypes -Wmissing-declarations -Wshadow \
		-Wpointer-arith -Wcast-qual -Wsign-compare \
		-Wno-unused-parameter
OPTFLAGS ?=	-O2 -g
CPPFLAGS +=	-D_GNU_SOURCE -Icommon -Iinclude -Idaemon -Ictl
CFLAGS +=	-std=gnu11 $(OPTFLAGS) $(WARNINGS) $(SANFLAGS) -MMD -MP
LDFLAGS +=	$(SANFLAGS)

LIBS_EVENT =	$(shell $(PKG_CONFIG) --libs libevent json-c libcrypto \
		    2>/dev/null)
CFLAGS_EVENT =	$(shell $(PKG_CONFIG) --cflags libevent json-c libcrypto \
		    2>/dev/null)
LIBS_SSH =	$(shell $(PKG_CONFIG) --libs libssh 2>/dev/null)
LIBS_CHECK =	$(shell $(PKG_CONFIG) --libs check 2>/dev/null)
CFLAGS_CHECK =	$(shell $(PKG_CONFIG) --cflags check 2>/dev/null)
CPPFLAGS +=	$(CFLAGS_EVENT)

COMMON_SRCS =	common/addr.c common/auth.c common/client.c common/clock.c \
		common/combine.c common/config.c \
		common/fanout.c common/hostlist.c common/idmap.c common/idruns.c \
		common/jsonraw.c \
		common/jsonfast.c common/jsonrpc.c \
		common/jsonspan.c common/valueruns.c \
		common/limit.c common/linebuf.c \
		common/log.c common/path.c common/resolve.c common/server.c \
		common/socket.c common/xmalloc.c
DAEMON_SRCS =	$(wildcard daemon/*.c)
CTL_SRCS =	$(wildcard ctl/*.c)
TEST_SRCS =	$(wildcard tests/*.c)
SUITE_NAMES =	$(sort $(patsubst tests/check_%.c,%,$(filter-out tests/check_main.c,$(wildcard tests/check_*.c))))
# The long and heavy suites, run by make check-slow rather than make check.
SLOW_SUITES =	load ctl_ssh
FAST_SUITES =	$(filter-out $(SLOW_SUITES),$(SUITE_NAMES))
PLUGIN_SRCS =	$(wildcard tests/plugins/*.c)
BENCH_SRCS =	$(filter-out bench/benchlib.c,$(wildcard bench/*.c))

# creamas_python.so, the python agent type: built when Debian's
# python3-dev is there (pkg-config python3-embed). Only the plugin links
# libpython, never creamasd; its headers are -isystem, outside -Werror.
PYTHON_PC =	python3-embed
HAVE_PYTHON =	$(shell $(PKG_CONFIG) --exists $(PYTHON_PC) 2>/dev/null && \
		    echo yes)
CFLAGS_PYTHON =	$(patsubst -I%,-isystem %,$(shell $(PKG_CONFIG) --cflags \
		    $(PYTHON_PC) 2>/dev/null))
LIBS_PYTHON =	$(shell $(PKG_CONFIG) --libs $(PYTHON_PC) 2>/dev/null)
PYTHON_SRCS =	$(wildcard plugins/python/*.c)

ifeq ($(shell $(PKG_CONFIG) --exists libevent json-c libcrypto libssh check \
    2>/dev/null && echo yes),)
ifeq ($(filter deps clean,$(MAKECMDGOALS)),)
$(error libevent, json-c, libssh or check is missing: run 'make deps' \
    as root (sh tools/setup.sh))
endif
endif

COMMON_OBJS =	$(COMMON_SRCS:%.c=$(BUILD)/%.o)
DAEMON_OBJS =	$(DAEMON_SRCS:%.c=$(BUILD)/%.o)
# Everything of the daemon but main() (daemon/creamasd.c) is a library,
# which creamasd, the in-process tests and the fuzz targets link.
DAEMON_LIB_OBJS = $(filter-out $(BUILD)/daemon/creamasd.o,$(DAEMON_OBJS))
DAEMON_LIB =	$(BUILD)/libcreamasd.a
CTL_OBJS =	$(CTL_SRCS:%.c=$(BUILD)/%.o)
TEST_OBJS =	$(sort $(TEST_SRCS:%.c=$(BUILD)/%.o))
PLUGINS =	$(PLUGIN_SRCS:tests/plugins/%.c=$(BUILD)/plugins/%.so)
EXAMPLE_SRCS =	$(wildcard examples/plugins/*.c)
EXAMPLE_PLUGINS = $(EXAMPLE_SRCS:examples/plugins/%.c=$(BUILD)/plugins/%.so)
BENCHES =	$(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)
ifeq ($(HAVE_PYTHON),yes)
PYTHON_OBJS =	$(PYTHON_SRCS:%.c=$(BUILD)/%.o)
PYTHON_PLUGIN =	$(BUILD)/plugins/creamas_python.so
endif

CREAMASD =	$(BUILD)/creamasd
CREAMASCTL =	$(BUILD)/creamasctl
TESTS =		$(BUILD)/tests/run_tests

.PHONY: all check check-slow check-install check-deb check-systemd deb \
	bench demo deps \
	install uninstall clean manlint FORCE

all: $(CREAMASD) $(CREAMASCTL) $(PYTHON_PLUGIN) $(EXAMPLE_PLUGINS)

ifneq ($(V),1)
Q =		@
QUIET_CC =	@echo "  CC      $@";
QUIET_LINK =	@echo "  LINK    $@";
endif

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(QUIET_CC)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(QUIET_CC)$(CC) $(CPPFLAGS) -Itests -I$(BUILD)/tests $(CFLAGS_CHECK) $(CFLAGS) \
	    -c -o $@ $<

# The list of suites, rewritten only when it changes.
$(BUILD)/tests/suites.h: FORCE
	@mkdir -p $(dir $@)
	@printf '%s\n' $(foreach s,$(SUITE_NAMES),'SUITE($(s))') > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(BUILD)/tests/check_main.o: $(BUILD)/tests/suites.h

FORCE:

$(BUILD)/libcommon.a: $(COMMON_OBJS)
	$(Q)rm -f $@
	$(QUIET_LINK)$(AR) rcs $@ $^

$(DAEMON_LIB): $(DAEMON_LIB_OBJS)
	$(Q)rm -f $@
	$(QUIET_LINK)$(AR) rcs $@ $^

# creamasd exports its plugin API, the cr_* functions, and nothing else;
# all of the library is in, whether main() calls it or only plugins do.
$(CREAMASD): $(BUILD)/daemon/creamasd.o $(DAEMON_LIB) $(BUILD)/libcommon.a \
    daemon/exports.list
	$(QUIET_LINK)$(CC) $(LDFLAGS) -Wl,--dynamic-list=daemon/exports.list \
	    -o $@ $(BUILD)/daemon/creamasd.o -Wl,--whole-archive \
	    $(DAEMON_LIB) -Wl,--no-whole-archive $(BUILD)/libcommon.a \
	    $(LIBS_EVENT) -ldl -lm

$(CREAMASCTL): $(CTL_OBJS) $(BUILD)/libcommon.a
	$(QUIET_LINK)$(CC) $(LDFLAGS) -pthread -o $@ $^ $(LIBS_EVENT) \
	    $(LIBS_SSH) -lm

$(BUILD)/plugins/%.so: tests/plugins/%.c $(wildcard include/creamas/*.h)
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(CPPFLAGS) $(CFLAGS) -fPIC -shared -o $@ $<

# The example plugins, written against the installed headers only.
$(BUILD)/plugins/%.so: examples/plugins/%.c $(wildcard include/creamas/*.h)
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) -Iinclude $(CFLAGS_EVENT) $(CFLAGS) -fPIC -shared \
	    -o $@ $<

$(BUILD)/plugins/python/%.o: plugins/python/%.c
	@mkdir -p $(dir $@)
	$(QUIET_CC)$(CC) $(CPPFLAGS) $(CFLAGS_PYTHON) $(CFLAGS) -fPIC \
	    -c -o $@ $<

# The plugin exports its table only (plugins/python/exports.map).
$(PYTHON_PLUGIN): $(PYTHON_OBJS) plugins/python/exports.map
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(LDFLAGS) -shared \
	    -Wl,--version-script=plugins/python/exports.map -o $@ \
	    $(PYTHON_OBJS) $(LIBS_PYTHON) -pthread

$(TESTS): $(TEST_OBJS) $(BUILD)/ctl/remote.o $(DAEMON_LIB) \
    $(BUILD)/libcommon.a
	$(QUIET_LINK)$(CC) $(LDFLAGS) -pthread -o $@ $^ $(LIBS_CHECK) \
	    $(LIBS_EVENT) $(LIBS_SSH) -ldl -lm

# The helpers of bench/benchlib.c, compiled once and linked into each bench.
$(BUILD)/bench/benchlib.o: bench/benchlib.c
	@mkdir -p $(dir $@)
	$(QUIET_CC)$(CC) $(CPPFLAGS) -Itests $(CFLAGS) -c -o $@ $<

# The benchmarks start creamasd as the tests do (tests/launch.c);
# bench_ctl's OpenSSH server is the tests' (tests/sshd.c).
$(BENCHES): $(BUILD)/tests/launch.o
$(BUILD)/bench/bench_ctl: $(BUILD)/tests/sshd.o

$(BUILD)/bench/%: bench/%.c $(BUILD)/bench/benchlib.o $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(CPPFLAGS) -Itests $(CFLAGS) -o $@ \
	    $(filter %.c %.o %.a,$^) $(LIBS_EVENT) -lm

# make check runs the fast suites, make check-slow the long and heavy
# ones, each suite a process of its own, CHECK_JOBS at once (see
# tests/run_suites.sh); build/tests/NAME.log keeps each suite's output.
CHECK_JOBS ?=	8
CHECK_ENV =	CREAMASD=$(abspath $(CREAMASD)) \
		CREAMASCTL=$(abspath $(CREAMASCTL)) \
		CREAMAS_PLUGINS=$(abspath $(BUILD)/plugins) \
		CREAMAS_INSTALL="$(MAKE) -s -C $(CURDIR) SAN=$(SAN) install" \
		$(if $(PYTHON_PLUGIN),CREAMAS_PYTHON_TESTS=$(abspath \
		tests/python)) \
		$(if $(SANFLAGS),LSAN_OPTIONS=suppressions=$(abspath \
		tests/python/lsan.supp)) \
		CHECK_ALL_SUITES="$(SUITE_NAMES)"

check: all $(TESTS) $(PLUGINS) check-install
	$(Q)$(CHECK_ENV) tests/run_suites.sh $(abspath $(TESTS)) \
	    $(BUILD)/tests $(CHECK_JOBS) $(FAST_SUITES)

# check-slow checks the Debian packages too, under a real systemd
# (check-systemd), but under SAN=1, and runs creamasd under a Slurm it
# starts, with one node (tests/slurm/run.sh) and with two, each in
# namespaces of its own (tests/slurm/two-nodes.sh); as root, each says
# SKIP, and passes nothing, where it cannot run.
check-slow: all $(TESTS) $(PLUGINS) $(if $(SANFLAGS),,check-systemd)
	$(Q)$(CHECK_ENV) tests/run_suites.sh $(abspath $(TESTS)) \
	    $(BUILD)/tests $(CHECK_JOBS) $(SLOW_SUITES)
	$(Q)$(CHECK_ENV) sh tests/slurm/run.sh || [ $$? -eq 77 ]
	$(Q)$(CHECK_ENV) sh tests/slurm/two-nodes.sh || [ $$? -eq 77 ]

# make install and uninstall in a staging root; the installed creamasd
# in what can be built of the units' sandbox without systemd (as root).
check-install: all $(PLUGINS)
	MAKE="$(MAKE)" sh tests/install.sh
	MAKE="$(MAKE)" CREAMAS_PLUGINS=$(abspath $(BUILD)/plugins) \
	    sh tests/sandbox.sh

bench: all $(BENCHES) $(PLUGINS)
	@for b in $(BENCHES); do \
	    CREAMASD=$(abspath $(CREAMASD)) \
	    CREAMAS_PLUGINS=$(abspath $(BUILD)/plugins) \
	    $(if $(PYTHON_PLUGIN),CREAMAS_PYTHON_BENCH=$(abspath bench/python)) \
	    $$b || exit 1; done

# The Debian packages of tools/packages, make among them (as root).
deps:
	sh tools/setup.sh

demo: all
	CREAMASD=$(abspath $(CREAMASD)) CREAMASCTL=$(abspath $(CREAMASCTL)) \
	    examples/demo.sh

manlint:
	@for m in man/*.[0-9]; do groff -mdoc -ww -z $$m || exit 1; done

# The units name the paths of a default install; install gives them
# the paths it installs to.
UNITS =		creamasd.service creamasd@.service
UNIT_PATHS =	-e 's|/usr/local/sbin|$(SBINDIR)|g' \
		-e 's|/usr/local/lib/creamas/plugins|$(PLUGINDIR)|g' \
		-e 's|/usr/local/lib/systemd/system|$(UNITDIR)|g' \
		-e 's|/etc/creamasd|$(SYSCONFDIR)/creamasd|g'
HEADERS =	$(wildcard include/creamas/*.h)
MANPAGES =	$(wildcard man/*.[1358])
CONF =		$(DESTDIR)$(SYSCONFDIR)/creamasd/creamasd.conf

# The example configuration goes to the configuration folder only when
# there is none: an existing one is kept.
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(INCLUDEDIR)/creamas $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR) \
	    $(DESTDIR)$(PLUGINDIR) $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(SYSCONFDIR)/creamasd
	install -m 755 $(CREAMASD) $(DESTDIR)$(SBINDIR)/creamasd
	install -m 755 $(CREAMASCTL) $(DESTDIR)$(BINDIR)/creamasctl
	install -m 644 $(HEADERS) $(DESTDIR)$(INCLUDEDIR)/creamas/
	if [ -n "$(PYTHON_PLUGIN)" ]; then install -m 755 $(PYTHON_PLUGIN) \
	    $(DESTDIR)$(PLUGINDIR)/; fi
	install -d $(DESTDIR)$(PKGCONFIGDIR)
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR:$(PREFIX)%=$${prefix}%)|g' \
	    conf/creamas.pc.in \
	    > $(DESTDIR)$(PKGCONFIGDIR)/creamas.pc
	for m in $(MANPAGES); do \
	    install -m 644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/; done
	for u in $(UNITS); do sed $(UNIT_PATHS) conf/$$u \
	    > $(DESTDIR)$(UNITDIR)/$$u && \
	    chmod 644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; done
	install -m 644 conf/creamasd.sysusers \
	    $(DESTDIR)$(SYSUSERSDIR)/creamasd.conf
	install -m 644 conf/creamasd.conf conf/nodes.example $(DESTDIR)$(DOCDIR)/
	install -d $(DESTDIR)$(DOCDIR)/examples
	install -m 644 $(EXAMPLE_SRCS) $(DESTDIR)$(DOCDIR)/examples/
	@if [ -e $(CONF) ]; then echo "keeping $(CONF)"; \
	else echo "install -m 644 conf/creamasd.conf $(CONF)"; \
	    install -m 644 conf/creamasd.conf $(CONF); fi

# A configuration that differs from the example is kept, and so is the
# configuration folder while it holds anything (a key, instances).
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/creamasd $(DESTDIR)$(BINDIR)/creamasctl
	rm -f $(HEADERS:include/%=$(DESTDIR)$(INCLUDEDIR)/%)
	rm -f $(DESTDIR)$(PLUGINDIR)/creamas_python.so
	rm -f $(DESTDIR)$(PKGCONFIGDIR)/creamas.pc
	for m in $(MANPAGES); do \
	    rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/}; done
	rm -f $(UNITS:%=$(DESTDIR)$(UNITDIR)/%) \
	    $(DESTDIR)$(SYSUSERSDIR)/creamasd.conf \
	    $(DESTDIR)$(DOCDIR)/creamasd.conf $(DESTDIR)$(DOCDIR)/nodes.example \
	    $(EXAMPLE_SRCS:examples/plugins/%=$(DESTDIR)$(DOCDIR)/examples/%)
	@if cmp -s conf/creamasd.conf $(CONF); then echo "rm -f $(CONF)"; \
	    rm -f $(CONF); \
	elif [ -e $(CONF) ]; then echo "keeping $(CONF): it was changed"; fi
	-rmdir $(DESTDIR)$(INCLUDEDIR)/creamas $(DESTDIR)$(DOCDIR)/examples \
	    $(DESTDIR)$(DOCDIR) $(DESTDIR)$(PKGCONFIGDIR) \
	    $(DESTDIR)$(PLUGINDIR) $(dir $(DESTDIR)$(PLUGINDIR)) \
	    $(DESTDIR)$(SYSCONFDIR)/creamasd 2>/dev/null

# The Debian packages creamasd and creamasd-dev (debian/), built with
# debhelper from a copy of the tree into $(DEB_DIR); debian/rules takes
# what make install puts in place.
DEB_DIR =	build-deb

deb:
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_DIR)/src
	tar --exclude=./.git --exclude='./build*' -cf - . | \
	    tar -xf - -C $(DEB_DIR)/src
	cd $(DEB_DIR)/src && DEB_BUILD_OPTIONS=parallel=2 \
	    dpkg-buildpackage -us -uc -b
	@ls $(DEB_DIR)/*.deb

# The packages checked: lintian, then installed into a fresh Debian 12
# root made by debootstrap (as root; about two minutes, one the first
# time only).
check-deb:
	MAKE="$(MAKE)" sh tests/deb-check.sh

# The package check, then the package under a real systemd: a Debian 12
# root with systemd booted in a container (systemd-nspawn), the units
# enabled (tests/systemd-check.sh; as root, SKIP where it cannot run).
check-systemd: check-deb
	sh tests/systemd-check.sh || [ $$? -eq 77 ]

clean:
	rm -rf build build-san build-fuzz build-deb build-deb-base \
	    build-systemd-base

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# ---- fuzz: the libFuzzer targets of tests/fuzz/ ----
#
#   make fuzz                   build, then run each target FUZZ_SECONDS
#   make fuzz FUZZ_SECONDS=15   shorter, as CI does
#   make fuzz-build             build the targets only (build-fuzz/)
#   make fuzz-clean             remove build-fuzz/
#
# Built with clang's libFuzzer, ASan and UBSan (Debian: clang-14,
# libclang-rt-14-dev). Each target runs on a copy of its seed corpus
# tests/fuzz/corpus/NAME in build-fuzz/corpus/NAME with the flags of its
# tests/fuzz/fuzz_NAME.options; crashes are kept in build-fuzz/artifacts/.

FUZZ_CC ?=	$(firstword $(shell command -v clang-14 clang 2>/dev/null) \
		    clang)
FUZZ_BUILD =	build-fuzz
FUZZ_SECONDS ?=	60
FUZZ_TARGETS =	line dispatch config nodes addr jsonspan runs reply
FUZZ_SANFLAGS =	-fsanitize=address,undefined -fno-sanitize-recover=undefined \
		-fno-omit-frame-pointer
FUZZ_CFLAGS =	-std=gnu11 -O1 -g $(WARNINGS) $(FUZZ_SANFLAGS) \
		-fsanitize=fuzzer-no-link -MMD -MP
FUZZ_LDFLAGS =	$(FUZZ_SANFLAGS) -fsanitize=fuzzer

FUZZ_COMMON_OBJS = $(COMMON_SRCS:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_DAEMON_OBJS = $(filter-out $(FUZZ_BUILD)/daemon/creamasd.o, \
		    $(DAEMON_SRCS:%.c=$(FUZZ_BUILD)/%.o))
FUZZ_LIB =	$(FUZZ_BUILD)/libcommon.a
FUZZ_DAEMON_LIB = $(FUZZ_BUILD)/libcreamasd.a
FUZZ_HELPER =	$(FUZZ_BUILD)/tests/fuzz/fuzz.o
FUZZ_BINS =	$(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)

.PHONY: fuzz fuzz-build fuzz-clean

fuzz: fuzz-build
	$(Q)sh tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-build: $(FUZZ_BINS)

fuzz-clean:
	rm -rf $(FUZZ_BUILD)

$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(QUIET_CC)$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_LIB): $(FUZZ_COMMON_OBJS)
	$(Q)rm -f $@
	$(QUIET_LINK)$(AR) rcs $@ $^

$(FUZZ_DAEMON_LIB): $(FUZZ_DAEMON_OBJS)
	$(Q)rm -f $@
	$(QUIET_LINK)$(AR) rcs $@ $^

$(FUZZ_BUILD)/fuzz_line $(FUZZ_BUILD)/fuzz_addr $(FUZZ_BUILD)/fuzz_jsonspan \
    $(FUZZ_BUILD)/fuzz_runs $(FUZZ_BUILD)/fuzz_reply: \
    $(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/tests/fuzz/fuzz_%.o $(FUZZ_HELPER) \
    $(FUZZ_LIB)
	$(QUIET_LINK)$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(LIBS_EVENT) -lm

$(FUZZ_BUILD)/fuzz_nodes: $(FUZZ_BUILD)/tests/fuzz/fuzz_nodes.o \
    $(FUZZ_BUILD)/ctl/nodes.o $(FUZZ_HELPER) $(FUZZ_LIB)
	$(QUIET_LINK)$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(LIBS_EVENT) -lm

# fuzz_config and fuzz_dispatch link the daemon's library; fuzz_dispatch
# wraps the daemon's entry and its outgoing connections (see
# fuzz_dispatch.c).
$(FUZZ_BUILD)/fuzz_config: $(FUZZ_BUILD)/tests/fuzz/fuzz_config.o \
    $(FUZZ_HELPER) $(FUZZ_DAEMON_LIB) $(FUZZ_LIB)
	$(QUIET_LINK)$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(LIBS_EVENT) \
	    -ldl -lm

$(FUZZ_BUILD)/fuzz_dispatch: $(FUZZ_BUILD)/tests/fuzz/fuzz_dispatch.o \
    $(FUZZ_HELPER) $(FUZZ_DAEMON_LIB) $(FUZZ_LIB)
	$(QUIET_LINK)$(FUZZ_CC) $(FUZZ_LDFLAGS) \
	    -Wl,--wrap=methods_server_dispatch -Wl,--wrap=client_new \
	    -o $@ $^ $(LIBS_EVENT) -ldl -lm

-include $(shell find $(FUZZ_BUILD) -name '*.d' 2>/dev/null)
# ---- end of fuzz ----
