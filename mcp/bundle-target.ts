/**
 * The offline target: a bundle directory. API objects and logs come from files; OVN NB/SB tools run
 * the real ovn-nbctl / ovn-sbctl / ovn-trace / ovsdb-client against a local ovsdb-server serving a COPY of the
 * node's bundled DB (so any table, column or condition works and the bundle is never changed);
 * other node commands answer from the outputs captured at export time.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { UsageError } from '../harness/errors.ts';
import { commandKey, type Manifest } from './bundle-format.ts';
import { ToolError, type CommandOutput, type K8sObject, type ListQuery, type LogQuery, type NodeCommand, type Target } from './target.ts';

function getPath(o: unknown, path: string): unknown {
  let cur: unknown = o;
  for (const p of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

/** Kubernetes label-selector strings: a=b, a==b, a!=b, a, !a, a in (x,y), a notin (x,y). */
export function labelSelectorMatches(sel: string, labels: Record<string, string> = {}): boolean {
  const terms = sel.match(/[^,(]+(\([^)]*\))?/g) ?? [];
  return terms.every((raw) => {
    const t = raw.trim();
    if (!t) return true;
    let m = /^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(t);
    if (m) {
      const vals = m[3].split(',').map((v) => v.trim());
      return m[2] === 'in' ? m[1] in labels && vals.includes(labels[m[1]]) : !(m[1] in labels && vals.includes(labels[m[1]]));
    }
    m = /^([^\s!=]+)\s*(==|=|!=)\s*(.*)$/.exec(t);
    if (m) return m[2] === '!=' ? labels[m[1]] !== m[3] : labels[m[1]] === m[3];
    if (t.startsWith('!')) return !(t.slice(1) in labels);
    return t in labels;
  });
}

export function fieldSelectorMatches(sel: string, o: K8sObject): boolean {
  return sel.split(',').every((raw) => {
    const m = /^([^!=]+)(==|=|!=)(.*)$/.exec(raw.trim());
    if (!m) return true;
    const v = getPath(o, m[1].trim());
    const s = v === undefined || v === null ? '' : String(v);
    return m[2] === '!=' ? s !== m[3] : s === m[3];
  });
}

interface LocalDb {
  proc: ChildProcess;
  sock: string;
}

export class BundleTarget implements Target {
  readonly mode = 'bundle' as const;
  readonly description: string;
  private objects = new Map<string, K8sObject[]>();
  private tmp: string | undefined;
  private dbs = new Map<string, Promise<LocalDb>>();

  private constructor(
    readonly dir: string,
    readonly manifest: Manifest,
  ) {
    this.description = `bundle ${dir} (from ${manifest.source}, ${manifest.createdAt})`;
  }

  static open(dir: string): BundleTarget {
    const d = resolve(dir);
    const mf = join(d, 'manifest.json');
    if (!existsSync(mf))
      throw new UsageError(`--bundle: no manifest.json in ${d}`, 'create a bundle with: netharness bundle --kubeconfig <path> --out <dir>');
    const manifest = JSON.parse(readFileSync(mf, 'utf8')) as Manifest;
    if (manifest.tool !== 'netharness') throw new UsageError(`--bundle: ${mf} is not a netharness bundle manifest`);
    return new BundleTarget(d, manifest);
  }

  private kindObjects(kind: string): K8sObject[] {
    let objs = this.objects.get(kind);
    if (!objs) {
      const entry = this.manifest.kinds.find((k) => k.kind === kind);
      objs = entry ? (JSON.parse(readFileSync(join(this.dir, entry.file), 'utf8')) as K8sObject[]) : [];
      this.objects.set(kind, objs);
    }
    return objs;
  }

