# The one index of the project's commands. `make up` deploys the Todo Chatbot to Minikube
# (deploy/), `make test` tests every part (tests/run/, on the infrastructure in tests/env/),
# `make bench` runs the benchmarks (bench/). See README.md.
SHELL := bash
.DEFAULT_GOAL := help
ALL_PARTS := lint infra chart backend frontend cluster images e2e
PARTS ?= $(ALL_PARTS)

.PHONY: help up preview destroy dev verify test lint bench types docs deps node-up $(addprefix test-,$(ALL_PARTS))

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

up: ## deploy to Minikube with Pulumi (dev stack; STACK=name for another)
	@deploy/pulumi.sh up

preview: ## show what `make up` would change
	@deploy/pulumi.sh preview

destroy: ## remove everything `make up` created
	@deploy/pulumi.sh destroy

dev: ## deploy, then live-update or redeploy on each saved change; LIVE_UPDATE=0 always rebuilds; Ctrl-C stops
	@deploy/pulumi.sh dev $(if $(LIVE_UPDATE),-live-update=$(LIVE_UPDATE))

verify: ## check the deployed app works: pods, helm test, todos and chat through the frontend
	@deploy/verify.sh

test: ## every test of every part, then one summary (PARTS="backend chart" for some)
	@tests/run/all.sh $(PARTS)

lint: ## gofmt, go vet, staticcheck, ruff, eslint, tsc, helm lint
	@tests/run/lint.sh

bench: ## every benchmark, each printing a table
	@set -e; for b in bench/*.sh; do echo; echo "### $$b"; $$b; done

node-up: ## start the test node (a real one-node cluster + Docker API) and keep it up until Ctrl-C
	@tests/run/node-up.sh

types: ## regenerate the frontend's API types (frontend/src/lib/api.gen.ts) from the backend's OpenAPI
	@tests/env/backend-venv.sh && tests/env/frontend-deps.sh && npm --prefix frontend run --silent types

docs: ## regenerate the settings table (README.md) and the chart's values table (its README)
	@UPDATE_DOCS=1 go test -trimpath -count=1 -run 'TestREADMESettingsTable' ./infra
	@cd tests && UPDATE_DOCS=1 go test -trimpath -count=1 -run 'TestREADMEValuesTable' ./chart

deps: ## install the system packages the tests need (as root), or list them
	@tests/env/deps.sh

# One target per part; tests/run/all.sh runs them with JUNIT_DIR set.
test-lint: lint
# A static pattern rule: make skips implicit (%) rules for .PHONY targets.
$(addprefix test-,$(filter-out lint,$(ALL_PARTS))): test-%:
	@tests/run/$*.sh
