/**
 * Publish policies are layered — tag over mapping file over device over these defaults — field by field,
 * the same way for every protocol. Resolved once at compile time into the ReportPolicy the poll path uses.
 */
import type { ReportPolicy } from './report.ts';
import type { PublishPolicy } from './schema.ts';

export const DEFAULT_PUBLISH: Readonly<Required<PublishPolicy>> = Object.freeze({
  mode: 'change',
  deadband: 0,
  heartbeatSeconds: 60,
});

/** `layers` from the most specific (tag) to the least (device); undefined layers are skipped. */
export function resolvePublishPolicy(layers: readonly (PublishPolicy | undefined)[]): ReportPolicy {
  const pick = <K extends keyof PublishPolicy>(key: K): Required<PublishPolicy>[K] => {
    for (const layer of layers) {
      const value = layer?.[key];
      if (value !== undefined) return value as Required<PublishPolicy>[K];
    }
    return DEFAULT_PUBLISH[key];
  };
  return Object.freeze({
    mode: pick('mode'),
    deadband: pick('deadband'),
    heartbeatMs: Math.round(pick('heartbeatSeconds') * 1000),
  });
}
