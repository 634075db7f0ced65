/**
 * Secrets never reach the summary files: the runner writes summary.json / summary.md from a scrubbed summary,
 * by the same rules as the database, and a bare token (no key, no "Bearer") is caught by its shape.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REDACTED, scrubSecrets, scrubString } from '../../harness/store/scrub.ts';
import { renderSummaryMarkdown, writeSummaryFiles, type RunSummary } from '../../harness/runner/run.ts';

const SIM_TOKEN = 'q3Xk2_9fjdkLq83ndkfJ2kd93mdkfjeKd92kdmfXa7Z'; // the shape of the sim's random tokens
const GH = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789AB';

describe('scrub', () => {
  it('catches bare tokens by shape and leaves names, paths, uuids and digests alone', () => {
    for (const t of [SIM_TOKEN, GH, 'sk-ant-api03-abcdefghijklmnopqrstuv', 'AKIAABCDEFGHIJKLMNOP', `image=${SIM_TOKEN}`])
      expect(scrubString(t), t).toContain(REDACTED);
    for (const keep of [
      '9b392b3d-f466-4088-80a0-d747f700c62c',
      'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
      '/work/main/results/runs/9b392b3d-f466-4088-80a0-d747f700c62c/summary.json',
      'registry.k8s.io/pause:3.10',
      'corenet-6498-e3c57903-1',
      'egressip consistent after node-reboot #1',
    ])
      expect(scrubString(keep)).toBe(keep);
  });

  it('a count or flag under a secret-looking key stays; a string or object under it goes', () => {
    const out = scrubSecrets({
      effort: { inputTokens: 1200, outputTokens: 340, maxTokens: 4096 },
      tokenRequired: true,
      token: 'abc',
      apiKey: { value: 'x' },
    });
    expect(out.effort).toEqual({ inputTokens: 1200, outputTokens: 340, maxTokens: 4096 });
    expect(out.tokenRequired).toBe(true);
    expect(out.token).toBe(REDACTED);
    expect(out.apiKey).toBe(REDACTED);
  });

  it('summary.json and summary.md written from a scrubbed summary hold no token', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nh-scrub-'));
    try {
      const summary: RunSummary = {
        runId: 'r1',
        scenario: 'x',
        target: 'kubeconfig:/k',
        verdict: 'error',
        exitCode: 2,
        startedAt: '2026-01-01T00:00:00Z',
        endedAt: '2026-01-01T00:00:01Z',
        durationMs: 1000,
        params: { image: `registry.example/app:${GH}`, note: SIM_TOKEN, token: 'plain' },
        steps: { total: 0, passed: 0, failed: 0, error: 0, interrupted: 0 },
        checks: { total: 0, passed: 0, failed: 0, error: 0 },
        findings: {},
        measurements: [],
        tables: [{ title: 't', columns: ['a'], rows: [[`Bearer ${SIM_TOKEN}`]] }],
        error: `kubectl failed: Authorization: Bearer ${SIM_TOKEN}`,
        artifactsDir: dir,
        db: join(dir, 'nh.db'),
      };
      writeSummaryFiles(scrubSecrets(summary));
      const json = readFileSync(join(dir, 'summary.json'), 'utf8');
      const md = readFileSync(join(dir, 'summary.md'), 'utf8');
      for (const text of [json, md, renderSummaryMarkdown(scrubSecrets(summary))]) {
        expect(text).not.toContain(SIM_TOKEN);
        expect(text).not.toContain(GH);
      }
      expect(JSON.parse(json).params.token).toBe(REDACTED);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
