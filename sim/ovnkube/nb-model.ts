/**
 * Typed OVN Northbound rows, as the emulated ovnkube-controller writes them (schema 7.x, OVN 23.03+).
 * Pure. Child rows name their container (router / switch) instead of holding uuids; the diff turns
 * that into the container's set column (ports, policies, nat, static_routes, qos_rules).
 */

export type StrMap = Record<string, string>;

export interface LogicalRouter {
  table: 'Logical_Router';
  name: string;
  options: StrMap;
  external_ids: StrMap;
}

export interface LogicalRouterPort {
  table: 'Logical_Router_Port';
  router: string;
  name: string;
  mac: string;
  networks: string[];
  peer?: string;
  options: StrMap;
  external_ids: StrMap;
}

export interface LogicalSwitch {
  table: 'Logical_Switch';
  name: string;
  other_config: StrMap;
  external_ids: StrMap;
}

export interface LogicalSwitchPort {
  table: 'Logical_Switch_Port';
  switch: string;
  name: string;
  type: string;
  addresses: string[];
  port_security: string[];
  options: StrMap;
  external_ids: StrMap;
}

export interface NAT {
  table: 'NAT';
  router: string;
  type: 'snat' | 'dnat' | 'dnat_and_snat';
  external_ip: string;
  logical_ip: string;
  logical_port?: string;
  external_port_range: string;
  options: StrMap;
  external_ids: StrMap;
}

export interface LogicalRouterPolicy {
  table: 'Logical_Router_Policy';
  router: string;
  priority: number;
  match: string;
  action: 'allow' | 'drop' | 'reroute';
  nexthops: string[];
  options: StrMap;
  external_ids: StrMap;
}

export interface LogicalRouterStaticRoute {
  table: 'Logical_Router_Static_Route';
  router: string;
  ip_prefix: string;
  nexthop: string;
  policy?: 'src-ip' | 'dst-ip';
  output_port?: string;
  external_ids: StrMap;
}

export interface AddressSet {
  table: 'Address_Set';
  name: string;
  addresses: string[];
  external_ids: StrMap;
}

export interface QoS {
  table: 'QoS';
  switch: string;
  priority: number;
  direction: 'from-lport' | 'to-lport';
  match: string;
  /** e.g. { mark: 42 }. Written only if the schema supports the key (OVN < 23.06 knows only dscp). */
  action: Record<string, number>;
  external_ids: StrMap;
}

export type NbRow =
  | LogicalRouter
  | LogicalRouterPort
  | LogicalSwitch
  | LogicalSwitchPort
  | NAT
  | LogicalRouterPolicy
  | LogicalRouterStaticRoute
  | AddressSet
  | QoS;

export type NbTable = NbRow['table'];

export const NB_TABLES: NbTable[] = [
  'Logical_Router',
  'Logical_Router_Port',
  'Logical_Switch',
  'Logical_Switch_Port',
  'NAT',
  'Logical_Router_Policy',
  'Logical_Router_Static_Route',
  'Address_Set',
  'QoS',
];

/** Container table + column of each child table. */
export const PARENT_OF: Partial<
  Record<NbTable, { table: 'Logical_Router' | 'Logical_Switch'; column: string; field: 'router' | 'switch' }>
> = {
  Logical_Router_Port: { table: 'Logical_Router', column: 'ports', field: 'router' },
  NAT: { table: 'Logical_Router', column: 'nat', field: 'router' },
  Logical_Router_Policy: { table: 'Logical_Router', column: 'policies', field: 'router' },
  Logical_Router_Static_Route: { table: 'Logical_Router', column: 'static_routes', field: 'router' },
  Logical_Switch_Port: { table: 'Logical_Switch', column: 'ports', field: 'switch' },
  QoS: { table: 'Logical_Switch', column: 'qos_rules', field: 'switch' },
};

/** Identity of a row across desired and actual state (uuids differ). Duplicates share a key. */
export function rowKey(r: NbRow): string {
  switch (r.table) {
    case 'Logical_Router':
    case 'Logical_Switch':
    case 'Address_Set':
      return `${r.table}|${r.name}`;
    case 'Logical_Router_Port':
    case 'Logical_Switch_Port':
      return `${r.table}|${r.name}`;
    case 'NAT':
      return `NAT|${r.router}|${r.type}|${r.external_ip}|${r.logical_ip}`;
    case 'Logical_Router_Policy':
      return `LRP|${r.router}|${r.priority}|${r.match}`;
    case 'Logical_Router_Static_Route':
      return `SR|${r.router}|${r.ip_prefix}|${r.policy ?? 'dst-ip'}|${r.nexthop}`;
    case 'QoS':
      return `QoS|${r.switch}|${r.priority}|${r.direction}|${r.match}`;
  }
}

export function parentKey(r: NbRow): string | undefined {
  const p = PARENT_OF[r.table];
  if (!p) return undefined;
  const name = (r as unknown as Record<string, string>)[p.field];
  return `${p.table}|${name}`;
}

/** Columns that the model owns, per table (compared and written by the diff). */
export const MODEL_COLUMNS: Record<NbTable, string[]> = {
  Logical_Router: ['name', 'options', 'external_ids'],
  Logical_Router_Port: ['name', 'mac', 'networks', 'peer', 'options', 'external_ids'],
  Logical_Switch: ['name', 'other_config', 'external_ids'],
  Logical_Switch_Port: ['name', 'type', 'addresses', 'port_security', 'options', 'external_ids'],
  NAT: ['type', 'external_ip', 'logical_ip', 'logical_port', 'external_port_range', 'options', 'external_ids'],
  Logical_Router_Policy: ['priority', 'match', 'action', 'nexthops', 'options', 'external_ids'],
  Logical_Router_Static_Route: ['ip_prefix', 'nexthop', 'policy', 'output_port', 'external_ids'],
  Address_Set: ['name', 'addresses', 'external_ids'],
  QoS: ['priority', 'direction', 'match', 'action', 'external_ids'],
};

/** Column kinds for OVSDB encoding. */
export type ColKind = 'scalar' | 'optional' | 'set' | 'map';

export const COLUMN_KIND: Record<string, ColKind> = {
  name: 'scalar',
  mac: 'scalar',
  type: 'scalar',
  external_ip: 'scalar',
  logical_ip: 'scalar',
  external_port_range: 'scalar',
  priority: 'scalar',
  match: 'scalar',
  action: 'scalar',
  ip_prefix: 'scalar',
  nexthop: 'scalar',
  direction: 'scalar',
  peer: 'optional',
  logical_port: 'optional',
  policy: 'optional',
  output_port: 'optional',
  networks: 'set',
  addresses: 'set',
  port_security: 'set',
  nexthops: 'set',
  options: 'map',
  external_ids: 'map',
  other_config: 'map',
};

/** QoS.action is a map even though its name collides with LRP.action (a scalar). */
export function columnKind(table: NbTable, col: string): ColKind {
  if (table === 'QoS' && col === 'action') return 'map';
  return COLUMN_KIND[col] ?? 'scalar';
}

/** Normalized JS value of a model column of a typed row. */
export function columnValue(r: NbRow, col: string): unknown {
  return (r as unknown as Record<string, unknown>)[col];
}
