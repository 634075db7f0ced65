/**
 * `pmc -u -b 0 [-f /var/run/ptp4l.<N>.config] 'GET <DATASET>'` answered from the emulated ptp4l, in pmc's output
 * format (richardcochran/linuxptp pmc.c pmc_show: "sending: GET X", then per response a tab-indented
 * `<portIdentity> seq <n> RESPONSE MANAGEMENT <ID> ` header and `\t\t<field> <value>` lines; checked against
 * linuxptp's own pmc against a running ptp4l). GET only; a dataset may be abbreviated to a unique prefix.
 */
import type { Ptp4lView } from './types.ts';
import type { Ptp4lSettings } from './conf.ts';
// the datasets a GET may name: one list with the MCP tool's allow-list
import { PMC_DATASETS, type PmcDataset } from '../../harness/ptp/pmc.ts';

export interface PmcArgs {
  configIndex: number;
  commands: string[];
}

/** Parses pmc's argv; an error text when an option is wrong (pmc prints usage and exits 255... we say what). */
export function parsePmcArgv(argv: string[]): PmcArgs | { error: string } {
  let configIndex = 0;
  const commands: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-u' || a === '-4' || a === '-6' || a === '-2' || a === '-v' || a === '-z') continue;
    if (['-b', '-d', '-t', '-i', '-s', '-f', '-l'].includes(a)) {
      const v = argv[++i];
      if (v === undefined) return { error: `pmc: option requires an argument -- '${a.slice(1)}'` };
      const m = /ptp4l\.(\d+)\.(?:config|socket)$/.exec(v);
      if ((a === '-f' || a === '-s') && m) configIndex = Number(m[1]);
      continue;
    }
    if (a.startsWith('-') && a.length > 1) return { error: `pmc: invalid option -- '${a.slice(1)}'` };
    commands.push(a);
  }
  return { configIndex, commands };
}

const T = '\n\t\t';
const hex = (n: number, w: number): string => `0x${n.toString(16).padStart(w, '0')}`;

function macOf(clockIdentity: string): string {
  const h = clockIdentity.replace(/\./g, '');
  const b = [h.slice(0, 6), h.slice(10, 16)].join('');
  return b.match(/../g)!.join(':');
}

function block(id: string, pid: string, fields: [string, string | number][]): string {
  const w = Math.max(...fields.map(([k]) => k.length));
  return `\t${pid} seq 0 RESPONSE MANAGEMENT ${id} ${fields.map(([k, v]) => `${T}${k.padEnd(w)} ${v}`).join('')}\n`;
}

