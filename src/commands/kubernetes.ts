// `dnsbench kubernetes` (alias k8s): print a ready-to-create manifest for N generator pods that
// run one benchmark as segments 1..N with a shared --start-at, and the commands that collect and
// merge what the pods print. Everything is validated here, as a run would validate it, before a
// byte is printed: a typo must not surface only once the pods are scheduled.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { Command, type Option } from 'commander';
import { addRunOptions } from '../cli-options.js';
import { parseServerSpec, resolveConfig, type RawRunOptions } from '../config.js';
import { UsageError } from '../errors.js';
import { buildQuerySet } from '../queryset/load.js';
import { MAX_SEGMENTS } from '../queryset/segment.js';
import { buildManifest, renderManifest, TLS_CA_KEY, type ManifestPlan, type QuerySource } from '../kubernetes/manifest.js';
import { redactArgv } from '../redact.js';
import { shellQuote } from '../kubernetes/shell.js';
import type { Console } from './console.js';

export interface RawKubernetesOptions extends RawRunOptions {
  generators?: string;
  image?: string;
  namespace?: string;
  name?: string;
  startDelay?: string;
  queriesVolume?: string;
  cpus?: string;
  memory?: string;
  spread?: string;
}

/** ConfigMap data (all values together) may not exceed 1 MiB (core/v1 ConfigMap validation). */
export const CONFIGMAP_MAX_BYTES = 1024 * 1024;

/** Flags a pod cannot use as given, and why (the manifest sets them, or they belong elsewhere). */
const REFUSED: ReadonlyArray<[keyof RawKubernetesOptions | 'gate' | 'baseline' | 'maxRegression' | 'junit' | 'markdown', string, string]> = [
  ['segment', '--segment', 'the manifest gives each pod its segment'],
  ['startAt', '--start-at', 'the manifest sets it from --start-delay'],
  ['json', '--json', 'each pod prints its JSON report to its log, for dnsbench merge -'],
  ['html', '--html', 'render the merged report instead: dnsbench report all.json --html FILE'],
  ['csv', '--csv', 'render the merged report instead: dnsbench report all.json --csv FILE'],
  ['verbose', '-v/--verbose', 'it prints a line per query into the pod logs'],
  ['localAddr', '-a/--local-addr', 'each pod sends from its own address'],
  ['gate', '--gate', 'gate the merged report instead: dnsbench report all.json --gate ...'],
  ['baseline', '--baseline', 'compare the merged report instead: dnsbench report all.json --baseline ...'],
  ['maxRegression', '--max-regression', 'compare the merged report instead: dnsbench report all.json --baseline ...'],
  ['junit', '--junit', 'use it on the merged report: dnsbench report all.json --gate ... --junit FILE'],
  ['markdown', '--markdown', 'use it on the merged report: dnsbench report all.json --markdown FILE'],
];

/** Run flags the manifest rewrites for the pod (file paths, the secret, threads) or drops (output). */
const REWRITTEN = new Set(['datafile', 'tsig', 'tlsCa', 'threads', 'quiet']);

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUANTITY = /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const CONFIGMAP_KEY = /^[-._a-zA-Z0-9]+$/;

function whole(flag: string, value: string, min: number, max: number): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!(n >= min && n <= max)) throw new UsageError(`${flag}: expected a whole number from ${min} to ${max}, got "${value}"`);
  return n;
}

/**
 * The run flags as argv tokens, from commander's own option definitions (so every run flag is
 * known here without a second list): `--long value` per value (repeatable ones once each),
 * `--long` for a set switch, `--no-x` for a negated one. Skips `skip` (attribute names).
 */
export function runArgsOf(raw: Record<string, unknown>, defs: readonly Option[], skip: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const def of defs) {
    const key = def.attributeName();
    const value = raw[key];
    if (skip.has(key) || value === undefined || def.long === undefined) continue;
    if (def.negate) {
      if (value === false) out.push(def.long);
    } else if (typeof value === 'boolean') {
      if (value) out.push(def.long);
    } else if (Array.isArray(value)) {
      for (const v of value) out.push(def.long, String(v));
    } else out.push(def.long, String(value));
  }
  return out;
}

/** Job name by default: dnsbench-YYYYMMDD-HHMMSS (UTC), unique per run as a Job name must be. */
function defaultName(nowMs: number): string {
  const iso = new Date(nowMs).toISOString();
  return `dnsbench-${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}`;
}

