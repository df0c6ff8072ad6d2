package sim

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// sessionLookback places a session's simulated timeline in the recent past:
// a session starts this long before it is emitted, so its think times and
// latencies end around "now" instead of in the future.
const sessionLookback = 30 * time.Second

var userAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
	"ShopApp/5.2.1 (Android 15; Pixel 8)",
}

// sess is one visitor's activity: a simulated clock and the identity that
// every span and event of the session carries.
type sess struct {
	e          *emitter
	t          time.Time
	cust       *customer
	ip         string
	userAgent  string
	currency   string
	spanEvents bool
	checkoutID string
	gaSession  int64
	outage     bool
	variant    string // of cfg.Experiment, "" without
	channel    string // utm.source, "" when direct
	country    string // geo.country.iso_code, "" without Config.Countries
}

func (e *emitter) newSession(cust *customer, currency string) *sess {
	return &sess{
		e:          e,
		t:          e.now().Add(-sessionLookback),
		cust:       cust,
		ip:         cust.ip,
		userAgent:  pickOne(e.rng, userAgents),
		currency:   currency,
		spanEvents: e.rng.Float64() < e.cfg.SpanEventShare,
		gaSession:  1700000000 + e.rng.Int64N(90000000),
	}
}

func (s *sess) advance(minMs, maxMs int) time.Duration {
	d := time.Duration(minMs)*time.Millisecond + time.Duration(s.e.rng.Int64N(int64(maxMs-minMs+1)))*time.Millisecond
	s.t = s.t.Add(d)
	return d
}

// think is the user's pause between two pages.
func (s *sess) think() time.Duration { return s.advance(300, 2500) }

func (s *sess) drops(p float64) bool { return s.e.rng.Float64() < p }

// startSpan starts a span at the session clock.
func (s *sess) startSpan(ctx context.Context, name string, kind trace.SpanKind, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	ctx, sp := s.e.tracer.Start(ctx, name, trace.WithSpanKind(kind), trace.WithTimestamp(s.t), trace.WithAttributes(attrs...))
	s.advance(0, 2)
	return ctx, sp
}

func (s *sess) endSpan(sp trace.Span) {
	s.advance(0, 2)
	sp.End(trace.WithTimestamp(s.t))
	s.e.ledger.Spans++
}

// http wraps handler in an HTTP server span (the root of a new trace) named
// per semantic conventions, and records http.server.request.duration.
// handler returns the response status code.
func (s *sess) http(ctx context.Context, method, route, path string, handler func(ctx context.Context, sp trace.Span) int) {
	if s.e.err != nil {
		return
	}
	start := s.t
	ctx, sp := s.e.tracer.Start(ctx, method+" "+route, trace.WithNewRoot(), trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(s.t),
		trace.WithAttributes(
			attribute.String(contract.HTTPRequestMethod, method),
			attribute.String(contract.HTTPRoute, route),
			semconv.URLPath(path),
			semconv.URLScheme("https"),
			semconv.ServerAddress("shop.example.com"),
			attribute.String(contract.ClientAddress, s.ip),
			semconv.UserAgentOriginal(s.userAgent),
		))
	s.advance(1, 4)
	status := handler(ctx, sp)
	s.advance(1, 5)
	sp.SetAttributes(attribute.Int(contract.HTTPResponseStatus, status))
	metricAttrs := []attribute.KeyValue{
		attribute.String(contract.HTTPRequestMethod, method),
		attribute.String(contract.HTTPRoute, route),
		attribute.Int(contract.HTTPResponseStatus, status),
	}
	// Semantic conventions: only 5xx makes a server span an error.
	if status >= 500 {
		sp.SetStatus(codes.Error, "")
		sp.SetAttributes(attribute.String(contract.ErrorType, strconv.Itoa(status)))
		metricAttrs = append(metricAttrs, attribute.String(contract.ErrorType, strconv.Itoa(status)))
	}
	sp.End(trace.WithTimestamp(s.t))
	s.e.ledger.Spans++
	s.e.httpDur.Record(ctx, s.t.Sub(start).Seconds(), metric.WithAttributes(metricAttrs...))
}

var dbQueries = map[string]string{
	"SELECT products":          "SELECT id, name, price, stock FROM products WHERE id = $1",
	"INSERT cart_items":        "INSERT INTO cart_items (cart_id, product_id, quantity) VALUES ($1, $2, $3)",
	"INSERT checkout_sessions": "INSERT INTO checkout_sessions (id, customer_id, currency, amount_minor) VALUES ($1, $2, $3, $4)",
	"INSERT orders":            "INSERT INTO orders (id, checkout_session_id, customer_id, amount_minor, currency) VALUES ($1, $2, $3, $4, $5)",
	"UPDATE products":          "UPDATE products SET stock = stock - $1 WHERE id = $2 AND stock >= $1",
	"UPDATE orders":            "UPDATE orders SET refunded_minor = refunded_minor + $1 WHERE id = $2",
}

