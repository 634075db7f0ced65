/**
 * Renders sim/ovnkube/FAULTS.md (and, with --json, sim/ovnkube/faults.json) from the fault catalogue (faults/).
 *   npx tsx sim/ovnkube/faults-doc.ts > sim/ovnkube/FAULTS.md
 *   npx tsx sim/ovnkube/faults-doc.ts --json > sim/ovnkube/faults.json
 */
import { FAULTS, FAULTS_CATALOGUE_CONFIGMAP, FAULTS_CONFIGMAP, FAULTS_NAMESPACE } from '../../faults/index.ts';

export function renderFaultsMarkdown(): string {
  const out: string[] = [];
  out.push('# Fault library of the emulated ovnkube');
  out.push('');
  out.push(
    'Generated from the catalogue in `faults/` (`npx tsx sim/ovnkube/faults-doc.ts > sim/ovnkube/FAULTS.md`); a test keeps it in sync.',
  );
  out.push(
    'Each fault names the upstream ovn-org/ovn-kubernetes bug class it reproduces (go-controller/pkg/ovn/egressip.go, pkg/clustermanager/egressip_controller.go).',
  );
  out.push('');
  out.push(`The catalogue is also data: \`sim/ovnkube/faults.json\` and, on a running sim, ConfigMap \`${FAULTS_CATALOGUE_CONFIGMAP}\``);
  out.push(`in namespace \`${FAULTS_NAMESPACE}\` (one key per fault id, JSON), so tools outside sim/ read it through the kubeconfig:`);
  out.push(`\`kubectl -n ${FAULTS_NAMESPACE} get cm ${FAULTS_CATALOGUE_CONFIGMAP} -o jsonpath='{.data.eip-duplicate-snat}'\`.`);
  out.push('');
  out.push('## Switching faults on and off');
  out.push('');
  out.push(
    `Faults are switched at runtime through the Kubernetes API: ConfigMap \`${FAULTS_CONFIGMAP}\` in namespace \`${FAULTS_NAMESPACE}\``,
  );
  out.push('(created by the sim if missing). One data key per fault id; the value is `on`, or a JSON object of params');
  out.push('(most faults take `{"node":"<node>"}` to act on one zone only); `off`, an empty value or no key switches it off.');
  out.push('');
  out.push('```sh');
  out.push(
    `kubectl -n ${FAULTS_NAMESPACE} patch configmap ${FAULTS_CONFIGMAP} --type merge -p '{"data":{"eip-stale-snat-lrp-after-failover":"on"}}'`,
  );
  out.push(
    `kubectl -n ${FAULTS_NAMESPACE} patch configmap ${FAULTS_CONFIGMAP} --type merge -p '{"data":{"stale-sb":"{\\"node\\":\\"worker-1\\"}"}}'`,
  );
  out.push(
    `kubectl -n ${FAULTS_NAMESPACE} patch configmap ${FAULTS_CONFIGMAP} --type merge -p '{"data":{"eip-stale-snat-lrp-after-failover":"off"}}'`,
  );
  out.push('# restart ovnkube-controller on a node (startup sync): delete its ovnkube-node pod');
  out.push('kubectl -n openshift-ovn-kubernetes delete pod -l app=ovnkube-node --field-selector spec.nodeName=worker-1');
  out.push('```');
  out.push('');
  out.push('Every fault is reversible: once off, the next event (or, for faults that act at startup sync, the next');
  out.push('ovnkube-controller restart) heals the state the way the upstream fix would. The zone controllers are');
  out.push('event-driven and never rewrite NB periodically, so a symptom stays until an event or a restart touches it.');
  out.push('');
  out.push('Misconfigurations need no switch and behave as on a real cluster: an EgressIP outside every egress-assignable');
  out.push("node's primary subnet stays unassigned (`E... does not match any egress-assignable node subnet` in the");
  out.push('cluster-manager log + Warning event `NoMatchingNodeFound`); no `k8s.ovn.org/egress-assignable` node → unassigned');
  out.push('(`No assignable nodes found for EgressIP`); a selector that matches no pod → no per-pod rows.');
  out.push('');
  out.push('## Catalogue');
  out.push('');
  out.push('| id | kind | class | title |');
  out.push('|---|---|---|---|');
  for (const f of FAULTS) out.push(`| \`${f.id}\` | ${f.kind} | ${f.failureClass} | ${f.title} |`);
  out.push('');
  for (const f of FAULTS) {
    out.push(`### \`${f.id}\``);
    out.push('');
    out.push(`**${f.title}** (${f.kind}; ${f.failureClass}; upstream: ${f.upstream})`);
    out.push('');
    out.push(f.description);
    out.push('');
    out.push(`- Trigger: ${f.trigger}`);
    if (f.symptom.nb) out.push(`- NB: ${f.symptom.nb}`);
    if (f.symptom.sb) out.push(`- SB: ${f.symptom.sb}`);
    if (f.symptom.api) out.push(`- API: ${f.symptom.api}`);
    for (const l of f.symptom.logs ?? []) out.push(`- Log: \`${l}\``);
    out.push(`- Heal: ${f.heal}`);
    if (f.params)
      out.push(
        `- Params: ${Object.entries(f.params)
          .map(([k, v]) => `\`${k}\` — ${v}`)
          .join('; ')}`,
      );
    out.push(`- Switch on: \`kubectl -n ${FAULTS_NAMESPACE} patch cm ${FAULTS_CONFIGMAP} --type merge -p '{"data":{"${f.id}":"on"}}'\``);
    out.push('');
  }
  return out.join('\n');
}

export function renderFaultsJson(): string {
  return `${JSON.stringify({ configMap: { namespace: FAULTS_NAMESPACE, name: FAULTS_CONFIGMAP }, catalogueConfigMap: { namespace: FAULTS_NAMESPACE, name: FAULTS_CATALOGUE_CONFIGMAP }, faults: FAULTS }, null, 2)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`)
  process.stdout.write(process.argv.includes('--json') ? renderFaultsJson() : renderFaultsMarkdown());
