# benchhub: the four services, the web console and benchctl in one image; docker-compose.yml picks the binary
# with `command:`. Build: docker build -t benchhub:local .

# --- build --------------------------------------------------------------------------------
FROM rust:1-bookworm AS builder
WORKDIR /src
# protoc is vendored (protoc-bin-vendored), so no system protoc is needed.
COPY . .
RUN cargo build --release --locked --workspace --bins \
    && mkdir -p /out \
    && cp target/release/ingest target/release/rankings target/release/runner \
          target/release/judge target/release/console target/release/benchctl /out/

# --- runtime ------------------------------------------------------------------------------
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 benchhub \
    && useradd --system --uid 10001 --gid benchhub --home-dir /var/lib/benchhub --create-home \
          --shell /usr/sbin/nologin benchhub
COPY --from=builder /out/ /usr/local/bin/
USER benchhub:benchhub
WORKDIR /var/lib/benchhub
ENV BENCHHUB_LOG_FORMAT=json
EXPOSE 50051 50052 50053 50054 8080
