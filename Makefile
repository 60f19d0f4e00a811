# Two commands from a fresh machine: `make run` (demo on SQLite + embedded Redis) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Languages (docs/architecture.md "Languages"): the Chinese catalogue; its .mo is compiled by make (not committed).
PYBABEL := $(PY) -m babel.messages.frontend
LOCALES_DIR := api/translations
POT := $(LOCALES_DIR)/messages.pot
PO := $(LOCALES_DIR)/zh/LC_MESSAGES/messages.po
MO := $(PO:.po=.mo)

.PHONY: run test test-fast test-scale lint fuzz services fonts i18n screenshots bench-report-upload bench-intake-pipeline bench-console bench-work-orders bench-devices-map \
	bench-billing bench-gas bench-open311 profile-creation vendor clean wrk

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade -c constraints.txt pip setuptools
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

# `make run PORT=9000 MOCK_PORT=9001 REDIS_PORT=9002`: the API, the simulator and the embedded Redis (by default each
# port follows PORT: +1, +2).
PORT ?= 8000
MOCK_PORT ?= $(shell echo $$(( $(PORT) + 1 )))
REDIS_PORT ?= $(shell echo $$(( $(PORT) + 2 )))

run: $(STAMP) fonts $(MO)
	$(PY) -m api.devserver --port $(PORT) --mock-port $(MOCK_PORT) --redis-port $(REDIS_PORT)

services:
	@scripts/ensure_services.sh

# The catalogue, compiled before run and test (cheap when up to date). After adding or changing a message:
# `make i18n` (extract with babel.cfg → update the .po), translate the new entries in the .po, `make i18n` again.
$(MO): $(PO) | $(STAMP)
	$(PYBABEL) compile -d $(LOCALES_DIR) -D messages --statistics

i18n: $(STAMP)
	$(PYBABEL) extract -F babel.cfg -k lazy_gettext -c TRANSLATORS: --add-location=file --sort-by-file --no-wrap \
	  --project=suiyun-city --version=0.1.0 --msgid-bugs-address=dev@suiyun.invalid -o $(POT) .
	$(PYBABEL) update -i $(POT) -d $(LOCALES_DIR) -D messages -l zh --no-wrap --no-fuzzy-matching
	$(PYBABEL) compile -d $(LOCALES_DIR) -D messages --statistics

# The staff console's front-end libraries (docs/console/vendor.md): `npm pack` each package pinned in
# console/static/vendor/manifest.json, check and copy its files. Verify offline: `python3 scripts/vendor.py --check`.
vendor:
	$(PYTHON) scripts/vendor.py
	$(PYTHON) scripts/vendor.py --dir miniprogram_mock/h5/vendor

# A CJK TrueType font for receipts (fonts-noto-cjk cannot be embedded by reportlab); without it they use the CID font.
fonts:
	@fc-list 2>/dev/null | grep -q wqy-zenhei || ls /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc >/dev/null 2>&1 || \
	  (command -v apt-get >/dev/null && (apt-get install -y -qq fonts-wqy-zenhei >/dev/null 2>&1 || \
	   (apt-get update -qq && apt-get install -y -qq fonts-wqy-zenhei >/dev/null 2>&1))) || \
	  echo "fonts-wqy-zenhei not installed: receipts use reportlab's CID font (not embedded)"

test: $(STAMP) services lint fonts $(MO)
	$(PY) -m pytest -q $(PYTEST_ARGS)

# The fast loop: the tests that need no PostgreSQL, Redis or simulator (marked `pure` at collection), no services
# started. `make test` runs them too.
test-fast: $(STAMP) $(MO)
	$(PY) -m pytest -q -m "pure and not scale" $(PYTEST_ARGS)

# Two of everything (docs/operations.md "Two of everything"): two APIs, two workers per queue, two clocks, one
# PostgreSQL and a redis-server of its own; a worker killed mid-job and Redis restarted. Not part of `make test`.
test-scale: $(STAMP) services fonts $(MO)
	$(PY) -m pytest -q -m scale -s tests/scale $(PYTEST_ARGS)

# Each console screen at 1440×900 into docs/console/ (the browser journey, saving what it checks); not a test.
screenshots: $(STAMP) services fonts $(MO)
	SCREENSHOTS_DIR=docs/console $(PY) -m pytest -q tests/console/test_browser.py
	SCREENSHOTS_DIR=docs/h5 $(PY) -m pytest -q tests/miniprogram_mock/test_h5_browser.py

lint: $(STAMP)
	$(VENV)/bin/ruff check api workers miniprogram_mock invoices console tests bench scripts
	$(VENV)/bin/lint-imports --no-cache
	$(PYTHON) scripts/vendor.py --check >/dev/null
	$(PYTHON) scripts/vendor.py --dir miniprogram_mock/h5/vendor --check >/dev/null

fuzz: $(STAMP) services
	$(PY) scripts/fuzz.py

# wrk, the load generator of the HTTP benchmarks, from Debian's packages when it is missing
wrk:
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)

bench-report-upload: $(STAMP) services wrk
	$(PY) bench/report_upload.py

# py-spy samples the API's workers under the creation load (not a project dependency: installed under var/py-spy).
profile-creation: $(STAMP) services wrk
	@test -x var/py-spy/bin/py-spy || $(PY) -m pip install -q --target var/py-spy py-spy==0.4.3
	$(PY) bench/profile_creation.py

bench-intake-pipeline: $(STAMP) services
	$(PY) bench/intake_pipeline.py

bench-devices-map: $(STAMP) services
	$(PY) bench/devices_map.py

bench-billing: $(STAMP) services wrk
	$(PY) bench/billing.py

bench-gas: $(STAMP) services wrk
	$(PY) bench/gas.py

bench-console: $(STAMP) services wrk
	$(PY) bench/console.py

bench-open311: $(STAMP) services wrk
	$(PY) bench/open311.py

bench-work-orders: $(STAMP) services wrk
	$(PY) bench/work_orders.py

clean:
	rm -rf $(VENV) var .pytest_cache
