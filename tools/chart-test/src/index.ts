export { ensureHelm, helm, HELM_VERSION, repoRoot } from './helm.js';
export { components, ENVIRONMENTS, podSpec, render, renderEnvironment, valuesKey } from './render.js';
export type { Container, Environment, PodSpec } from './render.js';
export { unknownFields, validateObjects } from './validate.js';
export type { K8sObject } from './validate.js';
