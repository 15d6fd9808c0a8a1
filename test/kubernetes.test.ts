// `dnsbench kubernetes`: the manifest validates against the Kubernetes API schema (batch/v1 Job,
// v1 ConfigMap, v1 Secret, via kubernetes-models, offline), carries the query file byte for byte,
// keeps the TSIG secret out of the pod spec, and the pod's command line reaches dnsbench exactly
// as meant after Kubernetes' $(VAR) expansion and the shell.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Job, type IJob } from 'kubernetes-models/batch/v1/Job';
import { parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli-main.js';
import { buildProgram, type Parsed } from '../src/cli.js';
import { CONFIGMAP_MAX_BYTES, kubernetesCommand, type RawKubernetesOptions } from '../src/commands/kubernetes.js';
import { escapeKubernetesExpansion, shellQuote } from '../src/kubernetes/shell.js';
import { captureConsole, expectUsageError, ROOT } from './support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsbench-k8s-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const QUERIES = 'www.test.com A\nh1.test.com AAAA\n; a comment\n\nh2.test.com MX\nh3.test.com TXT\nh4.test.com A\n';
const qfile = join(dir, 'queries.txt');
writeFileSync(qfile, QUERIES);
const NOW = Date.UTC(2026, 4, 1, 12, 0, 0, 250);
const TSIG = 'hmac-sha256:chinanet:kve3QMmhjXGZUZURb6mucQ==';

/** Parses argv as the CLI does and runs the k8s command with a fixed clock. */
async function k8s(args: string[]): Promise<{ stdout: string; stderr: string; docs: Array<Record<string, any>> }> {
  let parsed: Parsed | undefined;
  buildProgram((p) => (parsed = p)).parse(['k8s', ...args], { from: 'user' });
  expect(parsed?.command).toBe('kubernetes');
  const con = captureConsole();
  expect(await kubernetesCommand((parsed as { options: RawKubernetesOptions }).options, ['k8s', ...args], con, NOW)).toBe(0);
  const docs = parseAllDocuments(con.stdout).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as Record<string, any>;
  });
  return { stdout: con.stdout, stderr: con.stderr, docs };
}

/** Validates each object with the kubernetes-models class of its kind (the API's OpenAPI schema). */
function validateAll(docs: Array<Record<string, any>>): void {
  for (const doc of docs) {
    const model = doc['kind'] === 'Job' ? new Job(doc as IJob) : doc['kind'] === 'ConfigMap' ? new ConfigMap(doc as never) : doc['kind'] === 'Secret' ? new Secret(doc as never) : null;
    expect(model, `unexpected kind ${doc['kind']}`).not.toBeNull();
    expect(() => model!.validate()).not.toThrow();
  }
}

const base = ['--generators', '4', '--image', 'registry.example/dnsbench:0.1', '-s', 'vip=172.28.0.99', '-d', qfile, '-l', '60'];

