# syntax=docker/dockerfile:1
# Wharf: multi-stage build; the runtime image holds production dependencies and the
# bundled server only, and runs as an unprivileged user.

FROM node:20-bookworm-slim AS build
WORKDIR /src
# python3/make/g++ build better-sqlite3 when no prebuilt binary matches
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY apps apps
COPY libs libs
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
# A 2 MiB semi-space scavenges request Buffers every few MiB (main.js sets how far the
# old generation grows), and glibc hands allocations of 4 MiB and more (an scrypt run
# takes 16 MiB) back to the system when freed instead of keeping them in its arenas:
# peak RSS stays under 200 MiB under the bench's loads (README, Performance).
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-semi-space-size=2 \
    MALLOC_MMAP_THRESHOLD_=4194304 \
    PORT=3000 \
    REGISTRY_DATA_DIR=/data
WORKDIR /app
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/dist dist
COPY package.json ./
RUN groupadd --system --gid 10001 wharf && useradd --system --uid 10001 --gid wharf --home /app wharf \
    && mkdir -p /data && chown wharf:wharf /data
USER 10001:10001
VOLUME ["/data"]
# 3000: the registry; 9090: /metrics and /readyz when REGISTRY_METRICS_PORT=9090 (as the Helm chart sets it)
EXPOSE 3000 9090
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# `node dist/apps/registry/main.js migrate` runs the migrations as a one-off job
ENTRYPOINT ["node", "dist/apps/registry/main.js"]
