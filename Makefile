# Two commands do everything on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ACCOUNTS ?= 1000
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export GX_ANALYTICS_ENABLED := false

.PHONY: run test venv generate lint clean dbt-manifest browser terminal bench java spark-deps portability

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $(STAMP)

venv: $(STAMP)

# dagster-dbt loads the dbt manifest at import time: build it once per checkout.
dbt-manifest: $(STAMP)
	$(BIN)/cswh prepare

generate: $(STAMP)
	@if [ -d data/raw ] && [ -n "$$(ls -A data/raw 2>/dev/null)" ]; then \
		echo "landing zone data/raw exists; keeping it (make clean to regenerate)"; \
	else $(BIN)/cswh generate --out data/raw --accounts $(ACCOUNTS); fi

# A new demo (no landing zone yet) is built in two phases, with the history of what CSMs
# did with the CTAs of the first run (dagster_project/synthetic/demo.py); an existing
# landing zone is kept and run once.
run: dbt-manifest
	@if [ -d data/raw ] && [ -n "$$(ls -A data/raw 2>/dev/null)" ]; then \
		echo "landing zone data/raw exists; keeping it (make clean to regenerate)"; \
		$(BIN)/cswh run; \
	else $(BIN)/python -m dagster_project.synthetic.demo --out data/raw --accounts $(ACCOUNTS); fi
	@echo
	@echo "next:  $(BIN)/cswh users add YOUR_NAME --role cs_ops   # a dashboard sign-in (asks a password)"
	@echo "       $(BIN)/cswh dashboard   # KPI pages on http://localhost:8501"
	@echo "       $(BIN)/cswh ui          # Dagster: runs, logs, checks, schedule"
	@echo "       $(BIN)/cswh docs        # Data Docs and dbt docs under data/docs/"

# Browser tests drive Debian's Chromium through Playwright (Playwright cannot download
# its own browser here). Installed once, by the project, never by hand.
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -d /usr/share/fonts/opentype/noto ]; then \
		echo "installing Debian's chromium and a Japanese font for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

# The progress-view test runs `cswh run` in a real terminal: Debian's tmux, installed once.
terminal:
	@if ! command -v tmux >/dev/null; then \
		echo "installing Debian's tmux for the terminal test"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq tmux >/dev/null; \
	fi

# Spark (issue 18) runs in the JVM: Debian's JDK 17 where the machine has no java.
java:
	@if ! command -v java >/dev/null; then \
		echo "installing Debian's openjdk-17-jre-headless for Spark"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	fi

# dbt-spark and PySpark (extra `spark`, ~490 MB): the two-engine tests need them.
SPARK_STAMP := $(VENV)/.spark-installed
$(SPARK_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,spark]'
	@touch $(SPARK_STAMP)

spark-deps: java $(SPARK_STAMP)

# Test files run in parallel, one file per worker at a time (module fixtures are built once);
# most of a test's time is dbt, Dagster and Chromium processes, so two workers keep both cores
# busy. TEST_WORKERS=0 runs them one after another.
TEST_WORKERS ?= 2
test: dbt-manifest browser terminal spark-deps
	$(BIN)/pytest $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)

# Benchmarks print figures; not part of `make test`. SCALE = accounts; HISTORY_YEARS = the
# longer history the daily run is also measured on (0: skip). ENGINE=spark: a full run on
# Spark local beside the same run on DuckDB, phase by phase.
SCALE ?= 1000
HISTORY_YEARS ?= 5
ENGINE ?= duckdb
bench: dbt-manifest $(if $(filter spark,$(ENGINE)),spark-deps)
	$(BIN)/python bench/bench.py --accounts $(SCALE) --long-history-years $(HISTORY_YEARS) \
		--engine $(ENGINE) --markdown bench/RESULTS.md

# Which DuckDB-only SQL constructs the compiled models use, and what Spark does with each.
portability: $(STAMP)
	$(BIN)/python bench/portability.py

# sqlfluff compiles the models with dbt, against a scratch warehouse of its own.
lint: $(STAMP)
	$(BIN)/ruff check dagster_project tests bench dashboards
	$(BIN)/ruff format --check dagster_project tests bench dashboards
	rm -rf data/lint && mkdir -p data/lint
	CSWH_WAREHOUSE=$(CURDIR)/data/lint/warehouse.duckdb $(BIN)/sqlfluff lint dbt/models dbt/tests
	$(BIN)/cswh dbt-sources --check
	$(BIN)/python bench/portability.py --check

clean:
	rm -rf data/raw data/warehouse data/dagster_home data/docs dbt/target
