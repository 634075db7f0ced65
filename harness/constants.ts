/**
 * The harness side's constants, one place: the namespaces it reads and writes on every cluster, where its
 * files live (relative to the package root, not the caller's cwd) and its version (package.json's).
 * The embedded cluster keeps its own (sim/constants.ts); nothing outside sim/ imports that one.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// ---------- namespaces (OpenShift's; the embedded cluster uses the same names)

/** OVN-Kubernetes: ovnkube-node pods, the EgressIP check's exec target */
export const OVN_NAMESPACE = 'openshift-ovn-kubernetes';
/** PTP operator: linuxptp-daemon pods, PtpConfig objects */
export const PTP_NAMESPACE = 'openshift-ptp';
/** Chaos Mesh's controller-manager (its Helm chart's default namespace) */
export const CHAOS_MESH_NAMESPACE = 'chaos-mesh';
/** `app.kubernetes.io/managed-by` of everything the harness creates */
export const MANAGED_BY = 'netharness';

// ---------- default paths

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const resultsDir = join(projectRoot, 'results');
export const defaultDbPath = join(resultsDir, 'netharness.db');
export const defaultSimWorkdir = join(resultsDir, 'sim');

// ---------- version

/** package.json's version (also when run without npm, where npm_package_version is unset). */
export const VERSION: string = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;
