/**
 * The sim's kubeconfig: two contexts over one cluster, `netharness-sim` (admin, current) and
 * `netharness-sim-readonly`. Tokens live only in this file (mode 0600) and in memory.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import YAML from 'yaml';

export interface KubeconfigTokens {
  admin: string;
  readonly: string;
}

export function kubeconfigYaml(server: string, tokens: KubeconfigTokens, caPem?: string): string {
  return YAML.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: [
      {
        name: 'netharness-sim',
        cluster: { server, ...(caPem ? { 'certificate-authority-data': Buffer.from(caPem).toString('base64') } : {}) },
      },
    ],
    users: [
      { name: 'netharness-admin', user: { token: tokens.admin } },
      { name: 'mcp-readonly', user: { token: tokens.readonly } },
    ],
    contexts: [
      { name: 'netharness-sim', context: { cluster: 'netharness-sim', user: 'netharness-admin', namespace: 'default' } },
      { name: 'netharness-sim-readonly', context: { cluster: 'netharness-sim', user: 'mcp-readonly', namespace: 'default' } },
    ],
    'current-context': 'netharness-sim',
  });
}

export function writeKubeconfig(path: string, server: string, tokens: KubeconfigTokens, caPem?: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, kubeconfigYaml(server, tokens, caPem), { mode: 0o600 });
  chmodSync(path, 0o600);
}
