# syntax=docker/dockerfile:1
# meshql container image.
#   docker build -t ghcr.io/meshql/meshql:0.1.0 .
# The deploy/ manifests and chart run it as UID/GID 65532 with a read-only
# root filesystem and a writable emptyDir at /tmp.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json ./
# No dependency needs its install script (package.json allowScripts); esbuild
# finds its platform binary through its optional dependency.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts \
 && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
# JSON log lines even under `docker run -t`: collectors read them (--log-format pretty for people).
ENV NODE_ENV=production HOME=/tmp MESHQL_LOG_FORMAT=json
COPY --from=build --chown=0:0 /app/package.json ./package.json
COPY --from=build --chown=0:0 /app/node_modules ./node_modules
COPY --from=build --chown=0:0 /app/dist ./dist
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["serve"]
