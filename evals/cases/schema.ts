/**
 * The eval case format: one YAML file per case in evals/cases/ (`<id>.yaml`), validated with this zod
 * schema (JSON Schema for editors: schemas/eval-case.schema.json, `npm run schemas`).
 *
 * A trial of a case: build the setup fixture, draw the targets from the trial seed (`targets`), render
 * every `{{placeholder}}` in fault / gate / question / truth / heal with the drawn values, run the fault
 * steps in order, wait for every gate condition, hand the question to the agent, score its answer against
 * the truth, run the heal steps. The agent sees the question only: never the file, the truth or a fault id.
 *
 * Placeholders: `{{name}}` where `name` is a key of `targets`. Nothing else is substituted, and a
 * placeholder that `targets` does not declare is a load error (naming file and field).
 */
import { z } from 'zod';
import { CATEGORY_IDS, HEALTHY, LAYERS } from '../taxonomy.ts';

export const PLACEHOLDER_RE = /\{\{\s*([a-zA-Z][a-zA-Z0-9_]*)\s*\}\}/g;
const name = z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]*$/, 'a placeholder name: letters, digits, _ (starts with a letter)');
const nonEmpty = z.string().min(1, 'must not be empty');

// ---------------------------------------------------------------- setup fixtures

export const EgressIPSetup = z.strictObject({
  fixture: z.literal('egressip'),
  /** namespaces, each with one client Deployment and one EgressIP selecting it (neutral names, chosen by the runner) */
  namespaces: z.number().int().min(1).max(50).default(1),
  podsPerNamespace: z.number().int().min(1).max(500).default(2),
  /** nodes labelled k8s.ovn.org/egress-assignable */
  egressNodes: z.number().int().min(1).max(20).default(2),
  ipStack: z.enum(['ipv4', 'ipv6', 'dual']).default('ipv4'),
});
export const PtpSetup = z.strictObject({
  fixture: z.literal('ptp'),
  /** the PTP topology (the embedded cluster's `sim --ptp` mode): grandmaster -> ordinary clocks, a boundary clock, two NICs per worker */
  topology: z.enum(['oc', 'bc', 'dual-nic']).default('oc'),
});
export const PlainSetup = z.strictObject({ fixture: z.literal('plain') });
export const Setup = z.discriminatedUnion('fixture', [EgressIPSetup, PtpSetup, PlainSetup]);
export type Setup = z.output<typeof Setup>;

/** Minimum cluster size a case needs (the runner sizes the embedded cluster for the whole suite). */
export const ClusterNeeds = z.strictObject({ workers: z.number().int().min(1).max(50).default(3) });

// ---------------------------------------------------------------- targets drawn per trial

/** Pools the runner reads from the target after setup; a draw picks one member by the trial seed. */
export const POOLS = [
  'workers',
  'egress-nodes',
  'non-egress-workers',
  'egressips',
  'egressip-namespaces',
  'served-pods',
  'ptp-nodes',
] as const;
/** Values derived from an already drawn one (looked up on the target, not drawn). */
export const DERIVATIONS = [
  'egressip-node',
  'egressip-ip',
  'egressip-of-namespace',
  'namespace-of-pod',
  'pod-node',
  'pod-ip',
  'ovnkube-node-pod',
  'ptp-daemon-pod',
  'transit-ip',
] as const;
export type Pool = (typeof POOLS)[number];
export type Derivation = (typeof DERIVATIONS)[number];

export const TargetDraw = z.union([
  z.strictObject({
    pool: z.enum(POOLS),
    /** never the same value as these (already declared) targets */
    distinctFrom: z.array(name).default([]),
  }),
  z.strictObject({ derive: z.enum(DERIVATIONS), of: name }),
]);
export type TargetDraw = z.output<typeof TargetDraw>;

// ---------------------------------------------------------------- fault steps