describe('the manifest', () => {
  it('validates against the Kubernetes API schema: ConfigMap, Secret, Indexed Job', async () => {
    const { docs } = await k8s([...base, '-Q', '200000', '-y', TSIG, '--namespace', 'bench']);
    expect(docs.map((d) => `${d['apiVersion']} ${d['kind']}`)).toEqual(['v1 ConfigMap', 'v1 Secret', 'batch/v1 Job']);
    validateAll(docs);
  });

  it('the schema check can fail: a wrong type or enum value is refused', async () => {
    const { docs } = await k8s(base);
    const job = docs.find((d) => d['kind'] === 'Job')!;
    expect(() => new Job({ ...job, spec: { ...job['spec'], completions: 'four' } } as never).validate()).toThrow(/completions must be integer/);
    expect(() => new Job({ ...job, spec: { ...job['spec'], completionMode: 'Ordered' } } as never).validate()).toThrow(/completionMode/);
    const cm = docs.find((d) => d['kind'] === 'ConfigMap')!;
    expect(() => new ConfigMap({ ...cm, data: { 'queries.txt': 42 } } as never).validate()).toThrow();
  });

  it('is an Indexed Job of N pods, not retried, with CPU requests = limits and spread over nodes', async () => {
    const { docs } = await k8s([...base, '--cpus', '3', '--memory', '2Gi', '--name', 'bench-1']);
    const job = docs.find((d) => d['kind'] === 'Job')!;
    expect(job['metadata']).toMatchObject({ name: 'bench-1' });
    expect(job['metadata']['namespace']).toBeUndefined();
    const spec = job['spec'];
    expect(spec).toMatchObject({ completionMode: 'Indexed', completions: 4, parallelism: 4, backoffLimit: 0 });
    expect(spec['activeDeadlineSeconds']).toBe(60 + 60 + 5 + 300);
    const pod = spec['template']['spec'];
    expect(pod['restartPolicy']).toBe('Never');
    const c = pod['containers'][0];
    expect(c['image']).toBe('registry.example/dnsbench:0.1');
    expect(c['resources']).toEqual({ requests: { cpu: '3', memory: '2Gi' }, limits: { cpu: '3', memory: '2Gi' } });
    expect(c['securityContext']).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(pod['automountServiceAccountToken']).toBe(false);
    const anti = pod['affinity']['podAntiAffinity']['preferredDuringSchedulingIgnoredDuringExecution'][0];
    expect(anti['podAffinityTerm']).toEqual({ labelSelector: { matchLabels: { 'app.kubernetes.io/instance': 'bench-1' } }, topologyKey: 'kubernetes.io/hostname' });
    expect(spec['template']['metadata']['labels']['app.kubernetes.io/instance']).toBe('bench-1');
    const strict = (await k8s([...base, '--spread', 'required'])).docs.find((d) => d['kind'] === 'Job')!;
    expect(Object.keys(strict['spec']['template']['spec']['affinity']['podAntiAffinity'])).toEqual(['requiredDuringSchedulingIgnoredDuringExecution']);
  });

  it('carries the query file byte for byte (as text, or base64 when text would not be exact)', async () => {
    const { docs } = await k8s(base);
    const cm = docs.find((d) => d['kind'] === 'ConfigMap')!;
    expect(cm['data']).toEqual({ 'queries.txt': QUERIES });
    const odd = Buffer.concat([Buffer.from('\ufeffa.example A\r\n\tb.example AAAA  \nc.example MX'), Buffer.from([0x0a, 0x23, 0xff, 0x0a])]);
    const oddFile = join(dir, 'odd queries.txt');
    writeFileSync(oddFile, odd);
    const cm2 = (await k8s(['--generators', '2', '--image', 'i', '-s', '192.0.2.53', '-d', oddFile])).docs.find((d) => d['kind'] === 'ConfigMap')!;
    expect(cm2['data']).toBeUndefined();
    expect(Object.keys(cm2['binaryData'])).toEqual(['queries.txt']); // "odd queries.txt" is no ConfigMap key
    expect(Buffer.from(cm2['binaryData']['queries.txt'], 'base64').equals(odd)).toBe(true);
    validateAll([cm2]);
  });

  it('keeps the TSIG secret in a Secret: not in the pod spec, redacted in the header comment', async () => {
    const { docs, stdout } = await k8s([...base, '-y', TSIG]);
    const secret = docs.find((d) => d['kind'] === 'Secret')!;
    expect(secret['stringData']).toEqual({ tsig: TSIG });
    const job = docs.find((d) => d['kind'] === 'Job')!;
    expect(JSON.stringify(job)).not.toContain('kve3QMmhjXGZUZURb6mucQ');
    expect(job['spec']['template']['spec']['containers'][0]['env']).toEqual([
      { name: 'DNSBENCH_TSIG', valueFrom: { secretKeyRef: { name: secret['metadata']['name'], key: 'tsig' } } },
    ]);
    expect(stdout.split('\n')[0]).toContain("-y 'hmac-sha256:chinanet:<redacted>'");
    expect(stdout.match(/kve3QMmhjXGZUZURb6mucQ/g)).toHaveLength(1); // only in the Secret
  });

  it('puts a --tls-ca certificate in the ConfigMap and points the pods at it', async () => {
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const { docs } = await k8s([...base, '-m', 'dot', '--tls-ca', ca, '--tls-sni', 'dns.example']);
    const cm = docs.find((d) => d['kind'] === 'ConfigMap')!;
    expect(Object.keys(cm['data'])).toEqual(['queries.txt', 'tls-ca.pem']);
    const script = docs.find((d) => d['kind'] === 'Job')!['spec']['template']['spec']['containers'][0]['command'][2] as string;
    expect(script).toContain('--tls-ca /etc/dnsbench/tls-ca.pem');
    expect(script).not.toContain(dir);
    validateAll(docs);
  });

  it('with --queries-volume, mounts the claim read-only and reads -d inside it', async () => {
    const { docs } = await k8s(['--generators', '8', '--image', 'i', '-s', '192.0.2.53', '-d', 'sets/huge.txt', '--queries-volume', 'dns-queries', '-n', '3']);
    expect(docs.map((d) => d['kind'])).toEqual(['Job']);
    const pod = docs[0]!['spec']['template']['spec'];
    expect(pod['volumes']).toEqual([{ name: 'queries', persistentVolumeClaim: { claimName: 'dns-queries', readOnly: true } }]);
    expect(pod['containers'][0]['volumeMounts']).toEqual([{ name: 'queries', mountPath: '/queries', readOnly: true }]);
    expect(pod['containers'][0]['command'][2]).toContain('-d /queries/sets/huge.txt');
    expect(docs[0]!['spec']['activeDeadlineSeconds']).toBeUndefined(); // -n without -l: length unknown
    validateAll(docs);
  });

  it('prints the start time and the two commands that collect and merge on stderr; stdout is only YAML', async () => {
    const { stdout, stderr } = await k8s([...base, '--namespace', 'bench', '--name', 'run-7', '--start-delay', '90']);
    // 90 s after 12:00:00.250, rounded up to a whole second.
    expect(stdout).toContain("--start-at 2026-05-01T12:01:31.000Z --json -");
    expect(stderr).toContain('start sending at 2026-05-01T12:01:31.000Z');
    expect(stderr).toContain('  kubectl wait -n bench --for=condition=complete job/run-7 --timeout=455s\n');
    expect(stderr).toContain('  kubectl logs -n bench -l job-name=run-7 --prefix --tail=-1 | dnsbench merge - -o run-7.json\n');
    expect(stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#') && !/^(---|\s|[A-Za-z]+:)/.test(l))).toEqual([]);
  });
});

/** Kubernetes' expansion of command/args: $(VAR) for a defined VAR, $$ -> $, anything else as is. */
function kubernetesExpand(s: string, env: Record<string, string>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string | undefined) => (m === '$$' ? '$' : name !== undefined && name in env ? env[name]! : m));
}

