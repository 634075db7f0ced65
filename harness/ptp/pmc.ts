/**
 * linuxptp's `pmc` as the harness, the MCP tools and the embedded cluster's ptp4l speak it: the management IDs a
 * read-only GET may name (richardcochran/linuxptp pmc.c / pmc_common.c idtab, the GET-able data sets the
 * linuxptp-daemon's users read) and the one command line that asks ptp4l N over its UDS.
 * One list: the MCP tool allows exactly these, and the emulated ptp4l (sim/ptp/pmc.ts) answers exactly these.
 */

/** GET management IDs (datasets) that only read. */
export const PMC_DATASETS = [
  'CURRENT_DATA_SET',
  'PARENT_DATA_SET',
  'TIME_STATUS_NP',
  'PORT_DATA_SET',
  'DEFAULT_DATA_SET',
  'TIME_PROPERTIES_DATA_SET',
  'CLOCK_DESCRIPTION',
  'PORT_PROPERTIES_NP',
  'PORT_STATS_NP',
] as const;
export type PmcDataset = (typeof PMC_DATASETS)[number];

/**
 * `pmc -u -b 0 -f /var/run/ptp4l.<N>.config 'GET <dataset>'`: UDS transport, boundary hops 0 (this clock only),
 * the config file of the daemon's ptp4l N (pkg/daemon writes /var/run/ptp4l.<N>.config) for its socket path.
 */
export const pmcArgv = (dataset: string, config = 0): string[] => [
  'pmc',
  '-u',
  '-b',
  '0',
  '-f',
  `/var/run/ptp4l.${config}.config`,
  `GET ${dataset}`,
];
