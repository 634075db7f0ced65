/**
 * The live target's one API client: plain JSON GETs (no client-node ObjectSerializer, which at thousands of
 * pods costs more than the request) over ONE keep-alive agent, so concurrent tool calls share pooled
 * connections instead of opening a TLS connection each. Credentials come from the kubeconfig exactly as
 * client-node applies them (KubeConfig.applyToHTTPSOptions). Lists page with `limit` + `continue` and can ask
 * for metadata only (`as=PartialObjectMetadataList`, the apiserver's content negotiation).
 */
import http from 'node:http';
import https from 'node:https';
import type { Cluster } from '../harness/cluster/connect.ts';
import { ApiHttpError, apiBase, getJson } from '../harness/cluster/get-json.ts';
import type { K8sObject, ListPage, ListPageQuery } from './target.ts';

export type { ListPage, ListPageQuery };
export { ApiHttpError };

interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

/** Page size when every item is wanted (the check, grep): few round trips, yet no single unbounded response. */
const PAGE = 5000;
const METADATA_ACCEPT = 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json';

export class ApiClient {
  private readonly agent: http.Agent;
  private readonly discovery = new Map<string, Promise<ApiResource[]>>();

  constructor(private readonly cluster: Cluster) {
    const opts = { keepAlive: true, maxSockets: 32, maxFreeSockets: 8 };
    this.agent = apiBase(cluster).protocol === 'http:' ? new http.Agent(opts) : new https.Agent(opts);
  }

  /** GET a path as JSON over the pooled agent; a non-2xx answer is an ApiHttpError carrying the Status body. */
  getJson<T>(path: string, opts: { accept?: string; timeoutMs?: number } = {}): Promise<T> {
    return getJson<T>(this.cluster, path, { ...opts, agent: this.agent });
  }

  /** The resource (plural) serving `kind` in `apiVersion`, from the API's discovery document (cached). */
  async resourceFor(apiVersion: string, kind: string): Promise<ApiResource> {
    let p = this.discovery.get(apiVersion);
    if (!p) {
      const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      p = this.getJson<{ resources?: ApiResource[] }>(path).then((d) => (d.resources ?? []).filter((r) => !r.name.includes('/')));
      this.discovery.set(apiVersion, p);
      p.catch(() => this.discovery.delete(apiVersion));
    }
    const found = (await p).find((r) => r.kind === kind);
    if (!found) throw new ApiHttpError(`the server has no kind ${kind} in ${apiVersion}`, 404, '');
    return found;
  }

  private async listPath(q: ListPageQuery): Promise<string> {
    const r = await this.resourceFor(q.apiVersion, q.kind);
    const root = q.apiVersion.includes('/') ? `/apis/${q.apiVersion}` : `/api/${q.apiVersion}`;
    const ns = r.namespaced && q.namespace ? `/namespaces/${encodeURIComponent(q.namespace)}` : '';
    const sp = new URLSearchParams();
    if (q.labelSelector) sp.set('labelSelector', q.labelSelector);
    if (q.fieldSelector) sp.set('fieldSelector', q.fieldSelector);
    if (q.limit) sp.set('limit', String(q.limit));
    if (q.continue) sp.set('continue', q.continue);
    const qs = sp.toString();
    return `${root}${ns}/${r.name}${qs ? `?${qs}` : ''}`;
  }

  /** One page of a list; items carry apiVersion and kind (a list's items do not). */
  async listPage(q: ListPageQuery): Promise<ListPage> {
    const res = await this.getJson<{ items?: K8sObject[]; metadata?: { continue?: string; remainingItemCount?: number } }>(
      await this.listPath(q),
      q.metadataOnly ? { accept: METADATA_ACCEPT } : {},
    );
    // a list's items carry no apiVersion/kind; metadata-only items say PartialObjectMetadata: name the listed kind
    const items = (res.items ?? []).map((o) =>
      q.metadataOnly ? { ...o, apiVersion: q.apiVersion, kind: q.kind } : { apiVersion: q.apiVersion, kind: q.kind, ...o },
    );
    return {
      items,
      ...(res.metadata?.continue ? { continue: res.metadata.continue } : {}),
      ...(res.metadata?.remainingItemCount !== undefined ? { remainingItemCount: res.metadata.remainingItemCount } : {}),
    };
  }

  /** Every item, in pages of PAGE (a very large list never arrives as one response). */
  async listAll(q: Omit<ListPageQuery, 'limit' | 'continue'>): Promise<K8sObject[]> {
    const out: K8sObject[] = [];
    let cont: string | undefined;
    do {
      const p = await this.listPage({ ...q, limit: PAGE, continue: cont });
      for (const o of p.items) out.push(o);
      cont = p.continue;
    } while (cont);
    return out;
  }

  /** How many items a list continuation still holds, counted over metadata-only pages. */
  async countRest(q: Omit<ListPageQuery, 'limit' | 'continue'>, cont: string): Promise<number> {
    let n = 0;
    let c: string | undefined = cont;
    while (c) {
      const p = await this.listPage({ ...q, limit: PAGE, continue: c, metadataOnly: true });
      n += p.items.length;
      if (p.remainingItemCount !== undefined) return n + p.remainingItemCount;
      c = p.continue;
    }
    return n;
  }

  close(): void {
    this.agent.destroy();
  }
}
