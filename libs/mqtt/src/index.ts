export {
  createMqttClient,
  MqttPublishError,
  type MessageHandler,
  type MqttClient,
  type MqttClientOptions,
  type MqttPublishFailure,
  type MqttSubscription,
  type PublishOptions,
  type QoS,
} from './client.js';
export type { IPublishPacket } from 'mqtt';