describe('the pod command line', () => {
  // A stand-in for dnsbench on the pod's PATH that prints the argv it was given.
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'dnsbench'), '#!/bin/sh\nfor a in "$@"; do printf "%s\\0" "$a"; done\n');
  chmodSync(join(bin, 'dnsbench'), 0o755);

  function runInPod(script: string, index: number): string[] {
    const env = { PATH: `${bin}:/usr/bin:/bin`, JOB_COMPLETION_INDEX: String(index), DNSBENCH_TSIG: TSIG, HOME: '/root', TITLE: 'expanded!' };
    const r = spawnSync('sh', ['-c', kubernetesExpand(script, env)], { env, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.split('\0').slice(0, -1);
  }

  it('reaches dnsbench exactly: quotes, $, backslashes and line breaks survive; segment = index + 1', async () => {
    const title = `it's "$(TITLE)" $HOME \`id\` \\n; rm -rf / &\nline 2 $$`;
    const { docs } = await k8s([...base, '--title', title, '-y', TSIG, '--ecs', '198.51.100.0/24', '--ecs', '203.0.113.0/24', '-R', '-e']);
    const script = docs.find((d) => d['kind'] === 'Job')!['spec']['template']['spec']['containers'][0]['command'][2] as string;
    for (const index of [0, 3]) {
      const argv = runInPod(script, index);
      expect(argv).toEqual([
        '--server', 'vip=172.28.0.99', '--time-limit', '60', '--edns', '--no-recurse', '--title', title,
        '--ecs', '198.51.100.0/24', '--ecs', '203.0.113.0/24',
        '-d', '/etc/dnsbench/queries.txt', '-T', '2', '-y', TSIG,
        '--segment', `${index + 1}/4`, '--start-at', '2026-05-01T12:01:01.000Z', '--json', '-',
      ]);
      // ...and that argv is a run whose options are the ones given to `dnsbench k8s`.
      let parsed: Parsed | undefined;
      buildProgram((p) => (parsed = p)).parse(argv, { from: 'user' });
      expect(parsed).toMatchObject({ command: 'run', options: { title, segment: `${index + 1}/4`, recurse: false, ecs: ['198.51.100.0/24', '203.0.113.0/24'], json: '-' } });
    }
  });

  // The manifest starts with the command line as `# ` comments. YAML allows no control character
  // but tab and line breaks anywhere in a stream (YAML 1.2 5.1 c-printable), comments included:
  // a title holding ESC (a colour code pasted from a terminal), DEL or a C1 control made kubectl
  // refuse the whole manifest. In the comment they are shown escaped; the pod's argv keeps them.
  it('control characters in an argument: the manifest stays YAML, the comment shows them escaped, the pod gets them as given', async () => {
    const title = 'red \x1b[31m\x7f\x9b\x85 \u2028 end';
    const { stdout, docs } = await k8s([...base, '--title', title]);
    expect(stdout).not.toMatch(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]/);
    const comment = stdout.split('\n')[0]!;
    expect(comment).toContain("--title 'red \\x1b[31m\\x7f\\x9b    end'");
    const script = docs.find((d) => d['kind'] === 'Job')!['spec']['template']['spec']['containers'][0]['command'][2] as string;
    expect(runInPod(script, 0)).toContain(title);
  });

  it('a query file with a C1 control or U+2028 (line breaks to YAML 1.1 readers) goes to binaryData, byte for byte', async () => {
    const q = join(dir, 'c1.txt');
    const bytes = Buffer.from('; comment\u0085with NEL and\u2028LS\nwww.test.com A\nh1.test.com A\n', 'utf8');
    writeFileSync(q, bytes);
    const { stdout, docs } = await k8s(['--generators', '2', '--image', 'registry.example/dnsbench:0.1', '-s', 'vip=172.28.0.99', '-d', q, '-l', '60']);
    expect(stdout).not.toMatch(/[\x7f-\x9f\u2028\u2029]/);
    const cm = docs.find((d) => d['kind'] === 'ConfigMap')!;
    expect(cm['data']?.['c1.txt']).toBeUndefined();
    expect(Buffer.from(cm['binaryData']['c1.txt'] as string, 'base64').equals(bytes)).toBe(true);
  });

  it('shellQuote and the expansion escape, on their own', () => {
    expect(shellQuote('plain-1.2/x:y=z,@%+')).toBe('plain-1.2/x:y=z,@%+');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote("a'b")).toBe("'a'\\''b'");
    expect(escapeKubernetesExpansion('$(A) $$ $B')).toBe('$$(A) $$$$ $$B');
    expect(kubernetesExpand(escapeKubernetesExpansion('$(TITLE) $$'), { TITLE: 'x' })).toBe('$(TITLE) $$');
    expect(kubernetesExpand('$(TITLE)', { TITLE: 'x' })).toBe('x'); // the emulation can expand, so the escape matters
  });
});