  async list(q: ListQuery): Promise<K8sObject[]> {
    if (!this.manifest.kinds.some((k) => k.kind === q.kind))
      throw new ToolError(`kind ${q.kind} is not in this bundle (have: ${this.manifest.kinds.map((k) => k.kind).join(', ')})`);
    return this.kindObjects(q.kind)
      .filter((o) => !q.namespace || o.metadata?.namespace === q.namespace)
      .filter((o) => !q.labelSelector || labelSelectorMatches(q.labelSelector, o.metadata?.labels))
      .filter((o) => !q.fieldSelector || fieldSelectorMatches(q.fieldSelector, o))
      .map((o) => ({ kind: q.kind, ...structuredClone(o) }));
  }

  async get(_apiVersion: string, kind: string, name: string, namespace?: string): Promise<K8sObject | undefined> {
    const o = this.kindObjects(kind).find((x) => x.metadata?.name === name && (!namespace || x.metadata?.namespace === namespace));
    return o ? { kind, ...structuredClone(o) } : undefined;
  }

  async logs(q: LogQuery): Promise<string> {
    const all = this.manifest.logs.filter((l) => l.namespace === q.namespace && l.pod === q.pod);
    const entries = all.filter((l) => Boolean(l.previous) === Boolean(q.previous));
    if (q.previous && !entries.length) throw new ToolError(`previous-container logs of ${q.namespace}/${q.pod} are not in this bundle`);
    if (!entries.length)
      throw new ToolError(
        `no logs for pod ${q.namespace}/${q.pod} in this bundle (bundles hold the logs of ${[...new Set(this.manifest.logs.map((l) => l.namespace))].join(', ') || 'no'} namespace pods)`,
      );
    const e = q.container ? entries.find((l) => l.container === q.container) : entries.length === 1 ? entries[0] : undefined;
    if (!e) throw new ToolError(`pod ${q.namespace}/${q.pod} has containers ${entries.map((l) => l.container).join(', ')}: pass container`);
    const text = readFileSync(join(this.dir, e.file), 'utf8');
    if (!q.tailLines) return text;
    const lines = text.replace(/\n$/, '').split('\n');
    return `${lines.slice(-q.tailLines).join('\n')}\n`;
  }

  async nodes(): Promise<string[]> {
    return Object.keys(this.manifest.nodes).sort();
  }

  private node(name: string) {
    const n = this.manifest.nodes[name];
    if (!n) throw new ToolError(`node ${name} is not in this bundle (nodes: ${Object.keys(this.manifest.nodes).join(', ')})`);
    return n;
  }

