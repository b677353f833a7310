# creamasd: the multiprocessing and distributed layer of Creamas, in C.
#
#   make              build creamasd and creamasctl (into build/)
#   make check        build and run the tests
#   make check SAN=1  the same with AddressSanitizer and UBSan (build-san/)
#   make bench        build and run the benchmarks
#   make install      install under $(DESTDIR)$(PREFIX)

PREFIX ?=	/usr/local
BINDIR ?=	$(PREFIX)/bin
SBINDIR ?=	$(PREFIX)/sbin
INCLUDEDIR ?=	$(PREFIX)/include
MANDIR ?=	$(PREFIX)/share/man
LIBEXECDIR ?=	$(PREFIX)/libexec/creamas

# Debian packages needed to build, test and run (make deps, as root).
DEBIAN_DEPS =	build-essential pkg-config libevent-dev libjson-c-dev \
		libssl-dev libssh-dev check openssh-server openssh-client groff-base \
		iproute2 procps

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
		common/config.c \
		common/fanout.c common/idmap.c common/jsonrpc.c common/limit.c \
		common/log.c common/server.c common/socket.c common/xmalloc.c
DAEMON_SRCS =	$(wildcard daemon/*.c)
CTL_SRCS =	$(wildcard ctl/*.c)
TEST_SRCS =	$(wildcard tests/*.c)
SUITE_NAMES =	$(sort $(patsubst tests/check_%.c,%,$(filter-out tests/check_main.c,$(wildcard tests/check_*.c))))
PLUGIN_SRCS =	$(wildcard tests/plugins/*.c)
BENCH_SRCS =	$(wildcard bench/*.c)

ifeq ($(shell $(PKG_CONFIG) --exists libevent json-c libcrypto libssh check \
    2>/dev/null && echo yes),)
ifeq ($(filter deps clean,$(MAKECMDGOALS)),)
$(error libevent, json-c, libssh or check is missing: run 'make deps' \
    as root (apt-get install -y $(DEBIAN_DEPS)))
endif
endif

COMMON_OBJS =	$(COMMON_SRCS:%.c=$(BUILD)/%.o)
DAEMON_OBJS =	$(DAEMON_SRCS:%.c=$(BUILD)/%.o)
CTL_OBJS =	$(CTL_SRCS:%.c=$(BUILD)/%.o)
TEST_OBJS =	$(sort $(TEST_SRCS:%.c=$(BUILD)/%.o))
PLUGINS =	$(PLUGIN_SRCS:tests/plugins/%.c=$(BUILD)/plugins/%.so)
BENCHES =	$(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)

CREAMASD =	$(BUILD)/creamasd
CREAMASCTL =	$(BUILD)/creamasctl
TESTS =		$(BUILD)/tests/run_tests

.PHONY: all check bench demo deps install uninstall clean manlint FORCE

all: $(CREAMASD) $(CREAMASCTL)

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

# creamasd exports its agent API to plugins (-rdynamic).
$(CREAMASD): $(DAEMON_OBJS) $(BUILD)/libcommon.a
	$(QUIET_LINK)$(CC) $(LDFLAGS) -rdynamic -o $@ $^ $(LIBS_EVENT) -ldl -lm

$(CREAMASCTL): $(CTL_OBJS) $(BUILD)/libcommon.a
	$(QUIET_LINK)$(CC) $(LDFLAGS) -pthread -o $@ $^ $(LIBS_EVENT) \
	    $(LIBS_SSH) -lm

$(BUILD)/plugins/%.so: tests/plugins/%.c include/creamas/agent.h
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(CPPFLAGS) $(CFLAGS) -fPIC -shared -o $@ $<

$(TESTS): $(TEST_OBJS) $(BUILD)/ctl/remote.o $(BUILD)/libcommon.a
	$(QUIET_LINK)$(CC) $(LDFLAGS) -pthread -o $@ $^ $(LIBS_CHECK) \
	    $(LIBS_EVENT) $(LIBS_SSH) -lm

$(BUILD)/bench/%: bench/%.c $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ \
	    $(filter %.c %.a,$^) $(LIBS_EVENT) -lm

check: all $(TESTS) $(PLUGINS)
	CREAMASD=$(abspath $(CREAMASD)) CREAMASCTL=$(abspath $(CREAMASCTL)) \
	    CREAMAS_PLUGINS=$(abspath $(BUILD)/plugins) \
	    $(TESTS)

bench: all $(BENCHES)
	@for b in $(BENCHES); do \
	    CREAMASD=$(abspath $(CREAMASD)) $$b || exit 1; done

deps:
	@if [ "$$(id -u)" != 0 ]; then \
	    echo "make deps installs Debian packages: run it as root" \
	        "(or: apt-get install -y $(DEBIAN_DEPS))"; exit 1; fi
	DEBIAN_FRONTEND=noninteractive apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y \
	    --no-install-recommends $(DEBIAN_DEPS)

demo: all
	CREAMASD=$(abspath $(CREAMASD)) CREAMASCTL=$(abspath $(CREAMASCTL)) \
	    examples/demo.sh

manlint:
	@for m in man/*.[0-9]; do groff -mdoc -ww -z $$m || exit 1; done

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(INCLUDEDIR)/creamas $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8
	install -m 755 $(CREAMASD) $(DESTDIR)$(SBINDIR)/creamasd
	install -m 755 $(CREAMASCTL) $(DESTDIR)$(BINDIR)/creamasctl
	install -m 644 include/creamas/agent.h $(DESTDIR)$(INCLUDEDIR)/creamas/
	for m in man/*.[1358]; do \
	    install -m 644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/; done

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/creamasd $(DESTDIR)$(BINDIR)/creamasctl
	rm -rf $(DESTDIR)$(INCLUDEDIR)/creamas

clean:
	rm -rf build build-san

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
