# Cachet - plain Makefile.  `make run` and `make test` are the two commands;
# both install missing Debian packages first (see `deps`).
#
#   make            build ./cachet-server (jemalloc, -O2)
#   make run        deps + build + start on cache.conf
#   make test       deps + build + unit + integration + sanitizers + fuzz
#   make unit | integration | asan | tsan | fuzz | bench | bench-hitratio | bench-policy | clean
#   make bench-collections | bench-collections-memory | bench-snapshot | bench-evict-micro
#   MALLOC=libc     build against glibc malloc (sanitizer/valgrind builds do)

CC        ?= gcc
MALLOC    ?= jemalloc
PY        := /usr/bin/python3
FUZZ_SECS ?= 60

WARN      := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
CFLAGS_COMMON := -std=gnu11 -g -pthread -I. $(WARN) -D_GNU_SOURCE
LDLIBS_COMMON := -pthread -lxxhash -lm

SERVER_SRC := $(wildcard server/*.c server/*/*.c protocol/*.c eviction/*.c persistence/*.c)
LIB_SRC    := $(filter-out server/main.c,$(SERVER_SRC))
UNIT_SRC   := $(wildcard tests/unit/test_*.c)

DEB_PKGS := gcc make clang libclang-rt-14-dev libjemalloc-dev libxxhash-dev redis-server \
            redis-tools memcached libmemcached-tools python3-redis python3-pymemcache \
            python3-pytest procps

.PHONY: all deps run test unit integration asan tsan asan-test tsan-test fuzz fuzz-build \
        bench bench-hitratio bench-policy bench-collections bench-collections-memory bench-snapshot \
        bench-evict-micro \
        clean cppcheck

all: cachet-server

# ---- dependencies ---------------------------------------------------------
deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

# ---- builds: one object tree per variant ----------------------------------
define variant
build/$(1)/%.o: %.c
	@mkdir -p $$(dir $$@)
	@printf '  CC %-8s %s\n' $(1) $$<
	@$$(CC_$(1)) $$(CFLAGS_COMMON) $$(CFLAGS_$(1)) -MMD -MP -c $$< -o $$@
OBJ_$(1) := $$(patsubst %.c,build/$(1)/%.o,$$(SERVER_SRC))
LIBOBJ_$(1) := $$(patsubst %.c,build/$(1)/%.o,$$(LIB_SRC))
-include $$(OBJ_$(1):.o=.d)
endef

CC_release := $(CC)
CFLAGS_release := -O2
ifeq ($(MALLOC),jemalloc)
CFLAGS_release += -DUSE_JEMALLOC
LDLIBS_release := -ljemalloc
endif
CC_asan := $(CC)
CFLAGS_asan := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
CC_tsan := $(CC)
CFLAGS_tsan := -O1 -fsanitize=thread
CC_fuzz := clang
CFLAGS_fuzz := -O1 -fsanitize=fuzzer-no-link,address,undefined

$(eval $(call variant,release))
$(eval $(call variant,asan))
$(eval $(call variant,tsan))
$(eval $(call variant,fuzz))

cachet-server: $(OBJ_release)
	@echo "  LD $@"
	@$(CC) $(CFLAGS_COMMON) $(CFLAGS_release) -o $@ $^ $(LDLIBS_release) $(LDLIBS_COMMON)

build/asan/cachet-server: $(OBJ_asan)
	@echo "  LD $@"
	@$(CC) $(CFLAGS_COMMON) $(CFLAGS_asan) -o $@ $^ $(LDLIBS_COMMON)

build/tsan/cachet-server: $(OBJ_tsan)
	@echo "  LD $@"
	@$(CC) $(CFLAGS_COMMON) $(CFLAGS_tsan) -o $@ $^ $(LDLIBS_COMMON)

run: deps cachet-server
	./cachet-server cache.conf

# ---- tests ----------------------------------------------------------------
# Unit tests link the production objects (minus main) under ASan/UBSan.
build/unit/%: tests/unit/%.c $(LIBOBJ_asan) tests/unit/unit.h
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(CFLAGS_COMMON) $(CFLAGS_asan) -o $@ $< $(LIBOBJ_asan) $(LDLIBS_COMMON)

UNIT_BINS := $(patsubst tests/unit/%.c,build/unit/%,$(UNIT_SRC))

# The RDB tests share header-only helpers; build/unit/rdb_tool (the RDB test
# driver the integration test runs) is built by the same pattern rule.
RDB_TEST_HDRS := tests/unit/rdb_text.h tests/unit/rdb_blob_build.h
build/unit/test_rdb build/unit/test_rdb_codec build/unit/test_rdb_golden \
build/unit/rdb_tool: $(RDB_TEST_HDRS)

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

# CACHET_BIN=/usr/bin/redis-server make integration runs the suite against Redis.
CACHET_BIN ?= $(CURDIR)/cachet-server

integration: cachet-server
	CACHET_BIN=$(CACHET_BIN) $(PY) -m pytest -q -p no:cacheprovider tests/integration

# The threaded and protocol paths again, under sanitizers.
asan: build/asan/cachet-server
tsan: build/tsan/cachet-server

asan-test: build/asan/cachet-server
	CACHET_BIN=$(CURDIR)/build/asan/cachet-server CACHET_SANITIZER=asan \
	  $(PY) -m pytest -q -p no:cacheprovider -m "not slow" tests/integration

tsan-test: build/tsan/cachet-server
	CACHET_BIN=$(CURDIR)/build/tsan/cachet-server CACHET_SANITIZER=tsan \
	  $(PY) -m pytest -q -p no:cacheprovider -m "not slow" tests/integration

FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,build/fuzz/bin/%,$(wildcard tests/fuzz/fuzz_*.c))

# Fuzz targets link only pure code: the parsers in protocol/, the compact
# encodings in server/types/ (not the t_*.c type glue, which reads the
# server's config), the RDB format library in persistence/ (not the
# snapshot, dump and restore glue, which reach the keyspace), and the
# allocator wrappers they use.
PERSIST_GLUE := persistence/snapshot.c persistence/snapshot_pace.c persistence/rdb_dump.c \
                persistence/rdb_restore.c
FUZZ_OBJ := $(patsubst %.c,build/fuzz/%.o,$(wildcard protocol/*.c) \
              $(filter-out $(PERSIST_GLUE),$(wildcard persistence/*.c)) \
              $(filter-out server/types/t_%.c,$(wildcard server/types/*.c)) server/core/mem.c)
.SECONDARY: $(FUZZ_OBJ)

build/fuzz/bin/%: tests/fuzz/%.c $(FUZZ_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@clang $(CFLAGS_COMMON) -O1 -fsanitize=fuzzer,address,undefined -o $@ $< $(FUZZ_OBJ) $(LDLIBS_COMMON)

fuzz-build: $(FUZZ_TARGETS)

fuzz: $(FUZZ_TARGETS)
	@set -e; for f in $(FUZZ_TARGETS); do \
	  n=$$(basename $$f); mkdir -p build/fuzz/corpus/$$n; \
	  echo "== $$n for $(FUZZ_SECS)s"; \
	  $$f -max_total_time=$(FUZZ_SECS) -max_len=4096 -print_final_stats=1 \
	      build/fuzz/corpus/$$n tests/fuzz/seeds/$$n 2>&1 | tail -n 4; done

test: deps all unit integration asan-test tsan-test fuzz

cppcheck:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	  --inline-suppr -I. --suppress=missingIncludeSystem $(SERVER_SRC)

bench: deps cachet-server
	benchmarks/run_all.sh

bench-hitratio: deps cachet-server
	benchmarks/hitratio.sh

bench-policy: deps cachet-server
	benchmarks/policy_cost.sh

# In-process cost of one eviction per policy (benchmarks/evict_micro.c):
# the release objects, no network.
build/bench/evict_micro: benchmarks/evict_micro.c $(LIBOBJ_release)
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(CFLAGS_COMMON) $(CFLAGS_release) -o $@ $< $(LIBOBJ_release) $(LDLIBS_release) $(LDLIBS_COMMON)

EVICT_MICRO_POLICIES ?= noeviction allkeys-random allkeys-lru allkeys-lfu allkeys-fifo volatile-lru \
                        volatile-ttl allkeys-s3fifo allkeys-sieve
bench-evict-micro: build/bench/evict_micro
	@for p in $(EVICT_MICRO_POLICIES); do build/bench/evict_micro $$p; done

bench-collections: deps cachet-server
	benchmarks/collections_throughput.sh

bench-collections-memory: deps cachet-server
	benchmarks/collections_memory.py

bench-snapshot: deps cachet-server
	benchmarks/snapshot.py

clean:
	rm -rf build cachet-server
