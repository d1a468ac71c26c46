# syntax=docker/dockerfile:1
#
# acuerdo as one static binary in an otherwise empty image.
#
#   docker build -t acuerdo .
#   docker run -p 8080:8080 -v acuerdo-data:/data acuerdo serve --demo
#
# The binary is pure Go (SQLite through modernc.org/sqlite, PostgreSQL through
# pgx), so CGO_ENABLED=0 links it statically and FROM scratch is enough. It
# embeds the time-zone database (cmd/acuerdo/tzdata.go); the image adds the CA
# bundle for the HTTPS calls to Twilio, the model and payment providers, a /tmp
# for SQLite's temporary files and a /data volume owned by the unprivileged
# user the process runs as.

ARG GO_VERSION=1.26
FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /out/acuerdo ./cmd/acuerdo
# Directories scratch lacks, created here with the owner and mode they need.
RUN mkdir -p /out/data /out/tmp && chown 65532:65532 /out/data && chmod 1777 /out/tmp

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/tmp /tmp
COPY --from=build /out/data /data
COPY --from=build /out/acuerdo /acuerdo
USER 65532:65532
WORKDIR /data
ENV ACUERDO_DB=/data/acuerdo.db
VOLUME /data
EXPOSE 8080
# scratch has no curl: the binary asks its own /healthz.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["/acuerdo", "healthcheck"]
# serve drains on SIGTERM: HTTP requests (up to 15 s), turns in flight, then the
# outbox (up to 5 s). Give it time: docker stop -t 60, stop_grace_period in compose.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/acuerdo"]
CMD ["serve", "--addr", ":8080"]
