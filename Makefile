# The two commands the README names are `make setup` and `make test`; the rest are conveniences.
.PHONY: setup test lint sandbox demo bench bench-sandbox pot

setup:
	@bash tools/setup.sh

test:
	@bash tools/test.sh

lint:
	@bash tools/lint.sh

# The sandbox is standard-library Python: any python3 runs it.
sandbox:
	@python3 -m xero_sandbox

# The sandbox and Odoo on 127.0.0.1, a demo database connected to the sandbox; Ctrl-C stops both.
demo:
	@bash tools/demo.sh

# Figures, not pass/fail: N bills (1000; ATTACH=0 without files) exported at Xero's limits.
bench:
	@bash tools/bench.sh

# Figures, not pass/fail: how many requests a second the sandbox answers.
bench-sandbox:
	@python3 -m xero_sandbox.bench

# The translation template, from the test database (run after make setup).
pot:
	@bash tools/pot.sh