describe('refusals (exit 2, one line, nothing printed)', () => {
  const big = join(dir, 'big.txt');
  const line = 'h1.test.com A\n';
  writeFileSync(big, line.repeat(Math.ceil((CONFIGMAP_MAX_BYTES + 1) / line.length)));

  it('a query file over what a ConfigMap holds, pointing at --queries-volume', async () => {
    await expectUsageError(['k8s', '--generators', '2', '--image', 'i', '-s', '192.0.2.53', '-d', big], /^dnsbench: -d .*big\.txt: 1\.0 MiB is more than a ConfigMap holds \(1 MiB\); .*--queries-volume CLAIM/);
  });

  it('flags the manifest sets, or that belong on the merged report', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--segment', '1/2'], /--segment is not for the pods: the manifest gives each pod its segment/],
      [['--start-at', '2030-01-01T00:00:00Z'], /--start-at is not for the pods/],
      [['--json', 'x.json'], /--json is not for the pods: each pod prints its JSON report to its log/],
      [['--gate', 'p99<2ms'], /--gate is not for the pods: gate the merged report instead/],
      [['-v'], /-v\/--verbose is not for the pods/],
      [['-a', '127.0.0.2'], /-a\/--local-addr is not for the pods: each pod sends from its own address/],
    ];
    for (const [extra, pattern] of cases) await expectUsageError(['k8s', ...base, ...extra], pattern);
  });

  it('missing or bad k8s flags', async () => {
    await expectUsageError(['k8s', '--image', 'i', '-d', qfile], /give --generators N/);
    await expectUsageError(['kubernetes', '--generators', '2', '-d', qfile], /give --image IMAGE/);
    await expectUsageError(['k8s', '--generators', '0', '--image', 'i', '-d', qfile], /--generators: expected a whole number from 1 to 1000, got "0"/);
    await expectUsageError(['k8s', '--generators', '2', '--image', 'i', '-s', '192.0.2.53'], /give -d FILE/);
    await expectUsageError(['k8s', '--generators', '2', '--image', 'i', '-d', qfile], /give -s SERVER: without it each pod would benchmark its own loopback/);
    await expectUsageError(['k8s', '--generators', '2', '--image', 'i', '-s', '192.0.2.53', '-d', qfile, '--name', 'Bad_Name'], /--name: expected lower-case letters/);
    await expectUsageError(['k8s', '--generators', '2', '--image', 'i', '-s', '192.0.2.53', '-d', qfile, '--start-delay', '2'], /--start-delay: expected a whole number from 5 to 3600/);
    await expectUsageError(['k8s', '--generators', '2', '--image', 'i', '-s', '192.0.2.53', '-d', qfile, '--memory', 'lots'], /--memory: expected a Kubernetes quantity/);
    await expectUsageError(['k8s', '--generators', '2', '--image', 'i', '-s', '192.0.2.53', '-d', '/abs/q.txt', '--queries-volume', 'pvc'], /give the file's path inside the volume/);
  });

  it('run flags are validated as for a run (host names are left to the pods)', async () => {
    await expectUsageError(['k8s', ...base, '-Q', 'fast'], /^dnsbench: -Q\/--max-qps: expected queries per second/);
    await expectUsageError(['k8s', ...base, '-y', 'nocolon'], /-y/);
    const con = captureConsole();
    expect(await main(['k8s', '--generators', '2', '--image', 'i', '-d', qfile, '-s', 'dns.cluster.invalid:5300'], con)).toBe(0);
    expect(con.stdout).toContain('--server dns.cluster.invalid:5300');
  });

  it('more generators than queries would leave pods without a segment', async () => {
    const con = captureConsole();
    expect(await main(['k8s', '--generators', '6', '--image', 'i', '-s', '192.0.2.53', '-d', qfile], con)).toBe(2);
    expect(con.stdout).toBe('');
    expect(con.stderr).toMatch(/^dnsbench: --segment 1\/6: query file ".*queries\.txt" has only 5 queries, fewer than the 6 segments/);
  });
});

describe('the Dockerfile in docs/kubernetes.md', () => {
  const doc = readFileSync(join(ROOT, 'docs/kubernetes.md'), 'utf8');
  const dockerfile = /```Dockerfile\n([^]*?)```/.exec(doc)?.[1] ?? '';

  it('copies files that exist and links the bin that package.json names', () => {
    expect(dockerfile).toContain('FROM node:20');
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(' '));
    expect(sources).toEqual(['package.json', 'package-lock.json', 'tsconfig.json', 'src', 'querysets', 'zones']);
    for (const s of sources) expect(existsSync(join(ROOT, s)), s).toBe(true);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(dockerfile).toContain(`ln -s /opt/dnsbench/${pkg.bin['dnsbench']} /usr/local/bin/dnsbench`);
    expect(dockerfile).toMatch(/^USER \d+:\d+$/m); // numeric: runAsNonRoot can be checked
  });
});
