package reliability

import (
	"context"
	"fmt"
	"hash/fnv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
	"github.com/otelcol-payments/otelcol-payments/internal/sim"
)

const (
	partitionKeyHeader = "x-payments-partition-key"
	kafkaGroup         = "otelcol-payments-gateway"
	kafkaPartitions    = 2
)

var kafkaTopics = []string{"payments.otlp_spans", "payments.otlp_logs", "payments.otlp_metrics"}

// kafkaSidecar mirrors config/sidecar.yaml + overlays/kafka-sidecar.yaml:
// sanitize, batch by the partition-key header, publish keyed by it.
func kafkaSidecar(addr, brokers string) string {
	signal := func(name, topic string) string {
		return "\n    " + name + ":\n      topic: " + topic + "\n      message_key_from_metadata_key: " + partitionKeyHeader
	}
	return `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: ` + addr + `
        include_metadata: true
processors:
  piisanitizer:
    hash_key: ` + testHashKey + `
  batch:
    timeout: 50ms
    send_batch_size: 500
    send_batch_max_size: 1000
    metadata_keys: [` + partitionKeyHeader + `]
exporters:
  kafka:
    brokers: [` + brokers + `]` +
		signal("traces", kafkaTopics[0]) + signal("logs", kafkaTopics[1]) + signal("metrics", kafkaTopics[2]) + `
    producer:
      required_acks: all
service:
  pipelines:
    traces: {receivers: [otlp], processors: [piisanitizer, batch], exporters: [kafka]}
    logs: {receivers: [otlp], processors: [piisanitizer, batch], exporters: [kafka]}
    metrics: {receivers: [otlp], processors: [piisanitizer, batch], exporters: [kafka]}
`
}

// kafkaGateway mirrors config/gateway.yaml + overlays/kafka-gateway.yaml:
// a consumer-group member running paymentbi and threshold, alerts to the
// shared webhook, business metrics to capture/NAME.
func kafkaGateway(brokers, name, alertURL string) string {
	bi := `
    reporting_currency: USD
    exchange_rates: {EUR: "1.08", GBP: "1.27", JPY: "0.0067", KWD: "3.25"}`
	return `
receivers:` + kafkaReceiver("traces", kafkaTopics[0], brokers, name) + kafkaReceiver("logs", kafkaTopics[1], brokers, name) +
		kafkaReceiver("metrics", kafkaTopics[2], brokers, name) + `
processors:
  piisanitizer:
    hash_key: ` + testHashKey + `
  paymentbi:` + bi + `
  batch:
    timeout: 50ms
connectors:
  paymentbi:` + bi + `
    emit_interval: 200ms
` + criticalFailureRule + `
exporters:
  capture/` + name + `: {}
  capture/` + name + `-app: {}
` + alertExporterYAML(alertURL) + `
service:
  pipelines:
    traces: {receivers: [kafka/traces], processors: [piisanitizer, paymentbi, batch], exporters: [paymentbi, threshold]}
    logs: {receivers: [kafka/logs], processors: [piisanitizer, paymentbi, batch], exporters: [paymentbi, threshold]}
    metrics: {receivers: [kafka/metrics], processors: [piisanitizer, batch], exporters: [capture/` + name + `-app]}
    metrics/business: {receivers: [paymentbi], exporters: [capture/` + name + `]}
    logs/alerts: {receivers: [threshold], exporters: [alert]}
`
}

// kafkaReceiver is one signal's consumer-group member, as in
// config/overlays/kafka-gateway.yaml.
func kafkaReceiver(signal, topic, brokers, instance string) string {
	return `
  kafka/` + signal + `:
    brokers: [` + brokers + `]
    client_id: ` + instance + `
    group_id: ` + kafkaGroup + `-` + signal + `
    group_instance_id: ` + instance + `
    group_rebalance_strategies: [range]
    initial_offset: earliest
    message_marking: {after: true, on_error: false, on_permanent_error: true}
    ` + signal + `: {topics: [` + topic + `]}`
}

