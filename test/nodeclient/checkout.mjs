import { trace, logs, SpanKind, SpanStatusCode, SeverityNumber } from '@opentelemetry/api';
// `logs` comes from @opentelemetry/api, where the Node SDK (sdk-node 0.301)
// registers its LoggerProvider; a logger from @opentelemetry/api-logs is a
// silent no-op there and every business event would be lost.

const tracer = trace.getTracer('checkout');
const logger = logs.getLogger('checkout');

// trackPurchase / trackAddToCart: a business event (log record with an event name),
// emitted inside the active span so it carries the trace and span id.
export function emitEvent(name, attributes, body, severityNumber = SeverityNumber.INFO) {
  logger.emit({
    eventName: name,                                  // OTLP event_name
    severityNumber,
    body,
    attributes: { 'event.name': name, ...attributes }, // for older collectors and SDKs
  });
}

// The identity keys, sent on every business event of a session.
export function identity(customer, req, gaClientId) {
  return {
    'customer.id': customer.id,
    'customer.email': customer.email,
    'client.address': req.ip,
    'ga.client_id': gaClientId,
  };
}

// order.items: unit prices in minor units, never including tax or shipping.
export function orderItems(lines) {
  return lines.map(l => ({ item_id: l.sku, item_name: l.name, price_minor: l.unitCents, quantity: l.qty }));
}

export function trackPurchase(order, who) {
  emitEvent('ecommerce.purchase', {
    'order.id': order.id,
    'payment.amount_minor': order.totalCents,   // or 'payment.amount': 49.99
    'payment.currency': 'USD',
    'payment.method': 'card',
    'payment.provider': 'stripe',
    'order.items': orderItems(order.lines),
    'order.tax': (order.taxCents / 100).toFixed(2), // a decimal string is exact
    'order.shipping': (order.shippingCents / 100).toFixed(2),
    ...who,
  }, `order ${order.id} paid`);
}

// withPaymentPerformanceMonitoring + trackPaymentFailed + trackPaymentError
export async function charge(provider, order, attempt, who) {
  return tracer.startActiveSpan('payment.charge', {
    kind: SpanKind.CLIENT,
    attributes: {
      'payment.amount_minor': order.totalCents, 'payment.currency': 'USD',
      'payment.method': 'card', 'payment.provider': 'stripe',
      'order.id': order.id, 'payment.attempt': attempt,
    },
  }, async (span) => {
    try {
      const intent = await provider.confirm(order);
      span.setAttributes({ 'payment.status': 'succeeded', 'payment.id': intent.id });
      return intent;
    } catch (err) {
      const errorType = err.code ?? 'processing_error';   // card_declined, ...
      span.recordException(err);
      span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
      span.setAttributes({ 'payment.status': 'failed', 'payment.error_type': errorType, 'error.type': errorType });
      emitEvent('payment.failed', {
        'order.id': order.id, 'payment.amount_minor': order.totalCents, 'payment.currency': 'USD',
        'payment.error_type': errorType, 'payment.attempt': attempt, ...who,
      }, err.message, SeverityNumber.WARN);
      throw err;
    } finally {
      span.end();
    }
  });
}
