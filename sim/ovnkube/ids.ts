/**
 * external_ids and object names as ovn-kubernetes forms them (ovn-org/ovn-kubernetes go-controller/pkg/libovsdb/ops/db_object_types.go and
 * db_object_ids.go; address set names from pkg/ovn/address_set/address_set.go):
 * go-controller/pkg/libovsdb/ops/db_object_ids.go + db_object_types.go, util.HashForOVN.
 */
import type { StrMap } from './nb-model.ts';
import { hashForOVN } from '../../harness/ovn/ids.ts';

export { fnv1a64, hashForOVN } from '../../harness/ovn/ids.ts';

export const CONTROLLER = 'default-network-controller';
export const NETWORK = 'default';
export const OWNER_CONTROLLER_KEY = 'k8s.ovn.org/owner-controller';
export const OWNER_TYPE_KEY = 'k8s.ovn.org/owner-type';
export const NAME_KEY = 'k8s.ovn.org/name';
export const ID_KEY = 'k8s.ovn.org/id';
export const LEGACY_NAME_KEY = 'name';

export const REROUTE_PRIORITY = 100;
export const NO_REROUTE_PRIORITY = 102;
export const QOS_MARK_PRIORITY = 103;
export const NODE_CONNECTION_MARK = '1008';
export const REPLY_TRAFFIC_MARK = 42;
export const EPHEMERAL_PORT_RANGE = '32768-60999';

export type Family = 'v4' | 'v6';

/** ip-family value of LRPs / NATs / QoS: ip4 / ip6 (ip for family-neutral). */
export function ipFamilyValue(f: Family): 'ip4' | 'ip6' {
  return f === 'v4' ? 'ip4' : 'ip6';
}

/** Build external_ids for an owner type with (key, value) pairs in key order. */
export function dbIds(ownerType: string, keys: [string, string][]): StrMap {
  const ids: StrMap = { [OWNER_CONTROLLER_KEY]: CONTROLLER, [OWNER_TYPE_KEY]: ownerType };
  for (const [k, v] of keys) ids[k] = v;
  ids[ID_KEY] = [CONTROLLER, ownerType, ...keys.map(([, v]) => v)].join(':');
  return ids;
}

/** NATEgressIP: [name, ip-family]; name = "<eip>_<ns>/<pod>". */
export function natIds(eip: string, ns: string, pod: string, f: Family): StrMap {
  return dbIds('EgressIP', [
    [NAME_KEY, `${eip}_${ns}/${pod}`],
    ['ip-family', ipFamilyValue(f)],
  ]);
}

/** LogicalRouterPolicyEgressIP: [priority, name, ip-family, network]. */
export function lrpIds(priority: number, name: string, ipFamily: string): StrMap {
  return dbIds('EgressIP', [
    ['priority', String(priority)],
    [NAME_KEY, name],
    ['ip-family', ipFamily],
    ['network', NETWORK],
  ]);
}

/** QoSRuleEgressIP: [priority, name, ip-family]. */
export function qosIds(name: string, f: Family): StrMap {
  return dbIds('EgressIP', [
    ['priority', String(QOS_MARK_PRIORITY)],
    [NAME_KEY, name],
    ['ip-family', ipFamilyValue(f)],
  ]);
}

export interface AddressSetId {
  name: string;
  externalIds: StrMap;
}

/** AddressSetEgressIP: [name, ip-family(v4/v6), network]. */
export function egressIpServedPodsAS(f: Family): AddressSetId {
  return addressSet('EgressIP', [
    [NAME_KEY, 'egressip-served-pods'],
    ['ip-family', f],
    ['network', NETWORK],
  ]);
}

/** Egress services' served pods: owner-type EgressService, [name, ip-family]. */
export function egressSvcServedPodsAS(f: Family): AddressSetId {
  return addressSet('EgressService', [
    [NAME_KEY, 'egresssvc-served-pods'],
    ['ip-family', f],
  ]);
}

/** Cluster node IPs: owner-type ClusterNodeIPs, [name, ip-family]. */
export function nodeIpsAS(f: Family): AddressSetId {
  return addressSet('ClusterNodeIPs', [
    [NAME_KEY, 'node-ips'],
    ['ip-family', f],
  ]);
}

function addressSet(ownerType: string, keys: [string, string][]): AddressSetId {
  const externalIds = dbIds(ownerType, keys);
  return { name: hashForOVN(externalIds[ID_KEY]), externalIds };
}

/** The EIP name a row belongs to, from current or legacy external_ids ('' if none). */
export function eipOfRow(ext: StrMap): string {
  const n = ext[NAME_KEY];
  if (n !== undefined && ext[OWNER_TYPE_KEY] === 'EgressIP') {
    const i = n.indexOf('_');
    return i > 0 && n.includes('/') ? n.slice(0, i) : '';
  }
  return ext[LEGACY_NAME_KEY] ?? '';
}

/** "<ns>/<pod>" of a per-pod EIP row ('' for non per-pod rows). */
export function podOfRow(ext: StrMap): string {
  const n = ext[NAME_KEY];
  if (n === undefined || ext[OWNER_TYPE_KEY] !== 'EgressIP') return '';
  const i = n.indexOf('_');
  const rest = i > 0 ? n.slice(i + 1) : '';
  return rest.includes('/') ? rest : '';
}
