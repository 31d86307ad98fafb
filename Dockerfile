# syntax=docker/dockerfile:1
# ipvs-bot image: build with the native toolchain better-sqlite3 needs, run on a slim base with production
# dependencies only, as a non-root user. Build: docker build -t ipvs-bot:0.1.0 .

# ---- build: compile TypeScript and the better-sqlite3 addon ----
FROM node:20-bookworm AS build
WORKDIR /app
# python3, make and g++ ship in node:20-bookworm; they compile better-sqlite3 if no prebuilt binary matches.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: no compiler, no dev dependencies, no sources ----
FROM node:20-bookworm-slim AS runtime
# NODE_OPTIONS: a V8 old-space cap, so garbage is collected long before the container's memory limit (the value
# deploy/deployment.yaml sets for its 512Mi limit; override it with the limit, e.g. `docker run -m`).
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-old-space-size=192 \
    IPVS_BOT_DB=/data/ipvs-bot.db \
    IPVS_BOT_CONFIG=/etc/ipvs-bot/ipvs-bot.yaml \
    PORT=3000
WORKDIR /app
RUN groupadd --system --gid 10001 ipvsbot \
 && useradd --system --uid 10001 --gid 10001 --home-dir /app --shell /usr/sbin/nologin ipvsbot \
 && mkdir -p /data /etc/ipvs-bot \
 && chown 10001:10001 /data
# node_modules was pruned to production dependencies in the build stage (it holds the compiled better-sqlite3).
COPY --from=build --chown=0:0 /app/node_modules ./node_modules
COPY --from=build --chown=0:0 /app/dist ./dist
COPY --from=build --chown=0:0 /app/migrations ./migrations
COPY --from=build --chown=0:0 /app/package.json ./package.json
USER 10001:10001
VOLUME /data
EXPOSE 3000
# No curl in the slim image: Node 20's fetch does the probe.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Same as `npm start`, without npm in the signal path: SIGTERM reaches the bot directly for a graceful drain.
CMD ["node", "dist/src/main.js"]
