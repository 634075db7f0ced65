/** CORENET-6498: EgressIP scale x disruption (placeholder while the runner lands). */
import { z } from 'zod';
import { scenario } from '../harness/runner/scenario.ts';

export default scenario(
  {
    name: 'corenet-6498',
    description: 'EgressIP at scale: reboots and ovnkube-node restarts, with rule-consistency checks',
    params: z.object({ eips: z.number().int().min(1).default(10) }).strict(),
  },
  async (t) => {
    t.log('not implemented yet');
  },
);