/** -s values with host names replaced by a loopback placeholder: names are resolved in the pods, not here. */
function placeholderServers(specs: readonly string[] | undefined, family: string | undefined): string[] | undefined {
  if (specs === undefined) return undefined;
  const placeholder = family === 'inet6' ? '[::1]' : '127.0.0.1';
  return specs.map((spec) => {
    const p = parseServerSpec(spec, 53);
    if (isIP(p.host) !== 0) return spec;
    return `${p.label !== null ? `${p.label}=` : ''}${placeholder}:${p.port}`;
  });
}

function readLocal(flag: string, file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new UsageError(`${flag} ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

function formatSize(n: number): string {
  return n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
}

/**
 * Validates everything and returns the plan of the manifest; throws UsageError (or InputError for
 * a bad query file) naming the flag.
 */
export async function planKubernetes(raw: RawKubernetesOptions, nowMs: number): Promise<ManifestPlan> {
  for (const [key, flag, why] of REFUSED) {
    if ((raw as Record<string, unknown>)[key] !== undefined) throw new UsageError(`kubernetes: ${flag} is not for the pods: ${why}`);
  }
  if (raw.generators === undefined) throw new UsageError('kubernetes: give --generators N, the number of generator pods');
  const generators = whole('--generators', raw.generators, 1, MAX_SEGMENTS);
  if (raw.image === undefined || raw.image.trim() === '' || /\s/.test(raw.image)) {
    throw new UsageError('kubernetes: give --image IMAGE, a container image with dnsbench on its PATH (docs/kubernetes.md has a Dockerfile)');
  }
  const namespace = raw.namespace ?? null;
  if (namespace !== null && !(DNS_LABEL.test(namespace) && namespace.length <= 63)) {
    throw new UsageError(`--namespace: expected a Kubernetes namespace (lower-case letters, digits and '-', at most 63), got "${namespace}"`);
  }
  const name = raw.name ?? defaultName(nowMs);
  // The Job's pods are named <name>-<index>-<5 chars> and their host names <name>-<index>: keep room.
  if (!(DNS_LABEL.test(name) && name.length <= 40)) {
    throw new UsageError(`--name: expected lower-case letters, digits and '-' (at most 40, starting and ending with a letter or digit), got "${name}"`);
  }
  const startDelaySec = raw.startDelay === undefined ? 60 : whole('--start-delay', raw.startDelay, 5, 3600);
  const threadsGiven = raw.threads !== undefined ? whole('-T/--threads', raw.threads, 1, 256) : null;
  const cpus = raw.cpus !== undefined ? whole('--cpus', raw.cpus, 1, 256) : (threadsGiven ?? 2);
  const memory = raw.memory ?? '1Gi';
  if (!QUANTITY.test(memory)) throw new UsageError(`--memory: expected a Kubernetes quantity such as 512Mi or 2Gi, got "${memory}"`);
  const spread = raw.spread ?? 'preferred';
  if (spread !== 'preferred' && spread !== 'required') throw new UsageError(`--spread: expected preferred or required, got "${spread}"`);

  if (raw.server === undefined || raw.server.length === 0) {
    throw new UsageError('kubernetes: give -s SERVER: without it each pod would benchmark its own loopback address');
  }
  const datafile = raw.datafile;
  if (datafile === undefined || datafile === '-') {
    throw new UsageError('kubernetes: give -d FILE: the query file goes to the pods in a ConfigMap (or is read from --queries-volume)');
  }
  const claim = raw.queriesVolume ?? null;
  if (claim !== null && !(DNS_SUBDOMAIN.test(claim) && claim.length <= 253)) {
    throw new UsageError(`--queries-volume: expected the name of a PersistentVolumeClaim, got "${claim}"`);
  }
  if (claim !== null && (path.isAbsolute(datafile) || datafile.split(/[\\/]/).includes('..'))) {
    throw new UsageError(`-d ${datafile}: with --queries-volume, give the file's path inside the volume (relative, without ..)`);
  }

  // The run flags, validated as a run would (host names are resolved by the pods, not here).
  const config = await resolveConfig({
    ...raw,
    server: placeholderServers(raw.server, raw.family),
    datafile: claim === null ? datafile : '-',
    threads: String(threadsGiven ?? cpus),
    json: undefined,
  });

  let queries: QuerySource;
  let queryBytes = 0;
  if (claim === null) {
    const bytes = readLocal('-d', datafile);
    queryBytes = bytes.length;
    // Parse it here: a bad line, or fewer queries than generators, would fail every pod.
    buildQuerySet(bytes, datafile, config.encode, { index: 1, count: generators });
    const base = path.basename(datafile);
    const key = CONFIGMAP_KEY.test(base) && base !== TLS_CA_KEY && base !== '.' && base !== '..' && base.length <= 253 ? base : 'queries.txt';
    queries = { kind: 'configmap', key, bytes };
  } else {
    queries = { kind: 'volume', claim, path: path.posix.normalize(datafile.replace(/\\/g, '/')) };
  }
  const tlsCa = raw.tlsCa !== undefined ? readLocal('--tls-ca', raw.tlsCa) : null;
  const configBytes = queryBytes + (tlsCa?.length ?? 0);
  if (configBytes > CONFIGMAP_MAX_BYTES) {
    throw new UsageError(
      `-d ${datafile}: ${formatSize(configBytes)} is more than a ConfigMap holds (1 MiB); put the file on a volume and give ` +
        '--queries-volume CLAIM, with -d as its path inside the volume',
    );
  }

  const runs = config.mode === 'sequential' ? config.targets.length : 1;
  const activeDeadlineSeconds = config.timeLimitSec === null ? null : Math.ceil(startDelaySec + runs * (config.timeLimitSec + config.timeoutSec) + 300);
  const defs = addRunOptions(new Command()).options;
  return {
    name,
    namespace,
    image: raw.image.trim(),
    generators,
    // On a whole second: easier to read in the manifest and in every pod's log.
    startAtMs: Math.ceil(nowMs / 1000 + startDelaySec) * 1000,
    cpus,
    memory,
    spread,
    runArgs: runArgsOf(raw as Record<string, unknown>, defs, REWRITTEN),
    queries,
    tlsCa,
    tsig: raw.tsig ?? null,
    activeDeadlineSeconds,
  };
}