export function pmcResponse(id: PmcDataset, p: Ptp4lView, s: Ptp4lSettings, uptimeS: number): string {
  const cid = p.clockIdentity;
  const par = p.parent;
  const locked = p.clockState !== 'FREERUN' && !!par;
  switch (id) {
    case 'CURRENT_DATA_SET':
      return block(id, `${cid}-0`, [
        ['stepsRemoved', par?.stepsRemoved ?? 0],
        ['offsetFromMaster', (par ? p.offsetNs : 0).toFixed(1)],
        ['meanPathDelay', (par ? p.pathDelayNs : 0).toFixed(1)],
      ]);
    case 'PARENT_DATA_SET': {
      const gmClass = par?.gmClockClass ?? p.clockClass;
      return block(id, `${cid}-0`, [
        ['parentPortIdentity', par?.parentPortIdentity ?? `${cid}-0`],
        ['parentStats', 0],
        ['observedParentOffsetScaledLogVariance', '0xffff'],
        ['observedParentClockPhaseChangeRate', '0x7fffffff'],
        ['grandmasterPriority1', par?.gmPriority1 ?? s.priority1],
        ['gm.ClockClass', gmClass],
        ['gm.ClockAccuracy', gmClass === 6 ? '0x21' : '0xfe'],
        ['gm.OffsetScaledLogVariance', gmClass === 6 ? '0x4e5d' : '0xffff'],
        ['grandmasterPriority2', s.priority2],
        ['grandmasterIdentity', par?.gmIdentity ?? cid],
      ]);
    }
    case 'TIME_STATUS_NP':
      return block(id, `${cid}-0`, [
        ['master_offset', par ? p.offsetNs : 0],
        ['ingress_time', par ? `${BigInt(Date.now()) * 1000000n + 37000000000n}` : 0],
        ['cumulativeScaledRateOffset', `${p.freqPpb >= 0 ? '+' : '-'}${(Math.abs(p.freqPpb) / 1e9).toFixed(9)}`],
        ['scaledLastGmPhaseChange', 0],
        ['gmTimeBaseIndicator', 0],
        ['lastGmPhaseChange', "0x0000'0000000000000000.0000"],
        ['gmPresent', par ? 'true' : 'false'],
        ['gmIdentity', par?.gmIdentity ?? cid],
      ]);
    case 'DEFAULT_DATA_SET':
      return block(id, `${cid}-0`, [
        ['twoStepFlag', 1],
        ['slaveOnly', s.slaveOnly ? 1 : 0],
        ['numberPorts', p.ports.length],
        ['priority1', s.priority1],
        ['clockClass', p.clockClass],
        ['clockAccuracy', p.clockClass === 6 ? '0x21' : '0xfe'],
        ['offsetScaledLogVariance', p.clockClass === 6 ? '0x4e5d' : '0xffff'],
        ['priority2', s.priority2],
        ['clockIdentity', cid],
        ['domainNumber', s.domainNumber],
      ]);
    case 'TIME_PROPERTIES_DATA_SET':
      return block(id, `${cid}-0`, [
        ['currentUtcOffset', 37],
        ['leap61', 0],
        ['leap59', 0],
        ['currentUtcOffsetValid', locked ? 1 : 0],
        ['ptpTimescale', locked ? 1 : 0],
        ['timeTraceable', locked ? 1 : 0],
        ['frequencyTraceable', locked ? 1 : 0],
        ['timeSource', locked ? '0x20' : '0xa0'],
      ]);
    case 'PORT_DATA_SET':
      return p.ports
        .map((x) =>
          block(id, `${cid}-${x.port}`, [
            ['portIdentity', `${cid}-${x.port}`],
            ['portState', x.state],
            ['logMinDelayReqInterval', s.logMinDelayReqInterval],
            ['peerMeanPathDelay', 0],
            ['logAnnounceInterval', s.logAnnounceInterval],
            ['announceReceiptTimeout', s.announceReceiptTimeout],
            ['logSyncInterval', s.logSyncInterval],
            ['delayMechanism', 1],
            ['logMinPdelayReqInterval', 0],
            ['versionNumber', 2],
          ]),
        )
        .join('');
    case 'CLOCK_DESCRIPTION':
      return p.ports
        .map((x) =>
          block(id, `${cid}-${x.port}`, [
            ['clockType', p.ports.length > 1 ? hex(0x4000, 4) : hex(0x8000, 4)],
            ['physicalLayerProtocol', 'IEEE 802.3'],
            ['physicalAddress', macOf(cid)],
            ['protocolAddress', `3 ${macOf(cid)}`],
            ['manufacturerId', '00:00:00'],
            ['productDescription', ';;'],
            ['revisionData', ';;'],
            ['userDescription', ''],
            ['profileId', '00:1b:19:00:01:00'],
          ]),
        )
        .join('');
    case 'PORT_PROPERTIES_NP':
      return p.ports
        .map((x) =>
          block(id, `${cid}-${x.port}`, [
            ['portIdentity', `${cid}-${x.port}`],
            ['portState', x.state],
            ['timestamping', 'HARDWARE'],
            ['interface', x.iface],
          ]),
        )
        .join('');
    case 'PORT_STATS_NP':
      return p.ports
        .map((x) => {
          const slave = x.state === 'SLAVE' || x.state === 'UNCALIBRATED';
          const sync = slave ? Math.round(uptimeS * 2 ** -s.logSyncInterval) : 0;
          const ann = Math.round(uptimeS / 2 ** s.logAnnounceInterval);
          const fields: [string, number][] = [
            ['rx_Sync', sync],
            ['rx_Delay_Req', slave ? 0 : Math.round(uptimeS)],
            ['rx_Pdelay_Req', 0],
            ['rx_Pdelay_Resp', 0],
            ['rx_Follow_Up', sync],
            ['rx_Delay_Resp', slave ? Math.round(uptimeS) : 0],
            ['rx_Pdelay_Resp_Follow_Up', 0],
            ['rx_Announce', slave ? ann : 0],
            ['rx_Signaling', 0],
            ['rx_Management', 0],
            ['tx_Sync', slave ? 0 : Math.round(uptimeS * 2 ** -s.logSyncInterval)],
            ['tx_Delay_Req', slave ? Math.round(uptimeS) : 0],
            ['tx_Pdelay_Req', 0],
            ['tx_Pdelay_Resp', 0],
            ['tx_Follow_Up', slave ? 0 : Math.round(uptimeS * 2 ** -s.logSyncInterval)],
            ['tx_Delay_Resp', slave ? 0 : Math.round(uptimeS)],
            ['tx_Pdelay_Resp_Follow_Up', 0],
            ['tx_Announce', slave ? 0 : ann],
            ['tx_Signaling', 0],
            ['tx_Management', 0],
          ];
          return block(id, `${cid}-${x.port}`, [['portIdentity', `${cid}-${x.port}`], ...fields]);
        })
        .join('');
  }
}

/** A command string -> the dataset, or an error text as pmc prints it. */
export function resolveCommand(cmd: string): { action: string; id?: PmcDataset; error?: string } {
  const [action = '', name = ''] = cmd.trim().split(/\s+/);
  const act = action.toUpperCase();
  if (!['GET', 'SET', 'CMD', 'COMMAND'].includes(act)) return { action: act, error: `bad action ${action}` };
  const up = name.toUpperCase();
  const hits = PMC_DATASETS.filter((id) => id === up || id.startsWith(up));
  const exact = hits.find((h) => h === up);
  if (!name || (!exact && hits.length === 0)) return { action: act, error: `unknown management id ${name || '(none)'}` };
  if (!exact && hits.length > 1) return { action: act, error: `ambiguous management id ${name}` };
  return { action: act, id: exact ?? hits[0] };
}
