/**
 * Model agents end to end through `netharness eval` on one embedded cluster (a detached sim, reached with
 * --kubeconfig; the runner finds its read-only identity and hides the fault library as for --target sim).
 * The model is a local fake speaking the real protocols: our own (test/support/fake-llm.ts, OpenAI Chat
 * Completions) and @copilotkit/aimock (Anthropic Messages). All runs go into one database:
 * - the same fake-model trial (a no-fault control) against netharness's own MCP server and against
 *   kubernetes-mcp-server (read-only), scored end to end, side by side in one accuracy report
 *   (`report RUN --with ...`, with the anthropic run);
 * - anthropic through aimock, scored;
 * - usage and cost recorded per trial (effort) and per step (transcript);
 * - 401: exit 2, a usage error naming OPENAI_API_KEY, the run stops;
 * - 500 until the retries run out: the trial is an infra error (exit 2), never a wrong answer;
 * - the canary key never appears in the DB, the output, the reports or the sim's files.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { LLMock } from '@copilotkit/aimock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, startDetachedSim, stopSim, type CliResult } from '../support/cli.ts';
import { controlBrain, startFakeLlm, type FakeLlm } from '../support/fake-llm.ts';
import { tempDir } from '../support/tmp.ts';

const CANARY = 'nh.canary.e2e.Key.90210'; // not key-shaped: the scrubber would not catch it, only our care
const CASE = join(ROOT, 'test/evals/fixtures/cases/quiet-egress.yaml');

function kubernetesMcpServerBinary(): string {
  const pkg = `kubernetes-mcp-server-${process.platform}-${process.arch === 'x64' ? 'amd64' : process.arch}`;
  return createRequire(import.meta.url).resolve(`${pkg}/bin/${pkg}`);
}

interface Trial {
  case: string;
  status: string;
  passed: boolean | null;
  scores: { overall: number; detection: number } | null;
  effort: { toolCalls: number; inputTokens: number; outputTokens: number; costUsd?: number; steps: number };
  infraError: string | null;
}
interface Out {
  runId: string | null;
  trials: Trial[];
  error?: string;
}

const dir = tempDir('model-e2e-');
const db = join(dir, 'eval.db');
let kubeconfig: string;
let fake: FakeLlm;
let aimock: LLMock;
const outputs: CliResult[] = [];
const runIds: Record<string, string> = {};
const prices = join(dir, 'prices.yaml');
const started = Date.now();

async function evalRun(args: string[], env: Record<string, string>): Promise<{ r: CliResult; out: Out }> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const r = await runCli(['eval', '--cases', CASE, '--kubeconfig', kubeconfig, '--db', db, '--prices', prices, '--json', ...args]);
    outputs.push(r);
    return { r, out: JSON.parse(r.stdout) as Out };
  } finally {
    for (const k of Object.keys(env))
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
  }
}

beforeAll(async () => {
  kubeconfig = startDetachedSim(join(dir, 'sim'), { speed: 20, nodes: '1+3' });
  writeFileSync(
    prices,
    'models:\n  openai/fake-rca: { input: 1, cachedInput: 0.5, output: 2 }\n  anthropic/fake-claude: { input: 3, output: 15 }\n',
  );
  fake = await startFakeLlm({ apiKey: CANARY, brain: controlBrain });
  aimock = new LLMock({ port: 0, logLevel: 'silent', auth: { apiKeys: [CANARY] } });
  const toolMsgs = (req: { messages?: { role: string }[] }) => (req.messages ?? []).filter((m) => m.role === 'tool').length;
  const usage = { input_tokens: 800, output_tokens: 40 };
  aimock.on(
    { predicate: (req) => toolMsgs(req) === 0 },
    { toolCalls: [{ name: 'k8s_list', arguments: JSON.stringify({ kind: 'Pod', namespace: 'tenant-a' }) }], usage },
  );
  aimock.on(
    { predicate: (req) => toolMsgs(req) === 1 },
    { toolCalls: [{ name: 'k8s_list', arguments: JSON.stringify({ kind: 'EgressIP' }) }], usage },
  );
  aimock.on(
    { predicate: (req) => toolMsgs(req) === 2 },
    {
      toolCalls: [
        {
          name: 'submit_rca',
          arguments: JSON.stringify({
            detected: false,
            entities: [],
            mechanism: 'egress works as configured',
            remediation: 'nothing to do',
          }),
        },
      ],
      usage,
    },
  );
  await aimock.start();
}, 240_000);

afterAll(async () => {
  await fake?.close();
  await aimock?.stop();
  if (kubeconfig) stopSim(join(dir, 'sim'));
}, 90_000);

const openai = (extra: string[] = []) => ['--agent', 'openai', '--model', 'fake-rca', '--base-url', fake.url, ...extra];

describe('model agents through netharness eval', () => {
  const show = async (id: string) =>
    (
      JSON.parse((await runCli(['runs', 'show', id, '--db', db, '--json'])).stdout) as {
        eval: { trials: { toolCalls: { server: string; tool: string }[]; transcript: { role: string; content: string }[] }[] };
      }
    ).eval.trials[0];

  // the same fake model, the same case, two MCP servers: each run scored, with usage and cost
  async function sameTrial(name: 'netharness' | 'kubernetes-mcp-server', extra: string[]) {
    fake.journal.length = 0;
    const { r, out } = await evalRun(openai(extra), { OPENAI_API_KEY: CANARY });
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const t = out.trials[0];
    expect(t.status).toBe('scored');
    expect(t.passed).toBe(true);
    expect(t.scores?.overall).toBe(1);
    // two cluster tools, then submit_rca; three model steps, usage of all three (1000+1500+2000 in, 3x50 out)
    expect(t.effort).toMatchObject({ toolCalls: 2, steps: 3, inputTokens: 4500, outputTokens: 150 });
    expect(t.effort.costUsd).toBeCloseTo((3700 * 1 + 800 * 0.5 + 150 * 2) / 1e6, 9);
    expect(fake.journal.filter((j) => j.status === 200)).toHaveLength(3);
    runIds[name] = out.runId!;
    return show(out.runId!);
  }

  it('a fake-model trial against netharness mcp: scored, usage per step and in total, cost', async () => {
    const nh = await sameTrial('netharness', []);
    expect(nh.toolCalls.map((c) => `${c.server}/${c.tool}`)).toEqual(['netharness/k8s_list', 'netharness/k8s_list', 'proxy/submit_rca']);
    expect(nh.transcript.filter((e) => e.content.startsWith('step usage '))).toHaveLength(3);
    expect(nh.transcript.some((e) => /^system prompt rca-v1 \(sha256 [0-9a-f]{12}\)/.test(e.content))).toBe(true);
  }, 400_000);

  it('the same trial against kubernetes-mcp-server (read-only): scored, into the same database', async () => {
    const k8s = join(dir, 'k8s-mcp.json');
    writeFileSync(
      k8s,
      JSON.stringify({
        mcpServers: {
          'kubernetes-mcp-server': {
            command: kubernetesMcpServerBinary(),
            args: ['--kubeconfig', '${KUBECONFIG}', '--disable-multi-cluster', '--read-only'],
            env: { HOME: dir },
          },
        },
      }),
    );
    const km = await sameTrial('kubernetes-mcp-server', ['--mcp-config', k8s]);
    expect(km.toolCalls.map((c) => `${c.server}/${c.tool}`)).toEqual([
      'kubernetes-mcp-server/pods_list_in_namespace',
      'kubernetes-mcp-server/resources_list',
      'proxy/submit_rca',
    ]);
  }, 400_000);

  it('anthropic through @copilotkit/aimock: scored end to end', async () => {
    const { r, out } = await evalRun(['--agent', 'anthropic', '--model', 'fake-claude', '--base-url', `${aimock.url}/v1`], {
      ANTHROPIC_API_KEY: CANARY,
    });
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const t = out.trials[0];
    expect(t).toMatchObject({ status: 'scored', passed: true });
    expect(t.effort).toMatchObject({ toolCalls: 2, steps: 3, inputTokens: 2400, outputTokens: 120 });
    expect(t.effort.costUsd).toBeCloseTo((2400 * 3 + 120 * 15) / 1e6, 9);
    runIds.anthropic = out.runId!;
  }, 300_000);

  it('401: exit 2, a usage error naming OPENAI_API_KEY, without the key', async () => {
    const { r, out } = await evalRun(openai(), { OPENAI_API_KEY: `${CANARY}-revoked` });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/openai: 127\.0\.0\.1:\d+ refused the API key \(HTTP 401\)/);
    expect(r.stderr).toMatch(/set OPENAI_API_KEY to a valid key/);
    expect(out.error).toMatch(/refused the API key/);
    // one attempt: a usage error is not retried as infra
    expect(r.stderr).not.toMatch(/attempt 2/);
  }, 300_000);

  it('500 until the retries run out: the trial is an infra error, not a wrong answer', async () => {
    fake.journal.length = 0;
    fake.failNext(...Array.from({ length: 2 }, () => ({ status: 500, message: 'The server had an error processing your request' })));
    const { r, out } = await evalRun(openai(['--retries', '0', '--agent-param', 'retries=1', '--agent-param', 'retryBaseMs=50']), {
      OPENAI_API_KEY: CANARY,
    });
    expect(r.code).toBe(2);
    const t = out.trials[0];
    expect(t.status).toBe('infra');
    expect(t.passed).toBeNull();
    expect(t.scores).toBeNull();
    expect(t.infraError).toMatch(/openai: HTTP 500 from 127\.0\.0\.1:\d+ after 2 attempts/);
    expect(fake.journal.map((j) => j.status)).toEqual([500, 500]);
  }, 300_000);

  it('the canary key appears nowhere: database, output, reports, the sim and the work directory', async () => {
    expect(Object.keys(runIds)).toHaveLength(3);
    // one accuracy report of the three runs (netharness report --with): both MCP servers side by side
    const reports = join(dir, 'reports');
    const rep = await runCli([
      'report',
      runIds.netharness,
      '--with',
      `${runIds['kubernetes-mcp-server']},${runIds.anthropic}`,
      '--db',
      db,
      '--out',
      reports,
      '--format',
      'html,md,json,junit',
    ]);
    expect(rep.code, rep.stderr.slice(-1500)).toBe(0);
    outputs.push(rep);
    const model = JSON.parse(readFileSync(join(reports, 'report.json'), 'utf8')) as {
      eval: {
        groups: {
          label: string;
          stats: { levels: { overall: { pass1: { mean: number } } }; effort: { costUsd: { total: number } | null } };
        }[];
      };
    };
    const groups = new Map(model.eval.groups.map((g) => [g.label, g.stats]));
    for (const label of ['openai/fake-rca x netharness', 'openai/fake-rca x kubernetes-mcp-server', 'anthropic/fake-claude x netharness']) {
      expect(groups.get(label)?.levels.overall.pass1.mean, `${label} in ${[...groups.keys()].join(', ')}`).toBe(1);
      expect(groups.get(label)?.effort.costUsd?.total).toBeGreaterThan(0);
    }
    const md = readFileSync(join(reports, 'report.md'), 'utf8');
    expect(md).toContain('openai/fake-rca x netharness');
    expect(md).toContain('openai/fake-rca x kubernetes-mcp-server');
    // the whole work directory (the DB and its WAL, reports, the sim's logs and state) and what this file's
    // runs may have written under the project's results/
    const files: string[] = [];
    const walk = (d: string, since = 0) => {
      for (const e of readdirSync(d)) {
        const p = join(d, e);
        const s = statSync(p, { throwIfNoEntry: false });
        if (s?.isDirectory()) walk(p, since);
        else if (s?.isFile() && s.size < 200 * 1024 * 1024 && s.mtimeMs >= since) files.push(p);
      }
    };
    walk(dir);
    if (existsSync(join(ROOT, 'results'))) walk(join(ROOT, 'results'), started);
    expect(files.some((f) => f.endsWith('eval.db'))).toBe(true);
    expect(files.filter((f) => f.includes('/reports/')).length).toBeGreaterThan(0);
    for (const f of files) expect(readFileSync(f).includes(CANARY), f).toBe(false);
    for (const o of outputs) expect(`${o.stdout}\n${o.stderr}`).not.toContain(CANARY);
    // and the DB did record the runs (the grep looked at the right thing)
    expect(readFileSync(db).includes(Buffer.from('fake-rca'))).toBe(true);
  }, 300_000);
});
