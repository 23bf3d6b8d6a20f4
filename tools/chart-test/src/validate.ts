import * as models from '@kubernetes/client-node/dist/gen/models/all.js';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * Strict offline validation of rendered objects. Each object is checked twice:
 * - against its JSON schema from kubernetes-models (types, formats, enums, required fields);
 * - for unknown fields, which those schemas (like the API server's default of dropping them
 *   silently) let through: built-in kinds are walked with @kubernetes/client-node's models
 *   (Kubernetes 1.36 API), custom resources are type-checked against their model's interface.
 */

/** A kind this chart renders, where its models live. */
interface KindModel {
  /** kubernetes-models module exporting the class (its schema validates). */
  module: string;
  /** For custom resources: the interface the object must satisfy with no excess property. */
  crdInterface?: { module: string; name: string };
}

const KINDS: Record<string, KindModel> = {
  'apps/v1/Deployment': { module: 'kubernetes-models/apps/v1' },
  'apps/v1/StatefulSet': { module: 'kubernetes-models/apps/v1' },
  'batch/v1/Job': { module: 'kubernetes-models/batch/v1' },
  'v1/Service': { module: 'kubernetes-models/v1' },
  'v1/ServiceAccount': { module: 'kubernetes-models/v1' },
  'v1/ConfigMap': { module: 'kubernetes-models/v1' },
  'v1/Secret': { module: 'kubernetes-models/v1' },
  'policy/v1/PodDisruptionBudget': { module: 'kubernetes-models/policy/v1' },
  'autoscaling/v2/HorizontalPodAutoscaler': { module: 'kubernetes-models/autoscaling/v2' },
  'networking.k8s.io/v1/NetworkPolicy': { module: 'kubernetes-models/networking.k8s.io/v1' },
  'networking.k8s.io/v1/Ingress': { module: 'kubernetes-models/networking.k8s.io/v1' },
  'monitoring.coreos.com/v1/ServiceMonitor': {
    module: '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1',
    crdInterface: {
      module: '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor',
      name: 'IServiceMonitor',
    },
  },
  'external-secrets.io/v1/ExternalSecret': {
    module: '@kubernetes-models/external-secrets/external-secrets.io/v1',
    crdInterface: {
      module: '@kubernetes-models/external-secrets/external-secrets.io/v1/ExternalSecret',
      name: 'IExternalSecret',
    },
  },
};

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** Every problem of one object, as "<Kind>/<name>: <path>: <message>". */
export async function validateObjects(objects: K8sObject[]): Promise<string[]> {
  const problems: string[] = [];
  const crds: K8sObject[] = [];
  for (const object of objects) {
    const id = `${object.kind}/${object.metadata?.name}`;
    const model = KINDS[`${object.apiVersion}/${object.kind}`];
    if (!model) {
      problems.push(`${id}: ${object.apiVersion} ${object.kind} is not a kind this check knows`);
      continue;
    }
    const module = (await import(model.module)) as Record<
      string,
      new (data: unknown) => { validate(): void }
    >;
    try {
      new module[object.kind]!(object).validate();
    } catch (error) {
      const errors = (error as { errors?: { instancePath: string; message: string }[] }).errors;
      for (const e of errors ?? [{ instancePath: '', message: String(error) }]) {
        problems.push(`${id}: ${e.instancePath || '/'}: ${e.message}`);
      }
    }
    if (model.crdInterface) crds.push(object);
    else {
      const version = object.apiVersion.split('/').pop()!;
      const type = `${version[0]!.toUpperCase()}${version.slice(1)}${object.kind}`;
      for (const p of unknownFields(object, type, '')) problems.push(`${id}: ${p}`);
    }
  }
  problems.push(...excessProperties(crds));
  return problems;
}

type Attribute = { baseName: string; type: string };
const modelTable = models as unknown as Record<string, { getAttributeTypeMap?: () => Attribute[] }>;

/** Fields the API does not define, by walking client-node's type map from `type`. */
export function unknownFields(value: unknown, type: string, path: string): string[] {
  if (value === null || value === undefined) return [];
  if (type.startsWith('Array<')) {
    if (!Array.isArray(value)) return [`${path}: expected an array`];
    const inner = type.slice('Array<'.length, -1);
    return value.flatMap((item, i) => unknownFields(item, inner, `${path}/${i}`));
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (typeof value !== 'object') return [`${path}: expected an object`];
    return Object.entries(value).flatMap(([k, v]) => unknownFields(v, map[1]!, `${path}/${k}`));
  }
  const attributes = modelTable[type]?.getAttributeTypeMap?.();
  if (!attributes) return []; // string, number, boolean, IntOrString, Date, any: the schema checks these
  if (typeof value !== 'object' || Array.isArray(value)) return [`${path}: expected an object (${type})`];
  return Object.entries(value).flatMap(([k, v]) => {
    const attribute = attributes.find((a) => a.baseName === k);
    if (!attribute) return [`${path}/${k}: unknown field (not in ${type})`];
    return unknownFields(v, attribute.type, `${path}/${k}`);
  });
}

/**
 * Custom resources: the objects as literals of their model's interface, so TypeScript's excess
 * property check rejects any field the CRD does not define, at any depth.
 */
function excessProperties(objects: K8sObject[]): string[] {
  if (objects.length === 0) return [];
  const lines: string[] = [];
  objects.forEach((object, i) => {
    const { module, name } = KINDS[`${object.apiVersion}/${object.kind}`]!.crdInterface!;
    lines.push(`import type { ${name} as T${i} } from '${module}';`);
  });
  objects.forEach((object, i) => lines.push(`export const o${i}: T${i} = ${JSON.stringify(object)};`));
  const fileName = fileURLToPath(new URL('../__chart_objects__.ts', import.meta.url));
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const source = ts.createSourceFile(fileName, lines.join('\n'), ts.ScriptTarget.ES2022, true);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (f, ...rest) => (f === fileName ? source : getSourceFile(f, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (f) => f === fileName || fileExists(f);
  const program = ts.createProgram([fileName], options, host);
  return ts.getPreEmitDiagnostics(program, source).map((d) => {
    const at = d.start === undefined ? 0 : source.getLineAndCharacterOfPosition(d.start).line;
    const object = objects[Math.max(0, at - objects.length)];
    return `${object?.kind}/${object?.metadata.name}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
  });
}
