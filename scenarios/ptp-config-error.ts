/**
 * ptp-config-error: edit the node's PtpConfig profile to point ptp4l at an interface that does not exist
 * (a wrong or unsupported interface in the profile: ptp4l cannot open the port, see ptp4l(8) in
 * https://github.com/richardcochran/linuxptp, so the port never reaches SLAVE); then restore the original
 * profile and assert the node re-locks.
 *
 *   npm run scenario ptp-config-error
 */
import { LIMITS, ptpFaultScenario, PTP_GROUP, PTP_NAMESPACE, PTP_VERSION, InfraError } from '../harness/index.ts';

interface PtpConfigObj {
  metadata: { name: string; resourceVersion?: string };
  spec: { profile: Record<string, unknown>[] };
}

export const BROKEN_IFACE = 'nhbroken0';

export default ptpFaultScenario({
  name: 'ptp-config-error',
  description: 'PtpConfig profile edited to a non-existent interface: clock unlocked; restored: SLAVE and LOCKED again',
  degraded: {
    describe: 'clock unlocked or port not SLAVE',
    pred: (s) => s.error !== undefined || s.role !== 'SLAVE' || s.clockState !== 'LOCKED',
    limitS: LIMITS.faultyS,
  },
  async inject(t, target) {
    const api = t.cluster.custom;
    const list = (await api.listNamespacedCustomObject({
      group: PTP_GROUP,
      version: PTP_VERSION,
      namespace: PTP_NAMESPACE,
      plural: 'ptpconfigs',
    })) as {
      items: PtpConfigObj[];
    };
    const cfg = list.items.find((c) => c.spec.profile.some((p) => p.name === target.profile.name));
    if (!cfg) throw new InfraError(`no PtpConfig defines profile ${target.profile.name}`);
    const original = structuredClone(cfg.spec.profile);
    const replace = async (profile: Record<string, unknown>[]): Promise<void> => {
      const cur = (await api.getNamespacedCustomObject({
        group: PTP_GROUP,
        version: PTP_VERSION,
        namespace: PTP_NAMESPACE,
        plural: 'ptpconfigs',
        name: cfg.metadata.name,
      })) as PtpConfigObj;
      cur.spec.profile = profile;
      await api.replaceNamespacedCustomObject({
        group: PTP_GROUP,
        version: PTP_VERSION,
        namespace: PTP_NAMESPACE,
        plural: 'ptpconfigs',
        name: cfg.metadata.name,
        body: cur,
      });
    };
    const broken = original.map((p) => {
      if (p.name !== target.profile.name) return p;
      const conf = typeof p.ptp4lConf === 'string' ? p.ptp4lConf.replaceAll(`[${target.iface}]`, `[${BROKEN_IFACE}]`) : p.ptp4lConf;
      return {
        ...p,
        ...(typeof p.interface === 'string' ? { interface: BROKEN_IFACE } : {}),
        ...(conf !== undefined ? { ptp4lConf: conf } : {}),
      };
    });
    await replace(broken);
    t.log(`PtpConfig ${cfg.metadata.name}: profile ${target.profile.name} now uses interface ${BROKEN_IFACE}`);
    return () => replace(original);
  },
});
