import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics (`GET /metrics`). One registry per process; names carry the `crm_bridge_` prefix. */
export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route'>;
  webhookDeliveries: Counter<'outcome'>;
  syncRuns: Counter<'source' | 'outcome'>;
  syncItemErrors: Counter<'source'>;
  changeFeedSeq: Gauge;
  /** Mail sent from the CRM by delivery state (failed and uncertain ones need someone), read from the store at each scrape. */
  outboxMessages: Gauge<'state'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'crm_bridge_' });
  return {
    registry,
    httpRequests: new Counter({ name: 'crm_bridge_http_requests_total', help: 'HTTP requests served', labelNames: ['method', 'route', 'status'], registers: [registry] }),
    httpDuration: new Histogram({ name: 'crm_bridge_http_request_duration_seconds', help: 'HTTP request duration', labelNames: ['method', 'route'], buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers: [registry] }),
    webhookDeliveries: new Counter({ name: 'crm_bridge_webhook_deliveries_total', help: 'Webhook delivery attempts', labelNames: ['outcome'], registers: [registry] }),
    syncRuns: new Counter({ name: 'crm_bridge_sync_runs_total', help: 'Sync passes per source', labelNames: ['source', 'outcome'], registers: [registry] }),
    syncItemErrors: new Counter({ name: 'crm_bridge_sync_item_errors_total', help: 'Items that failed to sync', labelNames: ['source'], registers: [registry] }),
    changeFeedSeq: new Gauge({ name: 'crm_bridge_change_feed_seq', help: 'Latest change-feed sequence number', registers: [registry] }),
    outboxMessages: new Gauge({ name: 'crm_bridge_outbox_messages', help: 'Mail sent from the CRM by delivery state (failed, uncertain: see the status page)', labelNames: ['state'], registers: [registry] }),
  };
}
