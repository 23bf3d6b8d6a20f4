import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { helm, repoRoot } from './helm.js';
import type { K8sObject } from './validate.js';

export const ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];
export const CHART = 'charts/ep';

/** The component list, read from the one place it is written (templates/_helpers.tpl). */
export function components(): string[] {
  const helpers = readFileSync(join(repoRoot, CHART, 'templates/_helpers.tpl'), 'utf8');
  const list = /define "ep\.components" -\}\}\n(.+)\n/.exec(helpers);
  if (!list) throw new Error('ep.components not found in _helpers.tpl');
  return list[1]!.trim().split(/\s+/);
}

/** "query-api" → "queryApi", as the chart's ep.valuesKey does. */
export const valuesKey = (component: string) =>
  component.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** `helm template` of the chart with the given values files and --set pairs; throws on failure. */
export function render(
  valuesFiles: string[],
  options: { release?: string; set?: string[] } = {},
): K8sObject[] {
  const args = ['template', options.release ?? 'ep', CHART, '--namespace', 'ep'];
  for (const file of valuesFiles) args.push('-f', file);
  for (const pair of options.set ?? []) args.push('--set', pair);
  const result = helm(args);
  if (result.status !== 0) throw new Error(`helm ${args.join(' ')} failed:\n${result.stderr}`);
  return parseAllDocuments(result.stdout)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((object): object is K8sObject => object !== null);
}

export const renderEnvironment = (env: Environment, options: { release?: string; set?: string[] } = {}) =>
  render([`k8s/${env}.yaml`], options);

/** The pod template of a workload, or undefined for other kinds. */
export function podSpec(object: K8sObject): PodSpec | undefined {
  const spec = object.spec as { template?: { spec: PodSpec } } | undefined;
  return ['Deployment', 'StatefulSet', 'Job'].includes(object.kind) ? spec?.template?.spec : undefined;
}

export interface Container {
  name: string;
  image: string;
  imagePullPolicy?: string;
  env?: {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
  }[];
  envFrom?: { secretRef?: { name: string; optional?: boolean } }[];
  volumeMounts?: { name: string; mountPath: string }[];
  securityContext?: Record<string, unknown>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  startupProbe?: unknown;
  livenessProbe?: unknown;
  readinessProbe?: unknown;
}

export interface PodSpec {
  securityContext?: Record<string, unknown>;
  containers: Container[];
  initContainers?: Container[];
  volumes?: { name: string; emptyDir?: unknown; secret?: { secretName: string; optional?: boolean } }[];
  serviceAccountName?: string;
}
