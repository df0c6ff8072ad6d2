// A checkout service written against docs/conventions.md with the
// OpenTelemetry JS SDK: checkout.mjs is the documentation's example, as
// written; this file sets up the SDK and plays a few shoppers through it.
// The collector's test (cmd/otelcol-payments/nodeclient_test.go) runs it
// with COLLECTOR=http://host:port (OTLP/HTTP) and checks what the collector
// derived.
import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { trace, metrics, SpanKind, SpanStatusCode, SeverityNumber } from '@opentelemetry/api';

const collector = process.env.COLLECTOR;
if (!collector) {
  console.error('COLLECTOR (http://host:port of the OTLP/HTTP receiver) is required');
  process.exit(2);
}

const sdk = new NodeSDK({
  resource: resourceFromAttributes({
    'service.name': 'node-checkout',
    'service.version': '1.0.0',
    'deployment.environment.name': 'test',
  }),
  traceExporter: new OTLPTraceExporter({ url: `${collector}/v1/traces` }),
  logRecordProcessors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${collector}/v1/logs` }) })],
  // sdk-node 0.301 takes metricReaders (an array); the older singular
  // metricReader is ignored, and no metrics would be sent.
  metricReaders: [new PeriodicExportingMetricReader({
    exporter: new OTLPMetricExporter({ url: `${collector}/v1/metrics` }),
    exportIntervalMillis: 60_000, // shutdown exports the final values
  })],
});
sdk.start();

// The documented example, loaded once the SDK is registered.
const { emitEvent, identity, orderItems, trackPurchase, charge } = await import('./checkout.mjs');

const tracer = trace.getTracer('checkout-http');
const requestDuration = metrics.getMeter('checkout-http').createHistogram('http.server.request.duration', { unit: 's' });

// An HTTP server span per request, with the semantic-convention metric.
async function request(method, route, path, req, handler) {
  const started = performance.now();
  return tracer.startActiveSpan(`${method} ${route}`, {
    kind: SpanKind.SERVER,
    attributes: {
      'http.request.method': method, 'http.route': route, 'url.path': path, 'url.scheme': 'https',
      'server.address': 'shop.example', 'client.address': req.ip,
    },
  }, async (span) => {
    let status = 200;
    try {
      status = await handler();
    } catch {
      status = 402;
    }
    span.setAttribute('http.response.status_code', status);
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
    requestDuration.record((performance.now() - started) / 1000,
      { 'http.request.method': method, 'http.route': route, 'http.response.status_code': status });
    return status;
  });
}

const catalog = {
  shoes: { sku: 'SKU-1001', name: 'Trail Running Shoes', unitCents: 12999 },
  mix: { sku: 'SKU-1013', name: 'Trail Mix 1kg', unitCents: 1299 },
  bottle: { sku: 'SKU-2001', name: 'Steel Bottle', unitCents: 2500 },
};

// A provider that declines the first attempt of orders marked to fail.
const declineOnce = new Set();
const provider = {
  async confirm(order) {
    if (declineOnce.delete(order.id)) {
      const err = new Error(`Your card was declined. customer=${order.email}`);
      err.code = 'card_declined';
      throw err;
    }
    return { id: `pi_${order.id}` };
  },
};

async function shop(customer, ip, gaClientId, lines, opts = {}) {
  const req = { ip };
  const who = identity(customer, req, gaClientId);
  const first = lines[0];
  await request('GET', '/products/{id}', `/products/${first.sku}`, req, async () => {
    emitEvent('ecommerce.view_item', { 'order.items': orderItems([{ ...first, qty: 1 }]), 'payment.currency': 'USD', ...who });
    return 200;
  });
  if (opts.viewOnly) return;
  await request('POST', '/cart/items', '/cart/items', req, async () => {
    emitEvent('ecommerce.add_to_cart', { 'order.items': orderItems(lines), 'payment.currency': 'USD', ...who });
    return 201;
  });
  const subtotal = lines.reduce((s, l) => s + l.unitCents * l.qty, 0);
  const order = {
    id: opts.orderId, email: customer.email, lines,
    taxCents: opts.taxCents ?? 0, shippingCents: opts.shippingCents ?? 0,
  };
  order.totalCents = subtotal + order.taxCents + order.shippingCents;
  const checkoutId = `cs_${opts.orderId}`;
  await request('POST', '/checkout/sessions', '/checkout/sessions', req, async () => {
    emitEvent('ecommerce.begin_checkout', { 'checkout.session.id': checkoutId, 'order.items': orderItems(lines), 'payment.amount_minor': order.totalCents, 'payment.currency': 'USD', ...who });
    emitEvent('ecommerce.add_payment_info', { 'checkout.session.id': checkoutId, 'payment.method': 'card', 'payment.provider': 'stripe', 'payment.amount_minor': order.totalCents, 'payment.currency': 'USD', ...who });
    return 201;
  });
  if (opts.declineFirst) declineOnce.add(order.id);
  for (let attempt = 1; attempt <= 2; attempt++) {
    const status = await request('POST', '/checkout/sessions/{id}/confirm', `/checkout/sessions/${checkoutId}/confirm`, req, async () => {
      await charge(provider, order, attempt, who);
      trackPurchase(order, { ...who, 'checkout.session.id': checkoutId });
      if (opts.duplicate) trackPurchase(order, { ...who, 'checkout.session.id': checkoutId }); // a webhook replay
      return 200;
    });
    if (status === 200) break;
  }
}

// Three shoppers: one buys shoes and trail mix (tax and shipping), one is
// declined once and then buys a bottle, one only looks.
await shop({ id: 'cus_Nodejs00000001', email: 'ada@example.com' }, '203.0.113.10', '1111111111.1764300000',
  [{ ...catalog.shoes, qty: 1 }, { ...catalog.mix, qty: 2 }],
  { orderId: 'ord_node_1', taxCents: 1248, shippingCents: 599, duplicate: true });
await shop({ id: 'cus_Nodejs00000002', email: 'grace@example.org' }, '2001:db8:1:2::7', '2222222222.1764300000',
  [{ ...catalog.bottle, qty: 2 }],
  { orderId: 'ord_node_2', declineFirst: true });
await shop({ id: 'cus_Nodejs00000003', email: 'linus@example.net' }, '198.51.100.23', '3333333333.1764300000',
  [{ ...catalog.mix, qty: 1 }], { viewOnly: true });

// A fraud signal: the security.incident event, as an ERROR log record.
await request('POST', '/internal/risk/evaluate', '/internal/risk/evaluate', { ip: '198.51.100.250' }, async () => {
  emitEvent('security.incident', {
    'security.incident.type': 'card_testing', 'security.severity': 'high', 'payment.attempt': 12,
    'client.address': '203.0.113.99',
  }, 'card testing suspected from 203.0.113.99', SeverityNumber.ERROR);
  return 200;
});

await sdk.shutdown();
console.log('nodeclient: done');
