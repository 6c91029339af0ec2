/**
 * Components start in order and stop in reverse; a failing stop is reported and the rest still stop; a
 * failing start stops it and everything before it, then the error comes out; a second stop does nothing.
 */
import { describe, expect, it } from 'vitest';
import type { Component } from '../../core/component.ts';
import { Lifecycle } from '../../core/lifecycle.ts';

function recorder() {
  const events: string[] = [];
  const component = (name: string, fail: { start?: boolean; stop?: boolean } = {}): Component => ({
    name,
    start: async () => {
      events.push(`start ${name}`);
      if (fail.start) throw new Error(`${name} cannot start`);
    },
    stop: async () => {
      events.push(`stop ${name}`);
      if (fail.stop) throw new Error(`${name} cannot stop`);
    },
  });
  return { events, component };
}

describe('Lifecycle', () => {
  it('starts in order, stops in reverse, and stops the others when one stop throws', async () => {
    const { events, component } = recorder();
    const errors: string[] = [];
    const lifecycle = new Lifecycle(
      [component('queue'), component('publisher', { stop: true }), component('devices')],
      (name, error) => errors.push(`${name}: ${(error as Error).message}`),
    );
    await lifecycle.start();
    await lifecycle.stop();
    expect(events).toEqual([
      'start queue',
      'start publisher',
      'start devices',
      'stop devices',
      'stop publisher',
      'stop queue',
    ]);
    expect(errors).toEqual(['publisher: publisher cannot stop']);
    await lifecycle.stop();
    expect(events).toHaveLength(6);
  });

  it('on a failed start stops the failed component and those before it, starts nothing after, rethrows', async () => {
    const { events, component } = recorder();
    const lifecycle = new Lifecycle(
      [component('gateway'), component('http', { start: true }), component('ready')],
      () => {},
    );
    await expect(lifecycle.start()).rejects.toThrow('http cannot start');
    expect(events).toEqual(['start gateway', 'start http', 'stop http', 'stop gateway']);
    await lifecycle.stop();
    expect(events).toHaveLength(4);
  });
});