const PodRef = z.strictObject({
  namespace: nonEmpty,
  /** a pod name, or a label selector; with `node`, the pod of the selector on that node */
  name: nonEmpty.optional(),
  selector: nonEmpty.optional(),
  node: nonEmpty.optional(),
  container: nonEmpty.optional(),
});
const ExecTarget = z.union([
  z.strictObject({ pod: PodRef }),
  /** a node shell, as `oc debug node/<node>` gives (chroot /host) */
  z.strictObject({ node: nonEmpty }),
]);
const ObjectRef = z.strictObject({
  apiVersion: nonEmpty,
  kind: nonEmpty,
  namespace: nonEmpty.optional(),
  name: nonEmpty,
});

export const LibraryFault = z.strictObject({
  kind: z.literal('library'),
  /** a fault id of the fault library (the embedded cluster's catalogue; on a live cluster, one your lab switch understands) */
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a fault id (lowercase, digits, -)'),
  params: z.record(z.string(), z.string()).optional(),
});
export const ChaosFault = z.strictObject({
  kind: z.literal('chaos'),
  /** a Chaos Mesh manifest (chaos-mesh.org/v1alpha1 PodChaos / NetworkChaos / StressChaos / TimeChaos / Schedule) */
  manifest: z
    .looseObject({
      apiVersion: z.literal('chaos-mesh.org/v1alpha1'),
      kind: z.enum(['PodChaos', 'NetworkChaos', 'StressChaos', 'TimeChaos', 'Schedule']),
      metadata: z.looseObject({ name: nonEmpty }),
      spec: z.record(z.string(), z.unknown()),
    })
    .describe('Chaos Mesh manifest'),
});
export const NodeActionFault = z.strictObject({
  kind: z.literal('node-action'),
  action: z.enum(['reboot', 'stop-kubelet', 'start-kubelet', 'crash']),
  node: nonEmpty,
  /** stop-kubelet only: start it again after this long */
  restartAfterS: z.number().positive().optional(),
  /** return once the node is NotReady instead of waiting for it to come back */
  waitReady: z.boolean().default(true),
});
export const ExecFault = z.strictObject({
  kind: z.literal('exec'),
  /** out-of-band edit the way a person makes it on a live cluster (`ovn-nbctl ...` in the nbdb container, a node shell) */
  target: ExecTarget,
  argv: z.array(z.string()).min(1, 'argv needs at least the program'),
});
export const K8sFault = z.strictObject({
  kind: z.literal('k8s'),
  op: z.enum(['patch', 'delete', 'apply']),
  object: ObjectRef,
  /** op patch: a JSON merge patch (null deletes a key) */
  patch: z.record(z.string(), z.unknown()).optional(),
  /** op apply: the whole object (server-side apply, field manager netharness-eval) */
  manifest: z.record(z.string(), z.unknown()).optional(),
});
export const WaitStep = z.strictObject({ kind: z.literal('wait'), seconds: z.number().positive().max(600) });

export const FaultStep = z
  .discriminatedUnion('kind', [LibraryFault, ChaosFault, NodeActionFault, ExecFault, K8sFault, WaitStep])
  .superRefine((s, ctx) => {
    if (s.kind === 'k8s' && s.op === 'patch' && !s.patch)
      ctx.addIssue({ code: 'custom', path: ['patch'], message: 'op patch needs a patch' });
    if (s.kind === 'k8s' && s.op === 'apply' && !s.manifest)
      ctx.addIssue({ code: 'custom', path: ['manifest'], message: 'op apply needs a manifest' });
    if (s.kind === 'exec' && 'pod' in s.target && !s.target.pod.name && !s.target.pod.selector)
      ctx.addIssue({ code: 'custom', path: ['target', 'pod'], message: 'a pod needs a name or a selector' });
  });
export type FaultStep = z.output<typeof FaultStep>;

// ---------------------------------------------------------------- readiness gate