  /** A local ovsdb-server on a copy of the node's bundled NB or SB file (started once, on demand). */
  private localDb(node: string, which: 'nb' | 'sb'): Promise<LocalDb> {
    const key = `${node}/${which}`;
    let p = this.dbs.get(key);
    if (!p) {
      p = (async () => {
        const n = this.node(node);
        const file = which === 'nb' ? n.nbDb : n.sbDb;
        if (!file) throw new ToolError(`the ${which.toUpperCase()} DB of node ${node} is not in this bundle`);
        this.tmp ??= mkdtempSync(join(tmpdir(), 'nhb-'));
        const id = `${this.dbs.size}${which}`;
        const db = join(this.tmp, `${id}.db`);
        copyFileSync(join(this.dir, file), db);
        const sock = join(this.tmp, `${id}.sock`);
        const proc = spawn(
          'ovsdb-server',
          [
            `--remote=punix:${sock}`,
            `--unixctl=${join(this.tmp, `${id}.ctl`)}`,
            '--no-chdir',
            `--log-file=${join(this.tmp, `${id}.log`)}`,
            db,
          ],
          { stdio: 'ignore' },
        );
        const failed = new Promise<never>((_, reject) => {
          proc.once('error', (err) =>
            reject(
              new ToolError(
                `could not start ovsdb-server for the bundled ${which.toUpperCase()} DB of ${node}: ${err.message} (install openvswitch-switch)`,
              ),
            ),
          );
          proc.once('exit', (code) =>
            reject(new ToolError(`ovsdb-server for the bundled ${which.toUpperCase()} DB of ${node} exited with code ${code}`)),
          );
        });
        const ready = (async () => {
          for (let i = 0; i < 200 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 25));
          if (!existsSync(sock)) throw new ToolError(`ovsdb-server for ${node} ${which} did not come up`);
        })();
        await Promise.race([ready, failed]);
        failed.catch(() => undefined);
        return { proc, sock };
      })();
      this.dbs.set(key, p);
      p.catch(() => this.dbs.delete(key));
    }
    return p;
  }

  async nodeExec(cmd: NodeCommand, opts: { timeoutMs?: number } = {}): Promise<CommandOutput> {
    const n = this.node(cmd.node);
    const bin = cmd.argv[0];
    // ovsdb-client get-schema|query <server> ...: the same read, against the local server of that DB (the guard
    // allows only the ovnnb_db.sock / ovnsb_db.sock servers, so the socket's name says which DB)
    const ovsdbClient = bin === 'ovsdb-client' && /\/ovn(nb|sb)_db\.sock$/.exec(cmd.argv[2] ?? '');
    if (bin === 'ovn-nbctl' || bin === 'ovn-sbctl' || bin === 'ovn-trace' || ovsdbClient) {
      const which = ovsdbClient ? (ovsdbClient[1] as 'nb' | 'sb') : bin === 'ovn-nbctl' ? 'nb' : 'sb';
      const db = await this.localDb(cmd.node, which);
      const argv = ovsdbClient ? [cmd.argv[1], `unix:${db.sock}`, ...cmd.argv.slice(3)] : [`--db=unix:${db.sock}`, ...cmd.argv.slice(1)];
      return new Promise((resolvePromise) => {
        execFile(bin, argv, { maxBuffer: 256 * 1024 * 1024, timeout: opts.timeoutMs ?? 60_000 }, (err, stdout, stderr) => {
          const code = err
            ? typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === 'number'
              ? Number((err as { code?: unknown }).code)
              : 1
            : 0;
          resolvePromise({
            stdout: String(stdout),
            stderr: String(stderr) || (err && !stderr ? err.message : ''),
            exitCode: code,
            where: `bundle ${cmd.node} ${which}.db`,
          });
        });
      });
    }
    const key = commandKey(cmd.argv);
    const hit = n.commands.find((c) => commandKey(c.argv) === key);
    if (hit)
      return {
        stdout: readFileSync(join(this.dir, hit.file), 'utf8'),
        stderr: hit.stderr,
        exitCode: hit.exitCode,
        where: `bundle ${cmd.node} (captured from ${n.pod ?? '?'}/${hit.container})`,
      };
    // Narrower variants answered from the full capture.
    const narrowed = this.narrow(n.commands, cmd.argv);
    if (narrowed) return { ...narrowed, where: `bundle ${cmd.node} (filtered from a captured full output)` };
    throw new ToolError(
      `\`${cmd.argv.join(' ')}\` was not captured in this bundle for node ${cmd.node}; captured: ${n.commands.map((c) => c.argv.join(' ')).join('; ')}`,
    );
  }

  private narrow(commands: Manifest['nodes'][string]['commands'], argv: string[]): Omit<CommandOutput, 'where'> | undefined {
    const last = argv[argv.length - 1];
    const m = /^(table|zone)=(\d+)$/.exec(last);
    if (!m) return undefined;
    const base = commandKey(argv.slice(0, -1));
    const full = commands.find((c) => commandKey(c.argv) === base);
    if (!full) return undefined;
    const text = readFileSync(join(this.dir, full.file), 'utf8');
    const re = new RegExp(`(^|[ ,])${m[1]}=${m[2]}(,|$| )`);
    return {
      stdout: text
        .split('\n')
        .filter((l) => re.test(l))
        .join('\n'),
      stderr: '',
      exitCode: full.exitCode,
    };
  }

  async close(): Promise<void> {
    for (const p of this.dbs.values()) {
      const db = await p.catch(() => undefined);
      db?.proc.kill('SIGTERM');
    }
    this.dbs.clear();
    if (this.tmp) rmSync(this.tmp, { recursive: true, force: true });
    this.tmp = undefined;
  }
}
