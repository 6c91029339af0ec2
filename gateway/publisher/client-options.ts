/**
 * The MQTT.js options of one connection: MQTT.js's own reconnect and offline queue off (the queue owns
 * what is in flight: mqtt-publisher.ts), credentials, TLS, and the "offline" last will.
 */
import type { IClientOptions } from 'mqtt';
import type { ResolvedOptions } from './options.ts';
import { statusPayload } from './status.ts';
import type { MqttTlsOptions } from './tls.ts';

export function mqttClientOptions(o: ResolvedOptions, tls: MqttTlsOptions | undefined): IClientOptions {
  const clientOptions: IClientOptions = {
    clientId: o.clientId,
    protocolVersion: o.protocolVersion,
    // The queue is the session store (mqtt-publisher.ts): nothing to resume on the broker side.
    clean: true,
    keepalive: o.keepaliveSeconds,
    reconnectPeriod: 0,
    connectTimeout: o.connectTimeoutMs,
    // MQTT.js formats a debug line (or three) per publish even when nobody listens: ~10% of its CPU per
    // message. Its own debug output stays available with DEBUG=mqttjs*.
    ...(process.env.DEBUG?.includes('mqttjs') === true ? {} : { log: () => {} }),
    queueQoSZero: false,
    ...tls,
  };
  if (o.username !== undefined) clientOptions.username = o.username;
  if (o.password !== undefined) clientOptions.password = o.password;
  if (o.statusTopic !== undefined) {
    clientOptions.will = {
      topic: o.statusTopic,
      payload: statusPayload('offline', o.gatewayId, o.bootId, Date.now()),
      qos: 1,
      retain: true,
    };
  }
  return clientOptions;
}
