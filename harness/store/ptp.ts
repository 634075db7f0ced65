/**
 * Store methods of `ptp watch`: its events and alerts (tables ptp_events / ptp_alerts, see migrations.ts).
 */
import type { Store } from './store.ts';
import type { Alert, PtpEvent } from '../ptp/rules.ts';

export interface PtpWatchStore {
  recordEvent(e: PtpEvent): void;
  recordAlert(a: Alert): void;
  events(): (PtpEvent & { receivedAt: string })[];
  alerts(): Alert[];
}

export function ptpWatchStore(store: Store, watchId: string): PtpWatchStore {
  const db = store.db;
  const insE = db.prepare(
    'INSERT INTO ptp_events (watch_id, node, type, resource, data_type, value, time, via, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const insA = db.prepare(
    'INSERT INTO ptp_alerts (watch_id, rule, severity, summary, details, recommendations, nodes, resource, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  return {
    recordEvent(e) {
      insE.run(watchId, e.node, e.type, e.resource, e.dataType, e.value, new Date(e.time).toISOString(), e.via, new Date().toISOString());
    },
    recordAlert(a) {
      insA.run(
        watchId,
        a.rule,
        a.severity,
        a.summary,
        a.details,
        JSON.stringify(a.recommendations),
        JSON.stringify(a.nodes),
        a.resource ?? null,
        a.at,
      );
    },
    events() {
      return (
        db.prepare('SELECT * FROM ptp_events WHERE watch_id = ? ORDER BY id').all(watchId) as {
          node: string;
          type: string;
          resource: string;
          data_type: string;
          value: string;
          time: string;
          via: 'event' | 'poll';
          received_at: string;
        }[]
      ).map((r) => ({
        node: r.node,
        type: r.type,
        resource: r.resource,
        dataType: r.data_type,
        value: r.value,
        time: Date.parse(r.time),
        via: r.via,
        receivedAt: r.received_at,
      }));
    },
    alerts() {
      return (
        db.prepare('SELECT * FROM ptp_alerts WHERE watch_id = ? ORDER BY id').all(watchId) as {
          rule: Alert['rule'];
          severity: Alert['severity'];
          summary: string;
          details: string;
          recommendations: string;
          nodes: string;
          resource: string | null;
          at: string;
        }[]
      ).map((r) => ({
        rule: r.rule,
        severity: r.severity,
        summary: r.summary,
        details: r.details,
        recommendations: JSON.parse(r.recommendations) as string[],
        nodes: JSON.parse(r.nodes) as string[],
        ...(r.resource ? { resource: r.resource } : {}),
        at: r.at,
      }));
    },
  };
}