export const FindingGate = z.strictObject({
  kind: z.literal('finding'),
  /** a registered check (`netharness check list`) */
  check: nonEmpty,
  findingKind: nonEmpty,
  params: z.record(z.string(), z.string()).optional(),
  /** the finding must be on this node / about this subject (substring of the finding's subject) */
  node: nonEmpty.optional(),
  subject: nonEmpty.optional(),
});
export const CheckPassesGate = z.strictObject({
  kind: z.literal('check-passes'),
  check: nonEmpty,
  params: z.record(z.string(), z.string()).optional(),
});
export const MetricGate = z.strictObject({
  kind: z.literal('metric'),
  /** PromQL (instant query) */
  query: nonEmpty,
  op: z.enum(['==', '!=', '<', '<=', '>', '>=']),
  value: z.number(),
});
export const PodGate = z.strictObject({
  kind: z.literal('pod'),
  namespace: nonEmpty,
  name: nonEmpty.optional(),
  selector: nonEmpty.optional(),
  node: nonEmpty.optional(),
  container: nonEmpty.optional(),
  state: z.enum(['Running', 'Ready', 'NotReady', 'CrashLoopBackOff', 'Pending', 'Absent']),
});
export const NodeGate = z.strictObject({ kind: z.literal('node'), name: nonEmpty, ready: z.boolean() });
export const ExecGate = z.strictObject({
  kind: z.literal('exec'),
  target: ExecTarget,
  argv: z.array(z.string()).min(1),
  /** 'nonzero' = the command must fail (a daemon's control socket is gone) */
  exitCode: z.union([z.number().int(), z.literal('nonzero')]).optional(),
  /** a regular expression the stdout must match */
  stdoutMatches: nonEmpty.optional(),
});
export const GateCondition = z.discriminatedUnion('kind', [FindingGate, CheckPassesGate, MetricGate, PodGate, NodeGate, ExecGate]);
export type GateCondition = z.output<typeof GateCondition>;

export const Gate = z.strictObject({
  /** all must hold (polled) before the agent starts; a gate that never holds is an infra error, not a wrong answer */
  all: z.array(GateCondition).min(1, 'a gate needs at least one condition'),
  timeoutS: z.number().positive().max(1800).default(180),
});

// ---------------------------------------------------------------- truth

/**
 * A scoring pattern (evals/scoring/text.ts): words that must all occur in one sentence of the answer, in any
 * order; `a|b` alternatives for one word, `word*` a prefix; or `re:<regex>` for a raw regular expression.
 * A match preceded by a negation in its clause ("not", "no", "isn't", "rather than", ...) is not credited.
 */
export const Pattern = nonEmpty;

export const TruthEntity = z.strictObject({
  /** what the entity is (node, pod, egressip, logical-router, port, process, ptpconfig, ...), for humans and reports */
  kind: nonEmpty,
  name: nonEmpty,
  /** other names that denote the same thing (its ovnkube-node pod, GR_<node>, its IP, ...) */
  aliases: z.array(nonEmpty).default([]),
  /** false: naming it is correct but not needed (a neighbouring entity); counts for precision only */
  required: z.boolean().default(true),
});
export type TruthEntity = z.output<typeof TruthEntity>;

export const ChecklistItem = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  /** the fact, for humans and reports */
  text: nonEmpty,
  /** alternative wordings: any one matching credits the item */
  any: z.array(Pattern).min(1),
});
export type ChecklistItem = z.output<typeof ChecklistItem>;

export const Checklist = z.strictObject({
  items: z.array(ChecklistItem).min(1),
  /** items needed to pass this level (default: all) */
  min: z.number().int().min(1).optional(),
});
export type Checklist = z.output<typeof Checklist>;

export const LEVELS = ['detection', 'localization', 'category', 'mechanism', 'remediation'] as const;
export type Level = (typeof LEVELS)[number];

export const FaultTruth = z.strictObject({
  category: z
    .string()
    .refine((c) => CATEGORY_IDS.includes(c) && c !== HEALTHY, { message: `a taxonomy category (evals/taxonomy.ts), not '${HEALTHY}'` }),
  entities: z.array(TruthEntity).min(1),
  mechanism: Checklist,
  remediation: Checklist,
  /** the levels a passing trial needs (default: detection, localization, category, mechanism) */
  requires: z.array(z.enum(LEVELS)).min(1).default(['detection', 'localization', 'category', 'mechanism']),
});
export const HealthyTruth = z.strictObject({ healthy: z.literal(true) });
export const Truth = z.union([HealthyTruth, FaultTruth]);
export type FaultTruth = z.output<typeof FaultTruth>;
export type Truth = z.output<typeof Truth>;

