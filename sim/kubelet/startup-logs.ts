/**
 * The first log lines of well-known images the kubelet starts without a command (agnhost, nginx, a generic
 * server), so `kubectl logs` of a fresh pod looks like it does on a cluster.
 */
import { rfc3339 } from '../controllers/common.ts';
import type { KubeObject } from '../types.ts';
import type { CInst } from './records.ts';
import { imageKind } from './runenv.ts';

export function klogTime(d = new Date()): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}000`;
}

export function writeStartupLines(pod: KubeObject, c: CInst, append: (line: string) => void): void {
  const image = c.spec.image ?? '';
  if (c.spec.command || /pause/.test(image) || imageKind(pod, c.name) !== 'generic') return;
  if (/agnhost/.test(image)) {
    const mode = c.spec.args?.[0] ?? 'netexec';
    append(`I${klogTime()}       1 log.go:245] Started HTTP server on port 8080`);
    if (mode === 'netexec') append(`I${klogTime()}       1 log.go:245] Started UDP server on port  8081`);
    return;
  }
  if (/nginx/.test(image)) {
    append('/docker-entrypoint.sh: Configuration complete; ready for start up');
    append(`${new Date().toISOString().slice(0, 19).replace('T', ' ').replace(/-/g, '/')} [notice] 1#1: start worker processes`);
    return;
  }
  append(`${rfc3339()} starting ${c.name} (${image})`);
  append(`${rfc3339()} ${c.name} ready`);
}
