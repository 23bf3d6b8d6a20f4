# syntax=docker/dockerfile:1
# One image recipe for every deployable: `docker build --build-arg DIR=services/query-api -t ep/query-api .`
# (skaffold.yaml passes DIR per artifact; tools/cli is the migration Job's image). Context is the
# repository root.
FROM node:20-bookworm-slim AS base
ENV COREPACK_ENABLE_DOWNLOAD_PROMPT=0
RUN corepack enable
WORKDIR /repo

FROM base AS build
ARG DIR
# The lockfile alone decides the dependency layer: `pnpm fetch` fills the store from it, so
# source changes do not invalidate the download.
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json ./
RUN pnpm fetch
COPY . .
RUN pnpm install --offline --frozen-lockfile \
 && pnpm exec tsc -b ${DIR} \
 && pnpm --filter ./${DIR} deploy --legacy --prod /out

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /out ./
USER node
# The compiled entry point (package exports' default condition resolves workspace libs to dist/).
CMD ["node", "dist/src/main.js"]
