# EP's two everyday commands: `make dev` (run everything locally) and `make test` (what CI runs).
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c

# pnpm comes from corepack, pinned (with its sha512) by package.json's packageManager. The npm
# registry mirror here serves no signatures, so corepack's signature check is off; the pinned
# hash still verifies the download.
export COREPACK_ENABLE_DOWNLOAD_PROMPT := 0
export COREPACK_INTEGRITY_KEYS := 0
USER_PATH := $(PATH)
export PATH := $(CURDIR)/.dev/bin:$(PATH)

.PHONY: test dev infra install lint typecheck unit int bench clean

## make test: infrastructure check, install from the lockfile, lint, typecheck, OpenAPI lint, unit, chart, integration, system and browser tests.
test: infra install
	pnpm lint
	pnpm typecheck
	pnpm lint:openapi
	pnpm test:unit
	pnpm test:chart
	pnpm test:int
	pnpm test:system
	pnpm test:browser

## make dev: infrastructure check, install, migrations, then every service with one prefixed log.
dev: infra install
	pnpm dev

## make infra: PostgreSQL, NATS (JetStream), RabbitMQ and Mosquitto answer, or a message says which does not.
infra:
	@tools/devstack/infra.sh

.dev/bin/pnpm:
	@command -v corepack >/dev/null || npm install -g corepack
	@mkdir -p .dev/bin && corepack enable --install-directory .dev/bin pnpm

install: .dev/bin/pnpm
	@# The README's `pnpm …` commands run in your shell, outside make: put the pinned pnpm on that
	@# PATH too (corepack's shim beside node), once pnpm is in corepack's cache.
	@pnpm --version >/dev/null
	@PATH="$(USER_PATH)" command -v pnpm >/dev/null || corepack enable pnpm 2>/dev/null || \
	  echo "note: pnpm is in $(CURDIR)/.dev/bin; add it to your PATH to run the README's pnpm commands"
	pnpm install --frozen-lockfile

lint: install
	pnpm lint

typecheck: install
	pnpm typecheck

unit: install
	pnpm test:unit

int: infra install
	pnpm test:int

## make bench SUITE=store [QUICK=1]
bench: infra install
	pnpm bench $(SUITE) $(if $(QUICK),--quick,)

clean:
	rm -rf node_modules */*/node_modules */*/dist */*/*.tsbuildinfo .dev