export function isHealthyTruth(t: Truth): t is z.output<typeof HealthyTruth> {
  return 'healthy' in t;
}

// ---------------------------------------------------------------- the case

export const EvalCase = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and -'),
    title: nonEmpty,
    /** for maintainers; never shown to the agent */
    notes: z.string().optional(),
    tags: z.strictObject({
      layer: z.enum(LAYERS),
      difficulty: z.enum(['easy', 'medium', 'hard']),
      /** free tags for reports and --suite selection (e.g. egressip, smoke) */
      extra: z.array(nonEmpty).default([]),
    }),
    /** may run against a live cluster (`--kubeconfig`): the fault is reversible and confined */
    liveSafe: z.boolean().default(false),
    cluster: ClusterNeeds.default({ workers: 3 }),
    setup: Setup,
    targets: z.record(name, TargetDraw).default({}),
    /** steps in order; empty for a control */
    fault: z.array(FaultStep).default([]),
    gate: Gate,
    /** the question the agent gets: neutral, symptom-level, naming no cause */
    question: nonEmpty,
    truth: Truth,
    /** undo steps after the trial (besides the runner's own heal: faults off, chaos deleted, nodes back) */
    heal: z.array(FaultStep).default([]),
  })
  .superRefine((c, ctx) => {
    const healthy = isHealthyTruth(c.truth);
    if (healthy && c.fault.length)
      ctx.addIssue({ code: 'custom', path: ['fault'], message: 'a control (truth healthy) has no fault steps' });
    if (!healthy && !c.fault.length)
      ctx.addIssue({ code: 'custom', path: ['fault'], message: 'a fault case needs at least one fault step' });
    // targets: derivations and distinctFrom may only refer to targets declared before them
    const seen: string[] = [];
    for (const [k, d] of Object.entries(c.targets)) {
      const refs = 'pool' in d ? d.distinctFrom : [d.of];
      for (const r of refs)
        if (!seen.includes(r))
          ctx.addIssue({ code: 'custom', path: ['targets', k], message: `refers to '${r}', which is not a target declared before it` });
      seen.push(k);
    }
    // the question must not hand the answer over: no fault id of its steps, no category or fault class name
    const q = c.question.toLowerCase();
    const giveaways = [
      ...[...c.fault, ...c.heal].flatMap((st) => (st.kind === 'library' ? [st.id] : [])),
      ...('category' in c.truth && typeof c.truth.category === 'string' ? [c.truth.category, c.truth.category.split('/')[1] ?? ''] : []),
    ];
    for (const g of giveaways)
      if (g && q.includes(g.toLowerCase()))
        ctx.addIssue({ code: 'custom', path: ['question'], message: `names '${g}': the question must be neutral (symptoms only)` });
    // every placeholder used is a declared target
    for (const field of ['fault', 'gate', 'question', 'truth', 'heal'] as const) {
      walkStrings(c[field], [field], (s, path) => {
        for (const m of s.matchAll(PLACEHOLDER_RE))
          if (!(m[1]! in c.targets))
            ctx.addIssue({
              code: 'custom',
              path,
              message: `placeholder {{${m[1]}}} is not declared in targets (have: ${Object.keys(c.targets).join(', ') || 'none'})`,
            });
      });
    }
  });
export type EvalCase = z.output<typeof EvalCase>;
export type EvalCaseInput = z.input<typeof EvalCase>;

/** Visit every string in a JSON-like value with its path (for placeholder checks and rendering). */
export function walkStrings(v: unknown, path: (string | number)[], fn: (s: string, path: (string | number)[]) => void): void {
  if (typeof v === 'string') fn(v, path);
  else if (Array.isArray(v)) v.forEach((x, i) => walkStrings(x, [...path, i], fn));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walkStrings(x, [...path, k], fn);
}
