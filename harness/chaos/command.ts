/**
 * `netharness chaos ...`:
 *   chaos list [--json]                          kinds, templates and their params (from chaos/kinds/)
 *   chaos render <template> [--param k=v]...     rendered YAML on stdout (pipe to `kubectl apply -f -`)
 *            [--schedule '@every 30s' [--history-limit N] [--concurrency-policy Forbid|Allow]]
 *   chaos validate <file>                        check a hand-written manifest as the webhook would
 *   chaos inject <template> [--param k=v]... [--hold 30s] [--keep] [--kubeconfig P] [--context C] [--json]
 *   chaos node <reboot|stop-kubelet|start-kubelet|crash> <node> [--image I] [--timeout 120s] [--kubeconfig P]
 * Lists take comma-separated values (--param nodes=worker-0,worker-1).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import type { NodeActionKind } from './node-actions.ts';

// The templates (zod), the injector and node actions (client-node) are loaded by the actions, not by `--help`.
const params = () => import('./cli-params.ts');
const templates = () => import('./templates.ts');

const collect = (v: string, prev: string[]) => [...prev, v];

export function registerChaos(program: Command): void {
  const chaos = program
    .command('chaos')
    .description('Chaos Mesh templates, injection and node actions (reboot, kubelet stop/start, crash)');

  chaos
    .command('list')
    .description("list the chaos kinds, their templates and the templates' params (from the kind registry, chaos/kinds/)")
    .option('--json', 'print { kinds, templates } as JSON (params with expected type, default, required)')
    .action(async (o: { json?: boolean }) => {
      const { listKinds, listTemplates, renderChaosList } = await import('./docs.ts');
      if (o.json) process.stdout.write(`${JSON.stringify({ kinds: listKinds(), templates: listTemplates() }, null, 2)}\n`);
      else process.stdout.write(renderChaosList());
    });

  chaos
    .command('render <template>')
    .description('print the rendered manifest (YAML) for kubectl apply -f -')
    .option('--param <k=v>', 'template param (repeatable)', collect, [])
    .option('--schedule <cron>', "wrap it in a Schedule ('@every 30s' or 5-field cron)")
    .option('--history-limit <n>', 'Schedule historyLimit')
    .option('--concurrency-policy <p>', 'Schedule concurrencyPolicy (Forbid|Allow)')
    .action(async (id: string, o: { param: string[]; schedule?: string; historyLimit?: string; concurrencyPolicy?: string }) => {
      const [{ parseParams, template }, { renderSchedule, renderTemplate }] = await Promise.all([params(), templates()]);
      let r = renderTemplate(template(id), parseParams(o.param));
      if (o.schedule) {
        const hl = o.historyLimit === undefined ? undefined : Number(o.historyLimit);
        r = renderSchedule(r, {
          schedule: o.schedule,
          ...(hl !== undefined ? { historyLimit: hl } : {}),
          ...(o.concurrencyPolicy ? { concurrencyPolicy: o.concurrencyPolicy as 'Forbid' | 'Allow' } : {}),
        });
      }
      process.stdout.write(r.yaml);
    });

  chaos
    .command('validate <file>')
    .description('validate a Chaos Mesh manifest (fields, modes, durations, selectors) as the webhook would')
    .action(async (file: string) => {
      const { parseManifest } = await templates();
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
      }
      const objs = parseManifest(text, file);
      for (const o of objs) process.stdout.write(`${o.kind}/${o.metadata.name}: valid\n`);
    });

  chaos
    .command('inject <template>')
    .description('apply a template, wait AllInjected, hold, recover, print what happened')
    .option('--param <k=v>', 'template param (repeatable)', collect, [])
    .option('--hold <duration>', 'keep it injected this long (default: until its duration ends; one-shot kinds: 0)')
    .option('--timeout <duration>', 'inject and recover waits', '120s')
    .option('--keep', 'leave the object in the cluster after recovery')
    .option('--kubeconfig <path>', 'kubeconfig (default $KUBECONFIG, ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context')
    .option('--json', 'print the result as JSON')
    .action(
      async (
        id: string,
        o: { param: string[]; hold?: string; timeout: string; keep?: boolean; kubeconfig?: string; context?: string; json?: boolean },
      ) => {
        const [{ parseParams, template, durationMs }, { renderTemplate }, { connect }, { injectChaos }] = await Promise.all([
          params(),
          templates(),
          import('../cluster/connect.ts'),
          import('./injector.ts'),
        ]);
        const r = renderTemplate(template(id), parseParams(o.param));
        const timeoutMs = durationMs('--timeout', o.timeout);
        const cluster = connect({ kubeconfig: o.kubeconfig, context: o.context });
        const res = await injectChaos(cluster, r, {
          holdMs: durationMs('--hold', o.hold),
          injectTimeoutMs: timeoutMs,
          recoverTimeoutMs: timeoutMs,
          keep: o.keep,
          log: (l) => process.stderr.write(`${l}\n`),
        });
        if (o.json) process.stdout.write(`${JSON.stringify(res, null, 2)}\n`);
        else
          process.stdout.write(
            `${res.kind} ${res.namespace}/${res.name}: injected ${res.injectedAt} on ${res.targets.join(', ')}; recovered ${res.recoveredAt} (${(res.injectedMs / 1000).toFixed(1)} s)\n`,
          );
      },
    );

  chaos
    .command('node <action> <node>')
    .description('reboot | stop-kubelet | start-kubelet | crash a node through a privileged debug pod, and time NotReady -> Ready')
    .option('--image <image>', 'debug pod image', 'registry.redhat.io/rhel9/support-tools')
    .option('--namespace <ns>', 'debug pod namespace', 'default')
    .option('--timeout <duration>', 'NotReady and Ready waits (krkn default 120s)', '120s')
    .option('--restart-after <duration>', 'stop-kubelet: start it again after this long')
    .option('--kubeconfig <path>', 'kubeconfig (default $KUBECONFIG, ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context')
    .option('--json', 'print the result as JSON')
    .action(
      async (
        action: string,
        node: string,
        o: {
          image: string;
          namespace: string;
          timeout: string;
          restartAfter?: string;
          kubeconfig?: string;
          context?: string;
          json?: boolean;
        },
      ) => {
        const actions: NodeActionKind[] = ['reboot', 'stop-kubelet', 'start-kubelet', 'crash'];
        if (!actions.includes(action as NodeActionKind))
          throw new UsageError(`unknown node action '${action}'`, `actions: ${actions.join(', ')}`);
        const [{ durationMs }, { connect }, { runNodeAction }] = await Promise.all([
          params(),
          import('../cluster/connect.ts'),
          import('./node-actions.ts'),
        ]);
        const t = durationMs('--timeout', o.timeout);
        const cluster = connect({ kubeconfig: o.kubeconfig, context: o.context });
        const r = await runNodeAction(cluster, node, action as NodeActionKind, {
          image: o.image,
          namespace: o.namespace,
          notReadyTimeoutMs: t,
          readyTimeoutMs: t,
          restartAfterMs: durationMs('--restart-after', o.restartAfter),
          log: (l) => process.stderr.write(`${l}\n`),
        });
        if (o.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        else
          process.stdout.write(
            `${action} ${node}: NotReady after ${fmt(r.toNotReadyMs)}, NotReady for ${fmt(r.downMs)}, Ready after ${fmt(r.totalMs)}\n`,
          );
      },
    );
}

function fmt(ms: number | undefined): string {
  return ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`;
}
