# pohoda-sync: a plain Makefile.  Every folder under tools/ but lib is a
# program built into bin/ from all of its .c files and tools/lib; its
# optional build.mk names the libraries it needs:
#   PKGS_<prog>  pkg-config packages        LIBS_<prog>  other -l flags
# make DEV=1 adds strict warnings and -Werror; SAN=1 builds with ASan and
# UBSan; BUILD=DIR puts objects in DIR/obj and programs in DIR/bin.

VERSION = 0.1.0
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
SHAREDIR ?= $(PREFIX)/share/pohoda-sync
CC ?= cc
CFLAGS ?= -O2 -g
PKG_CONFIG ?= pkg-config

.DEFAULT_GOAL := all
BUILD ?= build
OBJ = $(BUILD)/obj
ifeq ($(BUILD),build)
OUT = bin
else
OUT = $(BUILD)/bin
endif

PROGS := $(filter-out lib,$(notdir $(patsubst %/,%,$(wildcard tools/*/))))
LIB_SRC := $(wildcard tools/lib/*.c)
LIB_OBJ := $(patsubst %.c,$(OBJ)/%.o,$(LIB_SRC))
PKGS_lib = libbsd jansson zlib libcrypto

-include $(wildcard tools/*/build.mk)

ALL_PKGS = $(sort $(PKGS_lib) $(foreach p,$(PROGS),$(PKGS_$(p))))
pkgflags = $(shell $(PKG_CONFIG) --$(1) $(2) 2>/dev/null)

WARN = -Wall -Wextra
ifeq ($(DEV),1)
WARN += -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wformat=2 -Wwrite-strings -Wundef \
	-Wold-style-definition -Wno-unused-parameter
endif
ifeq ($(SAN),1)
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
endif
ALL_CFLAGS = -std=c99 -D_GNU_SOURCE -DVERSION='"$(VERSION)"' -Itools/lib \
	$(WARN) $(SANFLAGS) $(call pkgflags,cflags,$(ALL_PKGS)) $(CFLAGS)
ALL_LDFLAGS = $(SANFLAGS) $(LDFLAGS)

UNITS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/lib-*.c))
UNIT_OUT = $(BUILD)/unit

all: $(addprefix $(OUT)/,$(PROGS)) $(addprefix $(UNIT_OUT)/,$(UNITS))

$(OBJ)/.libs-ok:
	@scripts/check-libs $(ALL_PKGS)
	@mkdir -p $(@D) && touch $@

# -MMD: every object also depends on the headers it includes
$(OBJ)/%.o: %.c | $(OBJ)/.libs-ok
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(CPPFLAGS) -MMD -MP -c -o $@ $<

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)

$(OBJ)/libpohoda.a: $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

define prog_rule
$(OUT)/$(1): $(patsubst %.c,$(OBJ)/%.o,$(wildcard tools/$(1)/*.c)) \
    $(OBJ)/libpohoda.a
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ \
	    $$(call pkgflags,libs,$$(PKGS_$(1)) $$(PKGS_lib)) $$(LIBS_$(1))
endef
$(foreach p,$(PROGS),$(eval $(call prog_rule,$(p))))

$(UNIT_OUT)/%: $(OBJ)/tests/unit/%.o $(OBJ)/libpohoda.a
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(call pkgflags,libs,$(PKGS_lib))

check:
	scripts/install-deps
	$(MAKE) DEV=1 all
	$(MAKE) DEV=1 SAN=1 BUILD=build/asan all
	BIN=$(CURDIR)/build/asan/bin PLAIN_BIN=$(CURDIR)/bin \
	    UNIT=$(CURDIR)/build/asan/unit tests/run

demo:
	scripts/install-deps
	$(MAKE) all
	scripts/demo

bench:
	scripts/install-deps --bench
	$(MAKE) all
	scripts/bench

fuzz:
	scripts/install-deps
	scripts/fuzz $(FUZZ_SECONDS)

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	for p in $(PROGS); do \
	    cp -f bin/$$p $(DESTDIR)$(BINDIR)/ && \
	    chmod 755 $(DESTDIR)$(BINDIR)/$$p || exit 1; done
	cp -f bin/run-sync.sh $(DESTDIR)$(BINDIR)/
	chmod 755 $(DESTDIR)$(BINDIR)/run-sync.sh
	for m in man/*.[158]; do \
	    s=$${m##*.}; cp -f $$m $(DESTDIR)$(MANDIR)/man$$s/ || exit 1; done
	mkdir -p $(DESTDIR)$(SHAREDIR)/sql $(DESTDIR)$(SHAREDIR)/systemd
	cp -f config.example.json scripts/cron.example $(DESTDIR)$(SHAREDIR)/
	cp -f sql/*.sql $(DESTDIR)$(SHAREDIR)/sql/
	cp -f scripts/systemd/* $(DESTDIR)$(SHAREDIR)/systemd/

uninstall:
	for p in $(PROGS) run-sync.sh; do rm -f $(DESTDIR)$(BINDIR)/$$p; done
	for m in man/*.[158]; do \
	    rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/}; done
	rm -rf $(DESTDIR)$(SHAREDIR)

clean:
	rm -rf build $(addprefix bin/,$(PROGS))

.PHONY: all check demo bench fuzz install uninstall clean
