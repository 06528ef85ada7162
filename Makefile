# SIX: one plain Makefile. `make` builds bin/; `make check` installs what is missing,
# builds, and runs every test twice: plain, then under AddressSanitizer + UBSan.

PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
BIN ?= bin
SAN ?=

PKGS := gpgme gpg-error libarchive libqrencode zlib libgcrypt libisal
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wconversion -Wno-sign-conversion \
	-Wstrict-prototypes -Wmissing-prototypes -Wvla
ifeq ($(SAN),1)
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
HARDEN := -fPIE
LDHARDEN := -pie -fsanitize=address,undefined
else
OPT := -O2 -g
HARDEN := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fstack-clash-protection -fPIE
LDHARDEN := -pie -Wl,-z,relro,-z,now,-z,noexecstack
endif
CFLAGS := -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(HARDEN) -MMD -MP \
	-Itools/lib -Iformats -Ikeyring $(PKG_CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS := $(LDHARDEN) $(EXTRA_LDFLAGS)
LDLIBS := $(PKG_LIBS) -lpthread

# The shared library, libsix.a: plumbing (tools/lib), the pure format code that
# parses and emits each wire and file format (formats/), and everything that touches
# GPGME and keys (keyring/). Each component keeps its own explicit list.
PLUMBING_SRCS := \
	tools/lib/err.c tools/lib/buf.c tools/lib/path.c tools/lib/fsutil.c \
	tools/lib/util.c tools/lib/hash.c tools/lib/spool.c tools/lib/home.c \
	tools/lib/audit.c tools/lib/progress.c tools/lib/hasher.c
KEYRING_SRCS := keyring/gpg.c keyring/registry_store.c keyring/keys.c
REGISTRY_SRCS := formats/registry.c
MANIFEST_SRCS := formats/manifest.c formats/tarscan.c
SEAL_SRCS := keyring/bundle_seal.c
OPEN_SRCS := keyring/bundle_open.c
DIODE_SRCS := formats/datagram.c tools/xferd/fec.c tools/xferd/udp_offload.c
MEDIA_SRCS := formats/media.c
QR_SRCS := tools/lib/qr.c
LIB_SRCS = $(PLUMBING_SRCS) $(KEYRING_SRCS) $(REGISTRY_SRCS) $(MANIFEST_SRCS) \
	$(SEAL_SRCS) $(OPEN_SRCS) $(DIODE_SRCS) $(MEDIA_SRCS) $(QR_SRCS)

# Each tool: its main, and what only it needs.
KEYRING_TOOL_SRCS := tools/six-keyring.c
PACK_SRCS := tools/pack/inputs.c tools/pack/seq.c tools/pack/stream.c tools/pack/output.c \
	tools/pack/pack.c
PACK_TOOL_SRCS = tools/six-pack.c $(PACK_SRCS)
UNPACK_SRCS := tools/unpack/deliver.c tools/unpack/reader.c tools/unpack/seccomp.c \
	tools/unpack/seen.c tools/unpack/spool.c tools/unpack/stage.c
UNPACK_TOOL_SRCS = tools/six-unpack.c $(UNPACK_SRCS)
XFERD_DIODE_TOOL_SRCS := tools/xferd/common.c tools/xferd/send.c tools/xferd/recv.c \
	tools/xferd/rfile.c tools/xferd/reader.c
XFERD_MEDIA_TOOL_SRCS := tools/xferd/media.c
XFERD_TOOL_SRCS = tools/six-xferd.c $(XFERD_DIODE_TOOL_SRCS) $(XFERD_MEDIA_TOOL_SRCS)

TOOLS := six-keyring six-pack six-unpack six-xferd

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))
LIB := $(BUILD)/libsix.a

all: $(addprefix $(BIN)/,$(TOOLS))

$(LIB): $(call obj,$(LIB_SRCS))
	@rm -f $@
	@echo "  AR      $@"
	@$(AR) rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(CFLAGS) -c -o $@ $<

$(BIN)/six-keyring: $(call obj,$(KEYRING_TOOL_SRCS)) $(LIB)
$(BIN)/six-pack: $(call obj,$(PACK_TOOL_SRCS)) $(LIB)
$(BIN)/six-unpack: $(call obj,$(UNPACK_TOOL_SRCS)) $(LIB)
$(BIN)/six-xferd: $(call obj,$(XFERD_TOOL_SRCS)) $(LIB)

$(BIN)/%:
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Unit tests (cmocka): every tests/unit/test_*.c is one program.
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
# Helper programs the CLI tests drive (the lossy relay, ...): tests/tools/*.c
TEST_TOOL_SRCS := $(sort $(wildcard tests/tools/*.c))
TEST_TOOL_BINS := $(patsubst tests/tools/%.c,$(BUILD)/tests/%,$(TEST_TOOL_SRCS))

$(BUILD)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(filter %.o,$^) $(LIB) $(LDLIBS) -lcmocka

# Unit tests of a tool's own code link its objects too.
$(BUILD)/tests/test_rfile: $(call obj,tools/xferd/rfile.c tools/xferd/common.c)

$(BUILD)/tests/%: tests/tools/%.c $(LIB)
	@mkdir -p $(dir $@)
	@echo "  TOOL    $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

tests: all $(UNIT_BINS) $(TEST_TOOL_BINS)

deps:
	@scripts/install-deps

check: deps
	@$(MAKE) --no-print-directory tests
	@$(MAKE) --no-print-directory SAN=1 CC=gcc BUILD=build/asan BIN=build/asan/bin tests
	@tests/run --phase plain:bin:build/tests --phase asan:build/asan/bin:build/asan/tests

demo: deps all
	@scripts/demo

bench: deps all
	@scripts/bench

# libFuzzer harnesses, one per parser: tests/fuzz/fuzz_*.c (clang only).
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRCS))
fuzz: deps
	@$(MAKE) --no-print-directory CC=clang BUILD=build/fuzzlib BIN=build/fuzzlib/bin \
		SAN=1 EXTRA_CFLAGS=-fsanitize=fuzzer-no-link build/fuzzlib/libsix.a
	@$(MAKE) --no-print-directory fuzz-bins
fuzz-bins: $(FUZZ_BINS)
build/fuzz/%: tests/fuzz/%.c build/fuzzlib/libsix.a
	@mkdir -p $(dir $@)
	clang -std=c11 -D_GNU_SOURCE -g -O1 $(WARN) -fsanitize=fuzzer,address,undefined \
		-Itools/lib -Iformats -Ikeyring $(PKG_CFLAGS) -o $@ $< build/fuzzlib/libsix.a $(LDLIBS)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(addprefix $(BIN)/,$(TOOLS)) $(DESTDIR)$(PREFIX)/bin/

clean:
	rm -rf $(BUILD) $(BIN) build

.PHONY: all tests deps check demo bench fuzz fuzz-bins install clean
.SECONDARY:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
