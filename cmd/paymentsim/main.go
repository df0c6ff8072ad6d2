// Command paymentsim sends simulated payment-service telemetry (traces, logs
// and metrics over OTLP gRPC) that follows docs/conventions.md, and can write
// the ground truth of what it sent as a JSON ledger.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/sim"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "paymentsim:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("paymentsim", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageHeader)
		fs.PrintDefaults()
	}
	var (
		cfg        sim.Config
		insecure   string
		currencies string
		ledgerPath string
		outage     sim.Outage
	)
	fs.StringVar(&cfg.Endpoint, "endpoint", "localhost:4317", "OTLP gRPC endpoint host:port")
	fs.StringVar(&insecure, "insecure", "auto", "plaintext gRPC: true, false, or auto (true for localhost and loopback addresses)")
	fs.Float64Var(&cfg.Rate, "rate", 20, "checkout sessions per second (0 = as fast as possible)")
	fs.DurationVar(&cfg.Duration, "duration", 0, "stop after this long (with --rate, simulated time: exactly rate*duration sessions)")
	fs.IntVar(&cfg.Count, "count", 0, "number of checkout sessions (0 = until --duration or Ctrl-C)")
	fs.Int64Var(&cfg.Seed, "seed", 1, "random seed; the same seed sends the same traffic")
	fs.StringVar(&ledgerPath, "ledger", "", "write the ground-truth ledger (JSON) to this file")
	fs.Float64Var(&cfg.DuplicateRate, "duplicate-rate", 0.02, "probability a purchase event is delivered twice with the same order.id")
	fs.Float64Var(&cfg.SpanEventShare, "span-event-share", sim.DefaultSpanEventShare, "share of sessions sending business events as span events instead of log records")
	fs.Float64Var(&cfg.RefundRate, "refund-rate", sim.DefaultRefundRate, "probability a paid order is later refunded")
	fs.Float64Var(&cfg.CardTestingRate, "card-testing-rate", 0, fmt.Sprintf("probability per session of a card-testing attack (a security incident); an injected fault like the outage: %g is an attack every ~25 s at --rate 20", sim.DefaultCardTestingRate))
	fs.Int64Var(&cfg.ReorderPoint, "reorder-point", 0, "restock an item as soon as its stock falls to this level (0 = occasional deliveries; items run low and sell out)")
	quiet := fs.Bool("quiet", false, "do not print the phase lines and progress counter while running")
	fs.DurationVar(&cfg.NarrateEvery, "progress-every", 15*time.Second, "period of the progress counter (simulated time)")
	fs.StringVar(&currencies, "currencies", strings.Join(sim.DefaultCurrencies, ","), "comma-separated ISO 4217 codes")
	fs.StringVar(&cfg.ServiceName, "service-name", "payment-service", "resource service.name")
	fs.DurationVar(&outage.Start, "outage-start", 0, "payment provider outage: start, relative to the run start")
	fs.DurationVar(&outage.Length, "outage-length", 0, "outage length (0 = no outage unless --outage-sessions)")
	fs.IntVar(&outage.FromSession, "outage-from-session", 0, "outage by session index: first session")
	fs.IntVar(&outage.Sessions, "outage-sessions", 0, "outage by session index: number of sessions")
	fs.Float64Var(&outage.FailureRate, "outage-failure-rate", 0.6, "share of payment attempts failing during the outage")
	fs.DurationVar(&outage.SlowPayments, "outage-slow-payments", 0, "extra payment latency during the outage")
	demo := fs.Bool("demo", false, "the make demo scenario: 6 minutes at 5 sessions/s, a provider outage 02:00-03:30 (flags given explicitly still apply)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil // asking for help is not a failure
		}
		return err
	}
	if *demo {
		applyDemo(fs, &cfg, &outage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if cfg.Count == 0 && cfg.Duration == 0 && cfg.Rate == 0 {
		return errors.New("--rate 0 needs --count or --duration, or it would never stop")
	}
	cfg.Currencies = splitList(currencies)
	if !*quiet {
		cfg.Narrate = os.Stdout
	}
	if outage.Length > 0 || outage.Sessions > 0 {
		cfg.Outage = &outage
	}
	var err error
	if cfg.Insecure, err = parseInsecure(insecure, cfg.Endpoint); err != nil {
		return err
	}
	if cfg.Count == 0 && cfg.Duration == 0 {
		// Runs until interrupted; the sim needs a bound, so use a very long one.
		cfg.Duration = 100 * 365 * 24 * time.Hour
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	ledger, runErr := sim.Run(ctx, cfg)
	if errors.Is(runErr, context.Canceled) && ctx.Err() != nil {
		runErr = nil // Ctrl-C is the normal way to end an unbounded run.
	}
	if ledger == nil {
		return runErr
	}
	printSummary(os.Stdout, ledger, time.Since(start))
	if ledgerPath != "" {
		if err := ledger.WriteFile(ledgerPath); err != nil {
			return errors.Join(runErr, err)
		}
		fmt.Printf("ledger written to %s\n", ledgerPath)
	}
	return runErr
}

const usageHeader = `paymentsim simulates a ticket shop's payment service: checkout sessions with
payment spans, business events (log records or span events) and metrics over
OTLP gRPC, per docs/conventions.md, optionally with a payment-provider outage.
It prints a summary and can write the ground truth it sent as a JSON ledger.

Usage: paymentsim [flags]

`

// applyDemo sets every scenario setting of sim.Demo whose flag was not
// given on the command line.
func applyDemo(fs *flag.FlagSet, cfg *sim.Config, outage *sim.Outage) {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	d := sim.Demo()
	set := func(name string, apply func()) {
		if !given[name] {
			apply()
		}
	}
	set("seed", func() { cfg.Seed = d.Seed })
	set("rate", func() { cfg.Rate = d.Rate })
	set("duration", func() { cfg.Duration = d.Duration })
	set("duplicate-rate", func() { cfg.DuplicateRate = d.DuplicateRate })
	set("span-event-share", func() { cfg.SpanEventShare = d.SpanEventShare })
	set("refund-rate", func() { cfg.RefundRate = d.RefundRate })
	set("card-testing-rate", func() { cfg.CardTestingRate = d.CardTestingRate })
	set("reorder-point", func() { cfg.ReorderPoint = d.ReorderPoint })
	set("outage-start", func() { outage.Start = d.Outage.Start })
	set("outage-length", func() { outage.Length = d.Outage.Length })
	set("outage-failure-rate", func() { outage.FailureRate = d.Outage.FailureRate })
	set("outage-slow-payments", func() { outage.SlowPayments = d.Outage.SlowPayments })
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func parseInsecure(v, endpoint string) (bool, error) {
	switch v {
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "auto":
		host, _, err := net.SplitHostPort(endpoint)
		if err != nil {
			return false, fmt.Errorf("--endpoint %q: %w", endpoint, err)
		}
		if host == "localhost" {
			return true, nil
		}
		ip := net.ParseIP(host)
		return ip != nil && ip.IsLoopback(), nil
	}
	return false, fmt.Errorf("--insecure must be true, false or auto, got %q", v)
}

func printSummary(w *os.File, l *sim.Ledger, took time.Duration) {
	total := l.Spans + l.LogRecords
	fmt.Fprintf(w, "paymentsim: %d sessions, %d spans, %d log records (%d business events, %d as span events, %d duplicates) in %s (%.0f spans+logs/s)\n",
		l.Sessions, l.Spans, l.LogRecords, l.Events, l.EventsAsSpanEvents, l.DuplicatesSent, took.Round(time.Millisecond), float64(total)/took.Seconds())
	fmt.Fprintf(w, "funnel:")
	for _, step := range contract.FunnelSteps {
		fmt.Fprintf(w, " %s=%d", strings.TrimPrefix(step, "ecommerce."), l.Funnel[step])
	}
	fmt.Fprintf(w, "\nattempts: succeeded=%d failed=%d %v\n", l.Attempts[contract.StatusSucceeded], l.Attempts[contract.StatusFailed], l.FailuresByErrorType)
	currencies := make([]string, 0, len(l.RevenueMinor))
	for c := range l.RevenueMinor {
		currencies = append(currencies, c)
	}
	sort.Strings(currencies)
	for _, c := range currencies {
		var sum int64
		for _, v := range l.RevenueMinor[c] {
			sum += v
		}
		refunded := int64(0)
		if r := l.Refunds[c]; r != nil {
			refunded = r.Minor
		}
		fmt.Fprintf(w, "revenue %s: %s in %d orders, refunded %s\n", c, contract.Money{Minor: sum, Currency: c}, l.Orders[c], contract.Money{Minor: refunded, Currency: c})
	}
	fmt.Fprintf(w, "security incidents: %v, low-stock updates: %d, slow queries: %d\n", l.SecurityIncidents, l.LowStockUpdates, l.SlowQueries)
}
