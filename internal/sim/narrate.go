package sim

import (
	"fmt"
	"io"
	"time"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
)

// narrator tells a person watching the run what is happening: a line when
// the run starts, when the outage begins and when it ends, and a short
// counter every cfg.NarrateEvery of simulated time.
type narrator struct {
	w        io.Writer
	cfg      Config
	every    time.Duration
	next     time.Duration
	inOutage bool
	started  bool
	// counts at the previous counter line, for the "last period" figures.
	// Provider errors (processing_error, timeout, network_error) are what
	// the failure-rate alerts watch; customers' declines are not counted.
	lastAttempts, lastProvider int64
	lastOrders                 int64
}

func newNarrator(cfg Config) *narrator {
	if cfg.Narrate == nil {
		return nil
	}
	return &narrator{w: cfg.Narrate, cfg: cfg, every: cfg.NarrateEvery, next: cfg.NarrateEvery}
}

// before is called before session i at simulated offset.
func (n *narrator) before(i int, offset time.Duration, l *Ledger) {
	if n == nil {
		return
	}
	if !n.started {
		n.started = true
		n.printf(0, "BASELINE  healthy checkout traffic%s%s", n.rateText(), n.outagePlan())
	}
	for offset >= n.next {
		n.counter(n.next, l)
		n.next += n.every
	}
	in := n.cfg.Outage.inWindow(i, offset)
	switch {
	case in && !n.inOutage:
		o := n.cfg.Outage
		slow := ""
		if o.SlowPayments > 0 {
			slow = fmt.Sprintf(", payments %s slower", o.SlowPayments)
		}
		n.printf(offset, "OUTAGE    the payment provider fails %.0f %% of payment attempts%s%s",
			o.FailureRate*100, slow, n.until(o))
	case !in && n.inOutage:
		n.printf(offset, "RECOVERED the payment provider is healthy again")
	}
	n.inOutage = in
}

// done is called once the traffic stopped.
func (n *narrator) done(offset time.Duration, l *Ledger) {
	if n == nil || !n.started {
		return
	}
	n.counter(offset, l)
	n.printf(offset, "DONE      traffic stopped after %d sessions", l.Sessions)
}

func (n *narrator) counter(at time.Duration, l *Ledger) {
	attempts := l.Attempts[contract.StatusSucceeded] + l.Attempts[contract.StatusFailed]
	provider := l.FailuresByErrorType[contract.ErrProcessingError] + l.FailuresByErrorType[contract.ErrTimeout] +
		l.FailuresByErrorType[contract.ErrNetworkError]
	var orders int64
	for _, c := range l.Orders {
		orders += c
	}
	da, dp, do := attempts-n.lastAttempts, provider-n.lastProvider, orders-n.lastOrders
	n.lastAttempts, n.lastProvider, n.lastOrders = attempts, provider, orders
	share := 0.0
	if da > 0 {
		share = float64(dp) / float64(da) * 100
	}
	n.printf(at, "          %s sessions, %s orders; last %s: %d orders, %d payment attempts, %d provider errors (%.0f %%)",
		groupThousands(int64(l.Sessions)), groupThousands(orders), n.every, do, da, dp, share)
}

func (n *narrator) rateText() string {
	if n.cfg.Rate <= 0 {
		return ""
	}
	return fmt.Sprintf(" at %g checkout sessions/s", n.cfg.Rate)
}

func (n *narrator) outagePlan() string {
	o := n.cfg.Outage
	if o == nil {
		return "; no outage planned"
	}
	if o.Sessions > 0 {
		return fmt.Sprintf("; provider outage from session %d for %d sessions", o.FromSession, o.Sessions)
	}
	if o.Length > 0 {
		return fmt.Sprintf("; provider outage planned at %s for %s", clockText(o.Start), o.Length)
	}
	return "; no outage planned"
}

func (n *narrator) until(o *Outage) string {
	if o.Sessions > 0 || o.Length <= 0 {
		return ""
	}
	return " until " + clockText(o.Start+o.Length)
}

func (n *narrator) printf(at time.Duration, format string, args ...any) {
	_, _ = fmt.Fprintf(n.w, "paymentsim [%s] "+format+"\n", append([]any{clockText(at)}, args...)...)
}

// clockText renders an offset as mm:ss (h:mm:ss past an hour).
func clockText(d time.Duration) string {
	s := int64(d / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%02d:%02d", s/60, s%60)
}

// groupThousands writes n with comma thousands separators.
func groupThousands(n int64) string {
	s := fmt.Sprint(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}