// saramaPartition is the partition the kafka exporter's default partitioner
// (sticky_key, sarama_compat: FNV-1a) picks for key.
func saramaPartition(key string, n int32) int32 {
	h := fnv.New32a()
	h.Write([]byte(key))
	p := int32(h.Sum32()) % n
	if p < 0 {
		p = -p
	}
	return p
}

// Two sidecars publish to Kafka, two gateways consume in one group: each
// service's data meets on one gateway, the business metrics summed over
// the replicas equal the simulator's ledger, and each alert is delivered
// once.
func TestKafkaScaleOut(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two simulated shops through four collectors")
	}
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(kafkaPartitions, kafkaTopics...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	brokers := strings.Join(cluster.ListenAddrs(), ",")

	// Two services whose keys land on different partitions, so the range
	// assignor gives each gateway one service.
	services := []string{"checkout-eu"}
	for i := 0; len(services) < 2; i++ {
		if name := fmt.Sprintf("checkout-us-%d", i); saramaPartition(name, kafkaPartitions) != saramaPartition(services[0], kafkaPartitions) {
			services = append(services, name)
		}
	}

	hook := newAlertSink(t)
	gateways := []string{"kgw-0", "kgw-1"}
	for _, g := range gateways {
		e2e.Start(t, factories(), kafkaGateway(brokers, g, hook.URL))
	}
	for _, signal := range []string{"traces", "logs", "metrics"} {
		waitGroupStable(t, brokers, kafkaGroup+"-"+signal, len(gateways), kafkaPartitions)
	}

	ledgers := make([]*sim.Ledger, len(services))
	var wg sync.WaitGroup
	errs := make(chan error, len(services))
	for i, svc := range services {
		addr := e2e.FreeAddr(t)
		e2e.Start(t, factories(), kafkaSidecar(addr, brokers))
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := sim.Run(context.Background(), sim.Config{
				Endpoint: addr, Insecure: true, Headers: map[string]string{partitionKeyHeader: svc},
				ServiceName: svc, Seed: int64(7 + i), Count: 1500,
				DuplicateRate: 0.03, SpanEventShare: 0.1, RefundRate: 0.04,
				Outage:         &sim.Outage{FromSession: 200, Sessions: 300, FailureRate: 0.5},
				MetricInterval: time.Hour,
			})
			ledgers[i] = l
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var wantOrders, wantAttempts int64
	wantRevenue := map[string]map[string]int64{}
	for _, l := range ledgers {
		for cur, n := range l.Orders {
			wantOrders += n
			_ = cur
		}
		for _, n := range l.Attempts {
			wantAttempts += n
		}
		for cur, byMethod := range l.RevenueMinor {
			if wantRevenue[cur] == nil {
				wantRevenue[cur] = map[string]int64{}
			}
			for m, v := range byMethod {
				wantRevenue[cur][m] += v
			}
		}
	}

	// Wait until the replicas together have counted every order and
	// attempt; a lost or doubled record never gets there (or overshoots).
	latest := func() []pmetric.Metrics {
		var out []pmetric.Metrics
		for _, g := range gateways {
			all := e2e.Sinks(g).Metrics.AllMetrics()
			if len(all) == 0 {
				return nil
			}
			out = append(out, all[len(all)-1])
		}
		return out
	}
	sum := func(name string, filter ...string) (ints int64, doubles map[string]float64) {
		doubles = map[string]float64{}
		for _, md := range latest() {
			forEachPoint(md, func(n string, dp pmetric.NumberDataPoint) {
				if n != name || !hasAttrs(dp, filter...) {
					return
				}
				ints += dp.IntValue()
				doubles[attr(dp, contract.PaymentCurrency)+"/"+attr(dp, contract.PaymentMethod)] += dp.DoubleValue()
			})
		}
		return ints, doubles
	}
	e2e.Sinks(gateways[1]).WaitFor(t, 2*time.Minute, "every order and attempt counted across the replicas", func(*e2e.Capture) bool {
		orders, _ := sum("payment.orders")
		attempts, _ := sum("payment.attempts")
		return orders >= wantOrders && attempts >= wantAttempts
	})
	orders, _ := sum("payment.orders")
	attempts, _ := sum("payment.attempts")
	if orders != wantOrders || attempts != wantAttempts {
		t.Errorf("replicas counted %d orders / %d attempts, ledgers say %d / %d", orders, attempts, wantOrders, wantAttempts)
	}
	_, revenue := sum("payment.revenue")
	for cur, byMethod := range wantRevenue {
		exp, _ := contract.CurrencyExponent(cur)
		for m, want := range byMethod {
			have, err := contract.MajorFloatToMinor(revenue[cur+"/"+m], exp)
			if err != nil || have != want {
				t.Errorf("revenue %s/%s = %s, ledgers %s (%v)", cur, m, contract.FormatMinor(have, cur), contract.FormatMinor(want, cur), err)
			}
		}
	}

	// Both replicas worked, and each exports its own series (Prometheus
	// sums them): distinct service.instance.id.
	instances := map[string]bool{}
	for i, md := range latest() {
		if n, _ := sum1(md, "payment.orders"); n == 0 {
			t.Errorf("gateway %s counted no orders: partitions not spread", gateways[i])
		}
		id, _ := md.ResourceMetrics().At(0).Resource().Attributes().Get("service.instance.id")
		instances[id.AsString()] = true
	}
	if len(instances) != len(gateways) {
		t.Errorf("replicas share service.instance.id %v: their series would collide", instances)
	}

	// Each service's outage fired its alerts; each alert arrived once.
	hook.waitFor(t, 30*time.Second, "an alert from every service", func() bool {
		seen := map[string]bool{}
		for _, l := range hook.labelsOf(contract.AlertFiring) {
			seen[l["service_name"]] = true
		}
		return len(seen) == len(services)
	})
	for fp, n := range hook.firing() {
		if n != 1 {
			t.Errorf("alert %s delivered %d times", fp, n)
		}
	}
	t.Logf("services %v: %d orders, %d attempts, %d alerts", services, orders, attempts, len(hook.firing()))
}

func attr(dp pmetric.NumberDataPoint, key string) string {
	if v, ok := dp.Attributes().Get(key); ok {
		return v.AsString()
	}
	return ""
}

func sum1(md pmetric.Metrics, name string) (int64, bool) {
	var n int64
	found := false
	forEachPoint(md, func(m string, dp pmetric.NumberDataPoint) {
		if m == name {
			n += dp.IntValue()
			found = true
		}
	})
	return n, found
}

func hasAttrs(dp pmetric.NumberDataPoint, kv ...string) bool {
	for i := 0; i+1 < len(kv); i += 2 {
		if v, ok := dp.Attributes().Get(kv[i]); !ok || v.AsString() != kv[i+1] {
			return false
		}
	}
	return true
}

// waitGroupStable waits until the gateways' consumer group is stable with
// members members sharing all partitions, so no rebalance redelivers data
// mid-test.
func waitGroupStable(t *testing.T, brokers, group string, members, partitions int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(brokers, ",")...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	var last string
	waitUntil(t, time.Minute, "a stable consumer group of all gateways", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		groups, err := adm.DescribeGroups(ctx, group)
		if err != nil {
			t.Logf("describe group: %v", err)
			return false
		}
		g, ok := groups[group]
		if !ok {
			return false
		}
		assigned := 0
		for _, ps := range g.AssignedPartitions() {
			assigned += len(ps)
		}
		if now := fmt.Sprintf("state %s, protocol %s, %d members, %d partitions assigned (%v)", g.State, g.Protocol, len(g.Members), assigned, g.Err); now != last {
			t.Logf("consumer group %s: %s", group, now)
			last = now
		}
		return g.State == "Stable" && len(g.Members) == members && assigned == partitions
	})
}
