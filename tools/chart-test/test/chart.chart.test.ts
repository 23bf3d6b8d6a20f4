import { env as sharedEnv } from '@ep/config';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { helm, repoRoot } from '../src/helm.js';
import { components, ENVIRONMENTS, podSpec, renderEnvironment } from '../src/render.js';
import type { Container, PodSpec } from '../src/render.js';
import { validateObjects } from '../src/validate.js';
import type { K8sObject } from '../src/validate.js';

const COMPONENTS = components();
/** The images' user (Dockerfile `USER uid:gid`). */
const dockerUser = /^USER (\d+):(\d+)$/m.exec(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'));

const byKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const componentOf = (o: K8sObject) => o.metadata.labels?.['app.kubernetes.io/component'];
const allContainers = (pod: PodSpec): Container[] => [...(pod.initContainers ?? []), ...pod.containers];

describe.each(ENVIRONMENTS)('the %s overlay', (environment) => {
  let objects: K8sObject[];
  beforeAll(() => {
    objects = renderEnvironment(environment);
  });

  it('passes helm lint --strict', () => {
    const result = helm(['lint', '--strict', 'charts/ep', '-f', `k8s/${environment}.yaml`]);
    expect(`${result.stdout}${result.stderr}`).toContain('0 chart(s) failed');
    expect(result.status).toBe(0);
  });

  it('renders only objects valid against the Kubernetes schemas, with no unknown field', async () => {
    expect(objects.length).toBeGreaterThan(10);
    expect(await validateObjects(objects)).toEqual([]);
  });

  it('runs every component of the chart', () => {
    const deployed = byKind(objects, 'Deployment').map(componentOf).sort();
    expect(deployed).toEqual([...COMPONENTS].sort());
    expect(byKind(objects, 'StatefulSet').map(componentOf)).toEqual(['mosquitto']);
  });

  it('runs every pod as the numeric non-root user of its image (Pod Security "restricted")', () => {
    expect(dockerUser).not.toBeNull();
    for (const object of objects) {
      const pod = podSpec(object);
      if (!pod) continue;
      const where = `${object.kind}/${object.metadata.name}`;
      const expected =
        componentOf(object) === 'mosquitto'
          ? { runAsUser: 1883, runAsGroup: 1883 }
          : { runAsUser: Number(dockerUser![1]), runAsGroup: Number(dockerUser![2]) };
      expect({ where, ...pod.securityContext }).toMatchObject({
        where,
        runAsNonRoot: true,
        ...expected,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      for (const container of allContainers(pod)) {
        expect({ where, container: container.name, ...container.securityContext }).toEqual({
          where,
          container: container.name,
          runAsNonRoot: true,
          ...expected,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
      }
    }
  });

  it('gives every container a writable /tmp (an emptyDir) under its read-only root filesystem', () => {
    for (const object of objects) {
      const pod = podSpec(object);
      if (!pod) continue;
      for (const container of allContainers(pod)) {
        const mount = container.volumeMounts?.find((m) => m.mountPath === '/tmp');
        expect({ where: `${object.metadata.name}/${container.name}`, mounted: !!mount }).toEqual({
          where: `${object.metadata.name}/${container.name}`,
          mounted: true,
        });
        expect(pod.volumes?.find((v) => v.name === mount!.name)?.emptyDir).toBeDefined();
      }
    }
  });

  it('probes every long-running container: startup, liveness and readiness', () => {
    for (const object of [...byKind(objects, 'Deployment'), ...byKind(objects, 'StatefulSet')]) {
      for (const container of podSpec(object)!.containers) {
        const probes = {
          where: object.metadata.name,
          startup: !!container.startupProbe,
          liveness: !!container.livenessProbe,
          readiness: !!container.readinessProbe,
        };
        expect(probes).toEqual({
          where: object.metadata.name,
          startup: true,
          liveness: true,
          readiness: true,
        });
      }
    }
    for (const deployment of byKind(objects, 'Deployment')) {
      const container = podSpec(deployment)!.containers[0]!;
      expect(container.readinessProbe).toMatchObject({ httpGet: { path: '/readyz', port: 'http' } });
      expect(container.livenessProbe).toMatchObject({ httpGet: { path: '/healthz', port: 'http' } });
    }
  });

  it('reads secrets only as required references, each component from its own Secret', () => {
    const owners = new Map<string, string>();
    for (const object of objects) {
      const pod = podSpec(object);
      if (!pod) continue;
      const component = componentOf(object)!;
      for (const container of allContainers(pod)) {
        for (const variable of container.env ?? []) {
          const ref = variable.valueFrom?.secretKeyRef;
          if (!ref) continue;
          expect({ variable: variable.name, optional: ref.optional ?? false }).toEqual({
            variable: variable.name,
            optional: false,
          });
          expect(ref.name).toContain(component);
          const owner = owners.get(ref.name) ?? component;
          owners.set(ref.name, owner);
          expect({ secret: ref.name, readBy: component }).toEqual({ secret: ref.name, readBy: owner });
        }
        expect(container.envFrom ?? []).toEqual([]);
      }
      for (const volume of pod.volumes ?? []) expect(volume.secret?.optional ?? false).toBe(false);
    }
    // Credentials are never plain values.
    for (const deployment of byKind(objects, 'Deployment')) {
      for (const variable of podSpec(deployment)!.containers[0]!.env ?? []) {
        if (/^(DATABASE_URL|DATABASE_READ_URL|AMQP_URL|MQTT_PASSWORD)$/.test(variable.name)) {
          expect({ variable: variable.name, fromSecret: !!variable.valueFrom }).toEqual({
            variable: variable.name,
            fromSecret: true,
          });
        }
      }
    }
  });

  it('runs the migration as a bounded, hardened pre-install/pre-upgrade hook', () => {
    const [job] = byKind(objects, 'Job');
    const overlay = parse(readFileSync(join(repoRoot, `k8s/${environment}.yaml`), 'utf8')) as {
      global?: { image?: { pullPolicy?: string } };
    };
    const spec = job!.spec as { backoffLimit: number; activeDeadlineSeconds: number };
    const container = podSpec(job!)!.containers[0]!;
    expect(job!.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    expect(spec.backoffLimit).toBeGreaterThanOrEqual(0);
    expect(spec.activeDeadlineSeconds).toBeGreaterThan(0);
    expect(container.imagePullPolicy).toBe(overlay.global?.image?.pullPolicy ?? 'IfNotPresent');
    expect(container.resources?.requests).toBeDefined();
    expect(container.resources?.limits?.memory).toBeDefined();
    expect(container.image).toMatch(/\/cli:/);
  });

  it('keeps every name and label value within 63 characters, even for the longest release name', () => {
    const longRelease = 'r'.repeat(53); // Helm's own limit on release names
    for (const object of [...objects, ...renderEnvironment(environment, { release: longRelease })]) {
      expect(object.metadata.name.length).toBeLessThanOrEqual(63);
      for (const value of Object.values(object.metadata.labels ?? {}))
        expect(value.length).toBeLessThanOrEqual(63);
    }
  });

  it('tells the notifier its replica count (or the HPA ceiling) for its consumer window', () => {
    const notifier = byKind(objects, 'Deployment').find((d) => componentOf(d) === 'notifier')!;
    const hpa = byKind(objects, 'HorizontalPodAutoscaler').find((h) => componentOf(h) === 'notifier');
    const expected = hpa
      ? (hpa.spec as { maxReplicas: number }).maxReplicas
      : (notifier.spec as { replicas: number }).replicas;
    const variable = podSpec(notifier)!.containers[0]!.env!.find((e) => e.name === 'EP_NOTIFIER_REPLICAS');
    expect(variable?.value).toBe(String(expected));
    const scaled = renderEnvironment(environment, {
      set: ['notifier.replicas=7', 'notifier.autoscaling.enabled=false'],
    });
    const scaledNotifier = byKind(scaled, 'Deployment').find((d) => componentOf(d) === 'notifier')!;
    expect(
      podSpec(scaledNotifier)!.containers[0]!.env!.find((e) => e.name === 'EP_NOTIFIER_REPLICAS')?.value,
    ).toBe('7');
  });
});

describe("each service's environment", () => {
  const objects = () => renderEnvironment('prod');
  /** Variable names a service's config.ts reads: its own keys and the shared groups it spreads. */
  const configNames = (component: string): Set<string> => {
    const source = readFileSync(join(repoRoot, 'services', component, 'src/config.ts'), 'utf8');
    const names = new Set([...source.matchAll(/^\s+([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]!));
    for (const [, group] of source.matchAll(/\benv\.([A-Z_]+)\b/g)) {
      const entry = (sharedEnv as Record<string, unknown>)[group!];
      const shape = typeof entry === 'function' ? (entry as (n: number) => object)(0) : (entry as object);
      for (const name of Object.keys(shape ?? {})) names.add(name);
    }
    return names;
  };
  const present = COMPONENTS.filter((c) => existsSync(join(repoRoot, 'services', c, 'src/config.ts')));
  const absent = COMPONENTS.filter((c) => !present.includes(c));

  it.each(present)('%s: every variable the chart sets is one its config.ts reads', (component) => {
    const deployment = byKind(objects(), 'Deployment').find((d) => componentOf(d) === component)!;
    const known = configNames(component);
    const unknown = podSpec(deployment)!
      .containers[0]!.env!.map((e) => e.name)
      .filter((name) => !known.has(name));
    expect({ component, unknown }).toEqual({ component, unknown: [] });
  });
  it('the migration Job: every variable is one the CLI reads', () => {
    const cli = readdirSync(join(repoRoot, 'tools/cli/src'))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => readFileSync(join(repoRoot, 'tools/cli/src', f), 'utf8'))
      .join('\n');
    const known = new Set([...cli.matchAll(/\benv\[['"]([A-Z][A-Z0-9_]*)['"]\]/g)].map((m) => m[1]!));
    const job = byKind(objects(), 'Job')[0]!;
    const unknown = podSpec(job)!
      .containers[0]!.env!.map((e) => e.name)
      .filter((name) => !known.has(name));
    expect(known.size).toBeGreaterThan(0);
    expect(unknown).toEqual([]);
  });
  // Every component is a service of the repository: a chart component without its folder fails.
  it('has a service folder for every component', () => {
    expect(absent).toEqual([]);
  });
});

describe('the prod overlay', () => {
  let objects: K8sObject[];
  beforeAll(() => {
    objects = renderEnvironment('prod');
  });
  const forComponent = (kind: string, component: string) =>
    byKind(objects, kind).find((o) => componentOf(o) === component);

  it('gives every component a PodDisruptionBudget and the scaling ones an HPA that owns the count', () => {
    for (const component of COMPONENTS) {
      expect({ component, pdb: !!forComponent('PodDisruptionBudget', component) }).toEqual({
        component,
        pdb: true,
      });
    }
    for (const component of COMPONENTS.filter((c) => c !== 'gateway-poller')) {
      const hpa = forComponent('HorizontalPodAutoscaler', component);
      expect({ component, hpa: !!hpa }).toEqual({ component, hpa: true });
      const spec = hpa!.spec as { minReplicas: number; scaleTargetRef: { name: string } };
      expect(spec.minReplicas).toBeGreaterThanOrEqual(2);
      const deployment = forComponent('Deployment', component)!;
      expect(spec.scaleTargetRef.name).toBe(deployment.metadata.name);
      expect((deployment.spec as { replicas?: number }).replicas).toBeUndefined();
    }
    expect(
      (forComponent('Deployment', 'gateway-poller')!.spec as { replicas: number }).replicas,
    ).toBeGreaterThanOrEqual(2);
  });

  it('passes the read replica to query-api as DATABASE_READ_URL', () => {
    const env = podSpec(forComponent('Deployment', 'query-api')!)!.containers[0]!.env!;
    expect(env.find((e) => e.name === 'DATABASE_READ_URL')?.valueFrom?.secretKeyRef?.key).toBe(
      'DATABASE_READ_URL',
    );
  });

  it('serves HTTPS through an Ingress, with NetworkPolicies, ServiceMonitors and a ServiceAccount', () => {
    const [ingress] = byKind(objects, 'Ingress');
    const spec = ingress!.spec as {
      tls: { hosts: string[]; secretName: string }[];
      rules: { host: string }[];
    };
    expect(spec.tls[0]!.secretName).toBeTruthy();
    expect(spec.tls[0]!.hosts).toEqual([spec.rules[0]!.host]);
    expect(byKind(objects, 'NetworkPolicy').map(componentOf).sort()).toEqual(
      [...COMPONENTS, 'mosquitto'].sort(),
    );
    expect(byKind(objects, 'ServiceMonitor').map(componentOf).sort()).toEqual([...COMPONENTS].sort());
    const [account] = byKind(objects, 'ServiceAccount');
    for (const object of objects) {
      const pod = podSpec(object);
      if (pod) expect(pod.serviceAccountName).toBe(account!.metadata.name);
    }
  });

  it('runs Mosquitto with password auth, MQTT and websockets listeners and persistence', () => {
    const config = readFileSync(join(repoRoot, 'charts/ep/files/mosquitto/mosquitto.conf'), 'utf8');
    expect(config).toMatch(/^allow_anonymous false$/m);
    expect(config).toMatch(/^plugin .*mosquitto_dynamic_security\.so$/m);
    expect(config).toMatch(/^listener 1883$/m);
    expect(config).toMatch(/^protocol websockets$/m);
    expect(config).toMatch(/^persistence true$/m);
    const mosquitto = forComponent('StatefulSet', 'mosquitto')!;
    expect((mosquitto.spec as { volumeClaimTemplates?: unknown[] }).volumeClaimTemplates).toHaveLength(1);
    // The teststand-handler's MQTT user is one of the clients the init container keeps.
    const init = podSpec(mosquitto)!.initContainers![0]!;
    const clients = init.env!.find((e) => e.name === 'MOSQUITTO_CLIENTS')!.value!.split(' ');
    const handler = podSpec(forComponent('Deployment', 'teststand-handler')!)!.containers[0]!.env!;
    const username = handler.find((e) => e.name === 'MQTT_USERNAME')!.value;
    const passwordKey = clients.find((c) => c.startsWith(`${username}=`))?.split('=')[1];
    expect(passwordKey).toBeDefined();
    expect(init.env!.find((e) => e.name === passwordKey)?.valueFrom?.secretKeyRef?.key).toBe(passwordKey);
    expect(handler.find((e) => e.name === 'MQTT_PASSWORD')?.valueFrom?.secretKeyRef).toBeDefined();
    // The dynamic-security file (clients, roles, ACLs) lives on the persistent volume.
    expect(init.env!.find((e) => e.name === 'MOSQUITTO_DYNSEC_FILE')?.value).toMatch(/^\/mosquitto\/data\//);
    const configMap = forComponent('ConfigMap', 'mosquitto')!;
    expect((configMap.data as Record<string, string>)['mosquitto.conf']).toBe(config.trimEnd());
    expect((configMap.data as Record<string, string>)['dynsec-init.sh']).toBe(
      readFileSync(join(repoRoot, 'charts/ep/files/dynsec-init.sh'), 'utf8').trimEnd(),
    );
  });
});
