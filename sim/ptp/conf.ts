/**
 * linuxptp configuration as the daemon writes it (openshift/linuxptp-daemon pkg/daemon: the profile's
 * ptp4lConf with the interface sections, plus `message_tag [ptp4l.<N>.config:{level}]` and
 * `uds_address /var/run/ptp4l.<N>.socket` in [global]), and the settings the emulator reads from it
 * (richardcochran/linuxptp config.c names and defaults).
 */
export type ConfSections = Map<string, Map<string, string>>;

export function parseConf(text: string): ConfSections {
  const out: ConfSections = new Map([['global', new Map()]]);
  let cur = 'global';
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const sec = /^\[([^\]]+)\]$/.exec(line);
    if (sec) {
      cur = sec[1].trim();
      if (!out.has(cur)) out.set(cur, new Map());
      continue;
    }
    const [k, ...v] = line.split(/\s+/);
    out.get(cur)!.set(k, v.join(' '));
  }
  return out;
}

const NOT_PORTS = new Set(['global', 'unicast_master_table', 'nmea']);

export interface Ptp4lSettings {
  /** physical ports in config order */
  ports: { iface: string; masterOnly: boolean }[];
  slaveOnly: boolean;
  priority1: number;
  priority2: number;
  clockClass: number;
  domainNumber: number;
  logSyncInterval: number;
  logMinDelayReqInterval: number;
  logAnnounceInterval: number;
  announceReceiptTimeout: number;
  summaryInterval: number;
  txTimestampTimeout: number;
  faultResetInterval: number;
}

const num = (m: Map<string, string> | undefined, k: string, d: number): number => {
  const v = m?.get(k);
  const n = v === undefined ? NaN : Number(v);
  return Number.isFinite(n) ? n : d;
};

/** Settings of one ptp4l instance: its config text plus the profile's `interface` and ptp4lOpts (-s). */
export function ptp4lSettings(conf: ConfSections, opts: string): Ptp4lSettings {
  const g = conf.get('global');
  const ports = [...conf.keys()]
    .filter((s) => !NOT_PORTS.has(s))
    .map((iface) => ({ iface, masterOnly: conf.get(iface)?.get('masterOnly') === '1' }));
  const slaveOnly = /(^|\s)-s(\s|$)/.test(opts) || g?.get('slaveOnly') === '1' || g?.get('clientOnly') === '1';
  return {
    ports,
    slaveOnly,
    priority1: num(g, 'priority1', 128),
    priority2: num(g, 'priority2', 128),
    clockClass: slaveOnly ? 255 : num(g, 'clockClass', 248),
    domainNumber: num(g, 'domainNumber', 0),
    logSyncInterval: num(g, 'logSyncInterval', 0),
    logMinDelayReqInterval: num(g, 'logMinDelayReqInterval', 0),
    logAnnounceInterval: num(g, 'logAnnounceInterval', 1),
    announceReceiptTimeout: num(g, 'announceReceiptTimeout', 3),
    summaryInterval: num(g, 'summary_interval', 0),
    txTimestampTimeout: num(g, 'tx_timestamp_timeout', 1),
    faultResetInterval: num(g, 'fault_reset_interval', 4),
  };
}

/** The file the daemon writes to /var/run/ptp4l.<N>.config. */
export function renderPtp4lConfig(ptp4lConf: string, iface: string | undefined, index: number): string {
  const conf = parseConf(ptp4lConf);
  if (iface && !conf.has(iface)) conf.set(iface, new Map());
  const g = conf.get('global')!;
  g.set('message_tag', `[ptp4l.${index}.config:{level}]`);
  g.set('uds_address', `/var/run/ptp4l.${index}.socket`);
  const out: string[] = [];
  for (const [name, kv] of conf) {
    out.push(`[${name}]`);
    for (const [k, v] of kv) out.push(`${k} ${v}`.trimEnd());
  }
  return `${out.join('\n')}\n`;
}

/** phc2sys options: -u N summary updates (0: a line per update), -a automatic, -r realtime. */
export function phc2sysSummaryUpdates(opts: string): number {
  const m = /(?:^|\s)-u\s+(\d+)/.exec(opts);
  return m ? Number(m[1]) : 0;
}