/** The commands that wait for the job and merge what its pods printed. */
export function collectCommands(plan: Pick<ManifestPlan, 'name' | 'namespace' | 'activeDeadlineSeconds'>): string[] {
  const ns = plan.namespace !== null ? ` -n ${plan.namespace}` : '';
  const timeout = plan.activeDeadlineSeconds !== null ? `${plan.activeDeadlineSeconds}s` : '24h';
  return [
    `kubectl wait${ns} --for=condition=complete job/${plan.name} --timeout=${timeout}`,
    // With a selector kubectl prints only the last 10 lines of each pod unless told otherwise.
    `kubectl logs${ns} -l job-name=${plan.name} --prefix --tail=-1 | dnsbench merge - -o ${plan.name}.json`,
  ];
}

export async function kubernetesCommand(raw: RawKubernetesOptions, argv: readonly string[], con: Console, nowMs: number = Date.now()): Promise<number> {
  const plan = await planKubernetes(raw, nowMs);
  const objects = buildManifest(plan);
  const at = new Date(plan.startAtMs).toISOString();
  const where = plan.queries.kind === 'configmap' ? plan.queries.key : `${plan.queries.path} on volume ${plan.queries.claim}`;
  con.out(
    renderManifest(objects, [
      redactArgv(['dnsbench', ...argv]).map(shellQuote).join(' '),
      `${plan.generators} generators, segments 1..${plan.generators} of ${where}, start sending at ${at}`,
      ...(plan.tsig !== null ? ['The Secret below holds the TSIG key: pipe this to kubectl, do not keep it in a repository.'] : []),
    ]),
  );
  const [wait, logs] = collectCommands(plan);
  con.err(
    `dnsbench: ${plan.generators} generator pod(s), ${plan.cpus} CPU and ${plan.memory} each, start sending at ${at} ` +
      `(${Math.round((plan.startAtMs - nowMs) / 1000)} s from now): create the objects right away, e.g.\n` +
      `  dnsbench k8s ... | kubectl create -f -     (or kubectl apply --server-side -f -)\n` +
      'When the job has finished, collect and merge the reports:\n' +
      `  ${wait}\n  ${logs}\n`,
  );
  return 0;
}
