# Two commands: `make demo` runs the product, `make test` runs the whole suite.
VENV := .venv
PY := $(VENV)/bin/python
# Type checks of cti/, crm/ and telephony/ (pyproject.toml). The django-stubs plugin loads the
# settings, which refuse to start without secrets; these placeholders serve nothing else.
MYPY := ENV_FILE=/dev/null DEBUG=true SECRET_KEY=mypy-only TOKEN_ENCRYPTION_KEYS=mypy-only \
  $(VENV)/bin/mypy

.PHONY: demo test lint format venv venv-dev clean

venv:
	@scripts/ensure-venv.sh requirements.txt

venv-dev:
	@scripts/ensure-venv.sh requirements-dev.txt

demo: venv
	@$(PY) scripts/demo.py

test: venv-dev
	@mkdir -p var && scripts/test-services.sh > var/test-env
	@set -a && . ./var/test-env && set +a && \
	  echo "Testing against $$DATABASE_URL and $$REDIS_URL" && \
	  $(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(MYPY) && \
	  ENV_FILE=/dev/null $(PY) -m pytest $(PYTEST_ARGS)

lint: venv-dev
	@$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(MYPY)

format: venv-dev
	@$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
