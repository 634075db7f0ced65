/**
 * The scenario author's API: everything a scenario (scenarios/*.ts) needs, from one import.
 * A scenario is `export default scenario(meta, async (t, p) => { ... })` over this module; the runner
 * (harness/runner/run.ts) gives it a TestContext (steps, defers, checks, measurements, events, t.kubectl, t.$).
 * Kits: EgressIP load and disruption helpers (harness/scenario-kit/egressip.ts), PTP fault scenarios
 * (harness/ptp/scenario-kit.ts), Chaos Mesh objects and node actions (harness/chaos/).
 */

// ---------- defining a scenario
export { z } from 'zod';
export type * as k8s from '@kubernetes/client-node';
export {
  scenario,
  isScenario,
  CheckFailedError,
  type Scenario,
  type ScenarioMeta,
  type TestContext,
  type StepContext,
  type CheckOutcome,
  type Measurement,
  type RunEvent,
  type SummaryTable,
} from './runner/scenario.ts';
export type { HostShell } from './runner/host.ts';
export { InfraError, InterruptedError, UsageError } from './errors.ts';
export { stats, quantile, type Stats } from './runner/stats.ts';
export { OVN_NAMESPACE, PTP_NAMESPACE, CHAOS_MESH_NAMESPACE, MANAGED_BY, VERSION } from './constants.ts';

// ---------- waiting
export {
  sleep,
  waitFor,
  WaitTimeoutError,
  waitForCheck,
  waitForConsistent,
  watchEgressIPFailover,
  waitForEgressIPsAssigned,
  waitForNodeReady,
  waitForPodsReady,
  waitForDeploymentReady,
  egressIPNodes,
  nodeReady,
  podReady,
  type WaitOptions,
  type Waited,
  type FailoverWatch,
} from './wait/index.ts';

// ---------- the EgressIP kit
export {
  egressIPLoadParams,
  api,
  busiestEgressNode,
  familiesOf,
  ovnkubePodOn,
  podNodes,
  recordRuleCounts,
  scaleClientDeployment,
  setupEgressIPs,
  setupEgressIPLoad,
  egressNodesRequired,
  type EgressIPLoad,
  switchFault,
  faultIdParam,
  type FaultId,
  type EgressIPSetup,
} from './scenario-kit/egressip.ts';

// ---------- chaos and node actions
export { injectChaos, type ChaosResult } from './chaos/injector.ts';
export { renderTemplate, renderSchedule } from './chaos/templates.ts';
export { runNodeAction, rebootNode, crashNode, stopKubelet, startKubelet, type NodeActionResult } from './chaos/node-actions.ts';

// ---------- the PTP kit
export { LIMITS, execInDaemon, ptpFaultScenario, runOnNode } from './ptp/scenario-kit.ts';
export { PTP_GROUP, PTP_VERSION } from './ptp/cluster.ts';
