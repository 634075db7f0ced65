/** The report formats, apart from the renderers so `netharness report --help` names them without loading ECharts. */
export const REPORT_FORMATS = ['html', 'md', 'json', 'junit'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];
