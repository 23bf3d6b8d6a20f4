# syntax=docker/dockerfile:1
# One image recipe for every service: `docker build --build-arg SERVICE=query-api -t ep/query-api .`
# (skaffold.yaml passes SERVICE per artifact). Context is the repository root.
FROM node:20-bookworm-slim AS base
ENV COREPACK_ENABLE_DOWNLOAD_PROMPT=0
RUN corepack enable
WORKDIR /repo

FROM base AS build
ARG SERVICE
# The lockfile alone decides the dependency layer: `pnpm fetch` fills the store from it, so
# source changes do not invalidate the download.
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json ./
RUN pnpm fetch
COPY . .
RUN pnpm install --offline --frozen-lockfile \
 && pnpm exec tsc -b services/${SERVICE} \
 && pnpm --filter @ep/${SERVICE} deploy --legacy --prod /out

FROM node:20-bookworm-slim
ARG SERVICE
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /out ./
USER node
# The compiled entry point (package exports' default condition resolves workspace libs to dist/).
CMD ["node", "dist/src/main.js"]
