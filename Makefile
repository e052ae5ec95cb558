# The two commands the README names are `make setup` and `make test`; the rest are conveniences.
.PHONY: setup test lint sandbox bench

setup:
	@bash tools/setup.sh

test:
	@bash tools/test.sh

lint:
	@bash tools/lint.sh

# The sandbox is standard-library Python: any python3 runs it.
sandbox:
	@python3 -m xero_sandbox

# Figures, not pass/fail: how many requests a second the sandbox answers.
bench:
	@python3 -m xero_sandbox.bench
