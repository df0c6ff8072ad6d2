package engine

// DefaultMaxSeriesPerMetric bounds the label combinations of each metric
// whose labels are several application-fed values (payment.revenue and
// payment.orders, payment.refunds, payment.attempts, payment.duration,
// payment.failures). Each label alone passes its limiter, but their
// product would not be bounded: 500 methods × 500 providers is 250,000
// series. A large shop's real methods × providers × currencies (× statuses
// and error types for attempts) is hundreds; 2000 leaves room for that and
// stays where Prometheus copes.
const DefaultMaxSeriesPerMetric = 2000

// boundedKey is the key an event is counted under in m: its own when m has
// it or room for it, else overflow(key), which keeps the bounded labels
// (currency, status) and sets the application-fed ones to Overflow, so
// totals per currency and status stay exact. folded says the key changed.
// The decision depends on m's keys alone, which the snapshot holds and the
// journal replays in order: a restart folds exactly the events the live
// engine folded.
func boundedKey[K comparable, V any](m map[K]V, key K, limit int, overflow func(K) K) (k K, folded bool) {
	if _, ok := m[key]; ok || len(m) < limit {
		return key, false
	}
	o := overflow(key)
	return o, o != key
}

func foldMoney(k moneyKey) moneyKey {
	return moneyKey{currency: k.currency, method: Overflow, provider: Overflow}
}

func foldAttempt(k attemptKey) attemptKey {
	if k.errorType != "" { // only failed attempts have one
		k.errorType = Overflow
	}
	k.method, k.provider = Overflow, Overflow
	return k
}

func foldDuration(k durationKey) durationKey {
	return durationKey{status: k.status, method: Overflow, provider: Overflow}
}

func foldFailure(failureKey) failureKey {
	return failureKey{errorType: Overflow, method: Overflow, provider: Overflow}
}
