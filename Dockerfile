# Multi-stage build of the otelcol-payments distribution.
# Built where a Docker engine exists (CI images, release pipeline); the final
# image is distroless and runs as a non-root user.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/otelcol-payments ./cmd/otelcol-payments

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/otelcol-payments /otelcol-payments
COPY config/ /etc/otelcol-payments/
USER 65532:65532
# OTLP gRPC, OTLP HTTP, health, Prometheus exporter, own telemetry
EXPOSE 4317 4318 13133 8889 8888
ENTRYPOINT ["/otelcol-payments"]
CMD ["--config", "/etc/otelcol-payments/otelcol.yaml"]