// db emits a PostgreSQL client span; about 1.5% of queries are slow.
func (s *sess) db(ctx context.Context, op, table string) {
	name := op + " " + table
	start := s.t
	_, sp := s.e.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(s.t),
		trace.WithAttributes(
			semconv.DBSystemNamePostgreSQL,
			attribute.String(contract.DBOperationName, op),
			attribute.String(contract.DBCollectionName, table),
			semconv.DBQueryText(dbQueries[name]),
			semconv.ServerAddress("orders-db.internal"),
			semconv.ServerPort(5432),
		))
	if s.e.rng.Float64() < 0.015 {
		s.advance(800, 4000)
		s.e.ledger.SlowQueries++
	} else {
		s.advance(1, 12)
	}
	sp.End(trace.WithTimestamp(s.t))
	s.e.ledger.Spans++
	s.e.dbDur.Record(ctx, s.t.Sub(start).Seconds(), metric.WithAttributes(
		attribute.String(contract.DBSystemName, "postgresql"),
		attribute.String(contract.DBOperationName, op),
		attribute.String(contract.DBCollectionName, table),
	))
}

// identity is the customer context every business event of the session
// carries: raw PII that piisanitizer pseudonymizes.
func (s *sess) identity() []attribute.KeyValue {
	attrs := []attribute.KeyValue{
		attribute.String(contract.CustomerID, s.cust.id),
		attribute.String(contract.CustomerEmail, s.cust.email),
		attribute.String(contract.ClientAddress, s.ip),
	}
	if s.cust.gaClientID != "" {
		attrs = append(attrs,
			attribute.String(contract.GAClientID, s.cust.gaClientID),
			attribute.Int64(contract.GASessionID, s.gaSession),
		)
	}
	if s.checkoutID != "" {
		attrs = append(attrs, attribute.String(contract.CheckoutSessionID, s.checkoutID))
	}
	if s.channel != "" {
		attrs = append(attrs, attribute.String(contract.UTMSource, s.channel))
	}
	if s.country != "" {
		attrs = append(attrs, attribute.String(contract.GeoCountry, s.country))
	}
	if s.variant != "" {
		attrs = append(attrs, attribute.String(contract.ExperimentID, s.e.cfg.Experiment.ID),
			attribute.String(contract.ExperimentVariant, s.variant))
	}
	return attrs
}

// businessEvent is one event ready to send; it can be sent twice unchanged
// to simulate duplicate delivery.
type businessEvent struct {
	name  string
	sev   log.Severity
	body  string
	attrs []attribute.KeyValue
}

// newEvent assembles an event with the session identity and, when items is
// not nil, order.items in the shape the transport allows.
func (s *sess) newEvent(name string, sev log.Severity, body string, items []lineItem, attrs ...attribute.KeyValue) businessEvent {
	all := append(s.identity(), attrs...)
	if items != nil {
		minorPrices := s.e.rng.IntN(2) == 0
		if s.spanEvents {
			all = append(all, itemsForSpanEvents(items, s.currency, minorPrices))
		} else {
			all = append(all, itemsForLogs(items, s.currency, minorPrices))
		}
	}
	return businessEvent{name: name, sev: sev, body: body, attrs: all}
}

// send delivers ev as a span event on sp or as a log record in ctx, and
// counts it; a duplicate delivery is not counted in the funnel.
func (s *sess) send(ctx context.Context, sp trace.Span, ev businessEvent, duplicate bool) {
	if s.e.err != nil {
		return
	}
	if s.spanEvents {
		sp.AddEvent(ev.name, trace.WithTimestamp(s.t), trace.WithAttributes(ev.attrs...))
		s.e.ledger.EventsAsSpanEvents++
	} else {
		s.e.emitLog(ctx, ev.name, ev.sev, ev.body, s.t, ev.attrs)
	}
	s.e.ledger.Events++
	if duplicate {
		s.e.ledger.DuplicatesSent++
	} else {
		s.e.ledger.Funnel[ev.name]++
	}
}

// exception records err on sp both ways the contract accepts: an
// "exception" span event and an ERROR log record with exception.*.
func (s *sess) exception(ctx context.Context, sp trace.Span, excType, message string, extra ...attribute.KeyValue) {
	ex := []attribute.KeyValue{
		attribute.String(contract.ExceptionType, excType),
		attribute.String(contract.ExceptionMessage, message),
		attribute.String(contract.ExceptionStacktrace, goStack(s, excType)),
	}
	sp.AddEvent(contract.ExceptionEventName, trace.WithTimestamp(s.t), trace.WithAttributes(ex...))
	sp.SetStatus(codes.Error, message)
	attrs := append(append(ex, s.identity()...), extra...)
	s.e.emitLog(ctx, "", log.SeverityError, message, s.t, attrs)
	s.e.ledger.Exceptions++
}

// goStack renders a plausible Go stack trace for the payment service.
func goStack(s *sess, excType string) string {
	frames := []string{
		"github.com/acme-shop/payment-service/internal/provider.(*Client).post",
		"github.com/acme-shop/payment-service/internal/provider.(*Client).ConfirmIntent",
		"github.com/acme-shop/payment-service/internal/checkout.(*Service).Confirm",
		"github.com/acme-shop/payment-service/internal/api.(*Handler).confirmCheckout",
		"net/http.HandlerFunc.ServeHTTP",
		"net/http.serverHandler.ServeHTTP",
	}
	files := []string{"internal/provider/client.go", "internal/provider/intents.go", "internal/checkout/service.go", "internal/api/checkout.go", "net/http/server.go", "net/http/server.go"}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\ngoroutine %d [running]:\n", excType, 100+s.e.rng.IntN(9000))
	for i, f := range frames {
		fmt.Fprintf(&b, "%s(...)\n\t/src/%s:%d +0x%x\n", f, files[i], 40+s.e.rng.IntN(300), 0x20+s.e.rng.IntN(0x400))
	}
	return b.String()
}
