# syntax=docker/dockerfile:1
# Ringside's image: `docker build -t ringside .` (Debian slim, the default) or
# `docker build --target static -t ringside:scratch .` (one static binary).
# Run it with deploy/seccomp/ringside.json, or io_uring is blocked and it serves
# with epoll (see README, "Deploying").

# Build stage: the official Swift 6.3 image on Debian 12, with the C libraries
# the package links (liburing for the io_uring engine, libsodium, OpenSSL 3 for TLS).
FROM swift:6.3-bookworm AS build
# Not pinned to Debian revisions (DL3008): a stable release keeps only its latest
# security revision, so a pin breaks the build at the next update; the base tag pins the release.
# hadolint ignore=DL3008
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends liburing-dev libsodium-dev libssl-dev libnghttp2-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so a source change does not fetch them again.
COPY Package.swift ./
RUN swift package resolve
COPY . .
# The Swift runtime linked in (--static-swift-stdlib): the run stage needs no
# Swift installation, only liburing, libsodium and OpenSSL from Debian.
RUN swift build -c release --static-swift-stdlib --product ringside \
    && install -D "$(swift build -c release --show-bin-path)/ringside" /out/ringside \
    && strip --strip-debug /out/ringside

# Fully static variant for the scratch image: glibc, liburing, libsodium and OpenSSL
# linked in too (-static-executable).
FROM build AS build-static
RUN swift build -c release --static-swift-stdlib -Xswiftc -static-executable --product ringside \
        --scratch-path .build-static \
    && install -D .build-static/release/ringside /out/ringside \
    && strip --strip-debug /out/ringside

# `--target static`: nothing but the binary; numeric user, as there is no /etc/passwd.
FROM scratch AS static
COPY --from=build-static /out/ringside /ringside
USER 10001:10001
EXPOSE 3000
ENTRYPOINT ["/ringside"]
CMD ["serve", "--host", "0.0.0.0", "--port", "3000"]

# Default: Debian 12 slim with the three shared libraries, a non-root user whose
# numeric id Kubernetes' runAsNonRoot can verify.
FROM debian:bookworm-slim AS runtime
# hadolint ignore=DL3008
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends liburing2 libsodium23 libssl3 libnghttp2-14 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 ringside \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin ringside
COPY --from=build /out/ringside /usr/local/bin/ringside
USER 10001:10001
EXPOSE 3000
ENTRYPOINT ["/usr/local/bin/ringside"]
CMD ["serve", "--host", "0.0.0.0", "--port", "3000"]
