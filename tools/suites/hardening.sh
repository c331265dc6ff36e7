# Sourced by tools/test.sh: the C core under sanitizers, valgrind, threads and fuzzing
# (issue #6; the targets and what they check are in mk/hardening.mk).
#
# Lean versions, so the test command stays within a few minutes on 2 cores:
#   sanitize  the whole spec suite, as `make check-sanitize`                  (~15 s)
#   valgrind  every spec but the slowest, hostile_spec.lua (about a minute of memcheck
#             on its own; it runs under ASan in "sanitize", and in full
#             `make check-valgrind`), two jobs at once                        (~30 s)
#   threads   8 threads x 1,000,000 iterations, as `make check-threads`       (~20 s)
#   fuzz      each harness 30 s, two at a time                                (~65 s)
# `make hardening` runs the full versions (fuzzing 60 s a harness).
suite "sanitize" $MAKE --no-print-directory check-sanitize
suite "valgrind" $MAKE --no-print-directory -j2 check-valgrind VALGRIND_OWN=catalog_spec \
  VALGRIND_SKIP="^cli_ generator_spec docs_spec readme_spec hostile_spec"
suite "threads" $MAKE --no-print-directory check-threads
suite "fuzz" $MAKE --no-print-directory -j2 fuzz FUZZ_SECONDS=30
