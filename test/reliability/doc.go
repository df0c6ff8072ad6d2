// Package reliability holds end-to-end tests of the deployment profiles:
// bad input at the edge, backend outages, Kafka scale-out, and restarts of
// the built binary. Everything runs on loopback and is bounded in time. The
// long tests (kill -9 restart, overload) need the build tag `long`
// (`make test-long`).
package reliability
