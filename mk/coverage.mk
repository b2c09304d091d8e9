# Coverage (scripts/coverage): included from the Makefile.
#   make coverage   the coverage flavour (gcc --coverage) of the unit tests
#                   and the fuzz replay mains, run over the unit tests and
#                   every corpus; build/coverage/html/index.html, a per-area
#                   table and build/coverage/summary.json
.PHONY: coverage
coverage: deps
	@$(MAKE) --no-print-directory BUILD=coverage unit fuzz-replay
	@scripts/coverage build/coverage
