# Coverage (scripts/coverage): included from the Makefile.
#   make coverage   the coverage flavour (gcc --coverage) of the unit tests,
#                   the tools and the fuzz replay mains, run over the unit
#                   tests, the tool suites, the iotests and every corpus; build/coverage/html/index.html, a per-area
#                   table and build/coverage/summary.json
#   make coverage-diff BASE=REV
#                   make coverage, then the coverage of the lines changed
#                   since REV (diff-cover over build/coverage/coverage.info;
#                   COVERAGE_REUSE=1 skips the coverage run)
.PHONY: coverage coverage-diff
coverage: deps
	@$(MAKE) --no-print-directory BUILD=coverage unit tools fuzz-replay
	@scripts/coverage build/coverage

coverage-diff: deps
	@test -n "$(BASE)" || { echo "usage: make coverage-diff BASE=REV"; exit 2; }
	@$(if $(COVERAGE_REUSE),true,$(MAKE) --no-print-directory coverage)
	@scripts/coverage-diff $(BASE) build/coverage
