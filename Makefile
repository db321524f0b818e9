# The two commands of the README. Both set up first (idempotent, fast when nothing changed).
.PHONY: setup serve test test-quick lint bench

setup:
	@bash scripts/setup.sh

serve: setup
	.venv/bin/patient-assistant serve

test: setup
	.venv/bin/ruff check .
	.venv/bin/pytest -q

test-quick: setup
	.venv/bin/pytest -q -m "not slow and not browser"

bench: setup
	bash benchmarks/run_all.sh
