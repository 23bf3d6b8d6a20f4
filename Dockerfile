# syntax=docker/dockerfile:1
# One image recipe for every deployable, context = the repository root:
#   docker build --build-arg DIR=services/query-api -t ep/query-api .
# skaffold.yaml passes DIR per artifact (the six services, and tools/cli for the migration Job).
# The image holds the compiled dist/ and production dependencies only: no src/, no tests.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
ENV COREPACK_ENABLE_DOWNLOAD_PROMPT=0
RUN corepack enable
WORKDIR /repo
# The lockfile alone decides the dependency layer: `pnpm fetch` fills the store from it, so
# source changes do not invalidate the download.
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json ./
RUN pnpm fetch
COPY . .
ARG DIR
RUN test -n "${DIR}" || { echo "build with --build-arg DIR=services/<name> (or tools/cli)" >&2; exit 1; }
RUN pnpm install --offline --frozen-lockfile \
 && pnpm exec tsc -b "${DIR}" \
 && pnpm --filter "./${DIR}" --prod deploy --legacy /out \
 && if [ "${DIR}" = services/query-api ]; then \
      pnpm --filter @ep/explorer build && cp -r libs/explorer/dist/app /out/explorer; \
    fi
# Keep dist/src and package.json of the deployable and of each workspace library it depends on;
# drop sources, tests (compiled ones too) and build metadata. query-api also carries the built
# web explorer in /app/explorer, where it looks by default (EXPLORER_DIR).
RUN set -eu; \
    for pkg in /out $(find /out/node_modules -maxdepth 2 -path '*/@ep/*' -exec readlink -f {} \;); do \
      rm -rf "$pkg/src" "$pkg/test" "$pkg/dist/test" "$pkg"/tsconfig*.json "$pkg"/*.tsbuildinfo "$pkg"/dist/*.tsbuildinfo; \
      find "$pkg/dist" \( -name '*.test.*' -o -name '*.int.test.*' \) -delete; \
    done

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /out ./
# A numeric user (the node user of the base image): Kubernetes can verify runAsNonRoot only for
# a numeric USER; charts/ep sets the same runAsUser/runAsGroup (global.security).
USER 1000:1000
# The compiled entry point (package exports' default condition resolves workspace libs to dist/).
CMD ["node", "dist/src/main.js"]
