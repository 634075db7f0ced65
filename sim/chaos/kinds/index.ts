/**
 * The embedded cluster's effect of every chaos kind: one line per kind of the registry
 * (chaos/kinds/index.ts). Typed by ChaosKind, so a kind without its effect fails typecheck.
 */
import type { ChaosKind } from '../../../chaos/model.ts';
import { networkChaosEffect } from './network-chaos.ts';
import { podChaosEffect } from './pod-chaos.ts';
import { recordedOnly, type KindEffectFactory } from './types.ts';

export const KIND_EFFECTS: Record<ChaosKind, KindEffectFactory> = {
  PodChaos: podChaosEffect,
  NetworkChaos: networkChaosEffect,
  // StressChaos and TimeChaos are recorded (status + events); injectedChaos() lists them for parts that act on them
  StressChaos: recordedOnly,
  TimeChaos: recordedOnly,
};

export type { KindEffect, KindEffectFactory } from './types.ts';
