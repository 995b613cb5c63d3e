# certsweep: plain, strict GNU make build.
#
#   make                      build ./certsweep
#   make SANITIZER=address    build with AddressSanitizer (also: undefined)
#   make test                 install missing packages (as root), build, run every test tier
#   make demo                 install missing packages (as root), build, sweep a local loopback farm
#   make bench                benchmark against nmap on a local farm (figures go in README.md)
#   make install PREFIX=/usr/local DESTDIR=
#
# User CFLAGS/LDFLAGS are added to ours, never replace them.

PKG_CONFIG ?= pkg-config
CC ?= cc
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/certsweep
DESTDIR ?=

PKGS := openssl libevent libevent_openssl libpcap sqlite3 libmaxminddb jansson libcurl ldns libzip inih

WARN := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wwrite-strings -Wpointer-arith -Wcast-qual -Wvla -Wundef -Wnull-dereference \
        -Wimplicit-fallthrough -Wno-unused-parameter

OPT ?= -O2 -g
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -I. \
               $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
BASE_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lm

ifeq ($(SANITIZER),address)
  SAN_FLAGS := -fsanitize=address -fno-omit-frame-pointer
else ifeq ($(SANITIZER),undefined)
  SAN_FLAGS := -fsanitize=undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
else ifneq ($(SANITIZER),)
  $(error SANITIZER must be address or undefined)
endif

# Objects of different builds never mix: each flavour has its own build folder.
BUILD := build/$(if $(SANITIZER),$(SANITIZER),default)$(if $(FUZZ),-$(FUZZ))
ALL_CFLAGS := $(BASE_CFLAGS) $(SAN_FLAGS) $(CFLAGS)
ALL_LDFLAGS := $(SAN_FLAGS) $(LDFLAGS)

LIB_SRC := $(sort $(wildcard core/*.c scanner/*.c passive/*.c enrich/*.c analyzer/*.c store/*.c report/*.c orders/*.c alerts/*.c))
CLI_SRC := $(sort $(wildcard cli/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))

LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
# The dashboard's front-end, embedded into the library as C arrays (report/assets.h).
ASSETS := report/assets/report.js report/assets/report.css
ASSET_OBJ := $(BUILD)/gen/report_assets.o
LIB_OBJ += $(ASSET_OBJ)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
LIBA := $(BUILD)/libcertsweep.a

.PHONY: all deps test unit integration fuzz-smoke demo bench install uninstall clean check-warnings

all: certsweep

# ./certsweep always points at the last flavour built.
certsweep: $(BUILD)/certsweep
	ln -sf $(BUILD)/certsweep $@

$(BUILD)/certsweep: $(CLI_OBJ) $(LIBA)
	$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJ) $(LIBA) $(BASE_LIBS)

$(LIBA): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/gen/report_assets.c: tools/embed.sh $(ASSETS)
	@mkdir -p $(dir $@)
	sh tools/embed.sh report/assets.h report_js report/assets/report.js \
	    report_css report/assets/report.css > $@.tmp
	mv $@.tmp $@

$(ASSET_OBJ): $(BUILD)/gen/report_assets.c
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(shell $(PKG_CONFIG) --cflags cmocka) -o $@ $< $(LIBA) \
	    $(ALL_LDFLAGS) $(BASE_LIBS) $(shell $(PKG_CONFIG) --libs cmocka)

# The report benchmark's inventory generator (tools/bench_report.sh); built by `make bench` only.
$(BUILD)/tools/mkinventory: tools/mkinventory.c $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBA) $(ALL_LDFLAGS) $(BASE_LIBS)

# The passive benchmark's capture generator (tools/bench_sniff.sh): libpcap only, `make bench` only.
$(BUILD)/tools/mkpcap: tools/mkpcap.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(ALL_LDFLAGS) $(shell $(PKG_CONFIG) --libs libpcap)

# Fuzz targets: built with a replay driver (tests/fuzz/driver.c) by default so they run anywhere;
# `make FUZZ=libfuzzer CC=clang fuzz` links them with libFuzzer instead.
ifeq ($(FUZZ),libfuzzer)
  FUZZ_MAIN := -fsanitize=fuzzer
else
  FUZZ_MAIN := tests/fuzz/driver.c
endif
$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(FUZZ_MAIN) $(LIBA) $(ALL_LDFLAGS) $(BASE_LIBS)

fuzz: $(FUZZ_BIN)

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)

# Installs what is missing on Debian 12 (apt-get as root); a no-op when all is there.
deps:
	@sh tools/deps.sh

unit: $(UNIT_BIN)
	@sh tests/run-unit.sh $(UNIT_BIN)

fuzz-smoke: $(FUZZ_BIN)
	@sh tests/run-fuzz-smoke.sh $(FUZZ_BIN)

integration: certsweep
	@for t in tests/integration/test_*.sh; do bash $$t $(BUILD)/certsweep || exit 1; done

test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BIN) $(FUZZ_BIN)
	@sh tests/run-all.sh $(BUILD)

demo: deps
	@$(MAKE) --no-print-directory all
	@sh tools/demo.sh $(BUILD)/certsweep

bench: deps
	@$(MAKE) --no-print-directory all $(BUILD)/tools/mkinventory $(BUILD)/tools/mkpcap
	@bash tools/bench.sh $(BUILD)/certsweep
	@bash tools/bench_analyze.sh $(BUILD)/certsweep
	@bash tools/bench_report.sh $(BUILD)/certsweep
	@bash tools/bench_sniff.sh $(BUILD)/certsweep
	@bash tools/bench_sweep.sh $(BUILD)/certsweep

install: certsweep
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(BUILD)/certsweep $(DESTDIR)$(BINDIR)/certsweep
	install -m 0644 doc/certsweep.1 $(DESTDIR)$(MANDIR)/man1/certsweep.1
	install -d $(DESTDIR)$(DOCDIR)/examples
	install -m 0644 contrib/certsweep.conf.example contrib/systemd/certsweep@.service \
	    contrib/systemd/certsweep@.timer $(DESTDIR)$(DOCDIR)/examples/
	install -m 0644 contrib/cron/certsweep $(DESTDIR)$(DOCDIR)/examples/certsweep.cron

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/certsweep $(DESTDIR)$(MANDIR)/man1/certsweep.1
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/examples/,certsweep.conf.example certsweep@.service \
	    certsweep@.timer certsweep.cron)

clean:
	rm -rf build certsweep
