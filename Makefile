# The commands people type. `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test test-fast check lint format worker outbound-worker beat serve bench clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

## run: local demo on http://127.0.0.1:8000 (SQLite, tasks inline, simulated traffic);
##      another port: PORT=8001 make run
run: $(BIN)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py setup_demo --base-url http://127.0.0.1:$(PORT)
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

## test: the whole suite (SQLite unless DATABASE_URL says otherwise), spread over the cores
test: $(BIN)/.installed
	$(BIN)/pytest -n auto

## test-fast: the inner loop on SQLite, spread over the cores; leaves out the browser, fault,
##            property-based API and large-volume tests, which `make test` runs
## (the schemathesis module is not even collected: building its cases costs seconds per worker;
## bytecode is written so pytest's rewritten test modules are cached between runs; each
## Hypothesis property is tried on a few examples, see tests/helpers.py)
test-fast: $(BIN)/.installed
	env -u DATABASE_URL -u CELERY_BROKER_URL -u PYTHONDONTWRITEBYTECODE HYPOTHESIS_PROFILE=fast \
		$(BIN)/pytest -n auto \
		-m "not browser and not faults and not schemathesis and not slow" \
		--ignore=tests/api/test_schemathesis.py

## check: lint, format check, types (mypy), migrations in sync, Django's system checks
check: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py check

format: $(BIN)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## serve: production-style web server (set DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY, DEBUG=0);
##        collects static files into STATIC_ROOT first (dlrdash/serve.py)
serve: $(BIN)/.installed
	$(BIN)/python -m dlrdash.serve

## worker / outbound-worker / beat: Celery workers (reports; requests to users' destinations
## such as alert webhooks, on a queue of their own) and the scheduler (the periodic sweeps)
worker: $(BIN)/.installed
	$(BIN)/celery -A dlrdash worker --loglevel INFO --concurrency 2 --queues celery

outbound-worker: $(BIN)/.installed
	$(BIN)/celery -A dlrdash worker --loglevel INFO --concurrency 2 --queues outbound \
		--hostname outbound@%h

beat: $(BIN)/.installed
	$(BIN)/celery -A dlrdash beat --loglevel INFO

## bench: the benchmark suite on PostgreSQL + Redis on loopback (BENCH_QUICK=1: ≤ 2 min)
bench: $(BIN)/.installed
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq wrk; } \
		|| { echo "make bench needs wrk: apt-get install wrk"; exit 1; }
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache .mypy_cache
