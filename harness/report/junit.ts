/**
 * JUnit XML for CI test tabs: a testsuite per kind of result and a testcase per check, per scenario iteration
 * (the steps named `<disruption> #<n>`) and per eval trial, plus one testcase for the run's own verdict. The shape
 * follows the Jenkins xUnit plugin's junit-10.xsd (https://github.com/jenkinsci/xunit-plugin,
 * src/main/resources/org/jenkinsci/plugins/xunit/types/model/xsd/junit-10.xsd), which GitHub/GitLab reporters accept.
 */
import type { ReportModel } from './model.ts';
import { evalJunitSuites } from './eval/render.ts';

export function xmlEsc(s: unknown): string {
  // XML 1.0 forbids most control characters even when escaped: drop them
  return String(s ?? '')
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

export interface JunitCase {
  name: string;
  classname: string;
  seconds: number;
  failure?: { message: string; text: string };
  error?: { message: string; text: string };
  skipped?: string;
}

const secs = (ms: number | null | undefined): number => Math.max(0, (ms ?? 0) / 1000);
const fmtTime = (s: number): string => s.toFixed(3);

export function suite(name: string, cases: JunitCase[], timestamp: string): string {
  const failures = cases.filter((c) => c.failure).length;
  const errors = cases.filter((c) => c.error).length;
  const skipped = cases.filter((c) => c.skipped !== undefined).length;
  const time = cases.reduce((s, c) => s + c.seconds, 0);
  const body = cases
    .map((c) => {
      const inner = c.failure
        ? `<failure message="${xmlEsc(c.failure.message)}" type="failure">${xmlEsc(c.failure.text)}</failure>`
        : c.error
          ? `<error message="${xmlEsc(c.error.message)}" type="error">${xmlEsc(c.error.text)}</error>`
          : c.skipped !== undefined
            ? `<skipped message="${xmlEsc(c.skipped)}"/>`
            : '';
      return `    <testcase name="${xmlEsc(c.name)}" classname="${xmlEsc(c.classname)}" time="${fmtTime(c.seconds)}">${inner}</testcase>`;
    })
    .join('\n');
  return `  <testsuite name="${xmlEsc(name)}" tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${fmtTime(time)}" timestamp="${xmlEsc(timestamp.replace(/Z$/, ''))}">\n${body}\n  </testsuite>`;
}

export function renderJunit(m: ReportModel): string {
  const r = m.detail.run;
  const cls = `netharness.${r.kind}.${r.name}`;
  const suites: string[] = [];
  const runSecs = r.endedAt ? (Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000 : 0;
  const err = (r.summary as { error?: unknown }).error;
  const verdictCase: JunitCase = { name: `${r.kind} ${r.name}`, classname: cls, seconds: runSecs };
  if (r.verdict === 'failed') verdictCase.failure = { message: `run ${r.verdict}`, text: String(err ?? `run ${r.id} failed`) };
  else if (r.verdict !== 'passed') verdictCase.error = { message: `run ${r.verdict}`, text: String(err ?? `run ${r.id} ${r.verdict}`) };
  suites.push(suite(`${cls}.run`, [verdictCase], r.startedAt));

  const iterations = m.detail.steps.filter((s) => /#\d+$/.test(s.name) && s.path.length === 1);
  if (iterations.length)
    suites.push(
      suite(
        `${cls}.iterations`,
        iterations.map((s): JunitCase => {
          const c: JunitCase = { name: s.name, classname: `${cls}.${s.name.replace(/\s*#\d+$/, '')}`, seconds: secs(s.durationMs) };
          if (s.status === 'failed') c.failure = { message: s.error ?? 'iteration failed', text: s.error ?? '' };
          else if (s.status === 'error' || s.status === 'interrupted' || s.status === 'running')
            c.error = { message: s.error ?? `iteration ${s.status}`, text: s.error ?? '' };
          return c;
        }),
        r.startedAt,
      ),
    );
  if (m.detail.checks.length)
    suites.push(
      suite(
        `${cls}.checks`,
        m.detail.checks.map((ch): JunitCase => {
          const c: JunitCase = { name: ch.name, classname: `${cls}.checks`, seconds: secs(ch.durationMs) };
          const fs = m.detail.findings.filter((f) => f.checkId === ch.id);
          const text = [
            ch.summary ?? '',
            ...fs
              .slice(0, 200)
              .map(
                (f) =>
                  `${f.kind} ${f.subject}${f.node ? ` on ${f.node}` : ''}${f.expected !== undefined ? ` expected ${f.expected}` : ''}${f.actual !== undefined ? ` actual ${f.actual}` : ''}${f.message ? `: ${f.message}` : ''}`,
              ),
          ].join('\n');
          if (ch.status === 'failed') c.failure = { message: ch.summary ?? `${fs.length} finding(s)`, text };
          else if (ch.status === 'error') c.error = { message: ch.summary ?? 'check error', text };
          return c;
        }),
        r.startedAt,
      ),
    );
  if (m.trials.length)
    suites.push(
      suite(
        `${cls}.trials`,
        m.trials.map((t): JunitCase => {
          const c: JunitCase = {
            name: `${t.caseId} repeat ${t.repeat} attempt ${t.attempt}`,
            classname: `${cls}.${t.caseId}`,
            seconds: t.seconds ?? 0,
          };
          if (t.status === 'infra' || t.status === 'interrupted') c.error = { message: `trial ${t.status}`, text: t.infraError ?? '' };
          else if (t.passed === false) c.failure = { message: `score ${t.overall}`, text: JSON.stringify(t.scores) };
          else if (t.passed === null) c.skipped = 'not scored';
          return c;
        }),
        r.startedAt,
      ),
    );
  if (m.eval) suites.push(...evalJunitSuites(m.eval));
  const all = suites.join('\n');
  const count = (re: RegExp): number => (all.match(re) ?? []).length;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xmlEsc(`netharness ${r.kind} ${r.name} ${r.id}`)}" tests="${count(/<testcase /g)}" failures="${count(/<failure /g)}" errors="${count(/<error /g)}" time="${fmtTime(runSecs)}">\n${all}\n</testsuites>\n`;
}
