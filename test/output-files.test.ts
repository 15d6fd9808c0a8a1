// Output files as root (issue 11, items 1-3): devices and FIFOs are written through, never replaced;
// write errors (ENOSPC from a /dev/full node) fail with one line and exit 3; temp files have random
// names and are created exclusively; symbolic links are refused; an unwritable directory is found
// before any traffic (exit 2); and a command's outputs are all written or none.
//
// Devices are made with mknod in a temp directory (the same major/minor as /dev/null and /dev/full),
// and the /dev/stdout cases run in a private mount namespace with a tmpfs over /dev, so the real
// /dev is never at risk.
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutputError } from '../src/errors.js';
import { OutputTransaction, checkOutputPath, descriptorOf } from '../src/io.js';
import { renderJson } from '../src/report/json.js';
import type { Responder } from '../src/serve/responder.js';
import { runServe } from '../src/serve/run.js';
import { BIN, ROOT, runCli } from './support/cli.js';
import { vipFixtureReport as fixtureReport } from './support/report-fixtures.js';

const isRoot = process.geteuid?.() === 0;
const canUnshare = isRoot && spawnSync('unshare', ['-m', '--propagation', 'private', 'true']).status === 0;
const base = mkdtempSync(join(tmpdir(), 'dnsbench-out-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const saved = join(base, 'saved.json');
writeFileSync(saved, renderJson(fixtureReport()));

let n = 0;
/** A fresh directory per test, so "nothing else was written" can be checked by listing it. */
function freshDir(): string {
  const d = join(base, `t${++n}`);
  mkdirSync(d);
  return d;
}

function mknod(file: string, major: number, minor: number): void {
  const r = spawnSync('mknod', [file, 'c', String(major), String(minor)]);
  if (r.status !== 0) throw new Error(`mknod ${file}: ${r.stderr}`);
}

function mkfifo(file: string): void {
  const r = spawnSync('mkfifo', [file]);
  if (r.status !== 0) throw new Error(`mkfifo ${file}: ${r.stderr}`);
}

/** One line on stderr, starting "dnsbench: ", no stack trace. */
function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^dnsbench: /);
  expect(stderr).not.toMatch(/\n\s+at /);
  return lines[0]!;
}

describe('devices and FIFOs are written through, never replaced (as root)', () => {
  it.skipIf(!isRoot)('--json to a null device: exit 0, still the same character device', async () => {
    const d = freshDir();
    mknod(join(d, 'null'), 1, 3);
    const before = statSync(join(d, 'null'));
    const r = await runCli(['report', saved, '--quiet', '--json', join(d, 'null'), '--html', join(d, 'null'), '--csv', join(d, 'null')]);
    expect(r.code, r.stderr).toBe(0);
    const after = lstatSync(join(d, 'null'));
    expect(after.isCharacterDevice()).toBe(true);
    expect(after.ino).toBe(before.ino);
    expect(after.rdev).toBe(before.rdev);
    expect(readdirSync(d)).toEqual(['null']);
  });

  it.skipIf(!isRoot)('--json to a full device: ENOSPC is one line and exit 3, the device stays', async () => {
    const d = freshDir();
    mknod(join(d, 'full'), 1, 7);
    const r = await runCli(['report', saved, '--quiet', '--json', join(d, 'full')]);
    expect(r.code).toBe(3);
    expect(oneLine(r.stderr)).toMatch(/cannot write .*full: no space left on device \(ENOSPC\)/);
    expect(lstatSync(join(d, 'full')).isCharacterDevice()).toBe(true);
  });

  it.skipIf(!isRoot)('all or none: --html to a full device leaves no --json and no --csv, and no temp file', async () => {
    const d = freshDir();
    mknod(join(d, 'full'), 1, 7);
    const r = await runCli(['report', saved, '--quiet', '--json', join(d, 'r.json'), '--csv', join(d, 'r.csv'), '--html', join(d, 'full')]);
    expect(r.code).toBe(3);
    expect(oneLine(r.stderr)).toMatch(/cannot write .*full: no space left on device \(ENOSPC\); no other output file was written either/);
    expect(readdirSync(d)).toEqual(['full']);
  });

  it.skipIf(!isRoot)('a FIFO with a reader gets the report and stays a FIFO', async () => {
    const d = freshDir();
    const fifo = join(d, 'pipe');
    mkfifo(fifo);
    const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'ignore'] });
    let got = '';
    reader.stdout.on('data', (b: Buffer) => (got += b.toString()));
    const closed = new Promise((resolve) => reader.on('close', resolve));
    // cat blocks in open() until a writer comes; it counts as a reader from then on (wchan says so).
    const wchan = (): string => {
      try {
        return readFileSync(`/proc/${reader.pid}/wchan`, 'utf8');
      } catch {
        return '';
      }
    };
    for (let i = 0; i < 500 && wchan() !== 'wait_for_partner'; i++) await new Promise((res) => setTimeout(res, 10));
    const r = await runCli(['report', saved, '--quiet', '--json', fifo]);
    await closed;
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(got)).toMatchObject({ tool: { name: 'dnsbench' } });
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it.skipIf(!isRoot)('a FIFO without a reader fails at once (exit 3) instead of hanging the job', async () => {
    const d = freshDir();
    mkfifo(join(d, 'pipe'));
    const r = await runCli(['report', saved, '--quiet', '--json', join(d, 'pipe')], { timeoutMs: 20_000 });
    expect(r.code).toBe(3);
    expect(oneLine(r.stderr)).toMatch(/no process has the FIFO open for reading \(ENXIO\)/);
    expect(lstatSync(join(d, 'pipe')).isFIFO()).toBe(true);
  });

  it('/dev/stdout and /dev/stderr (and /dev/fd/1, /dev/fd/2) are written to the descriptor', () => {
    expect(descriptorOf('/dev/stdout')).toBe(1);
    expect(descriptorOf('/dev/stderr')).toBe(2);
    expect(descriptorOf('/dev/fd/1')).toBe(1);
    expect(descriptorOf('/proc/self/fd/2')).toBe(2);
    expect(descriptorOf('/dev/./stdout')).toBe(1);
    // Higher descriptors go through /proc (a pipe or device only), never write(2) on a bare number.
    expect(descriptorOf('/dev/fd/7')).toBeNull();
    expect(descriptorOf('/dev/null')).toBeNull();
    expect(descriptorOf('stdout')).toBeNull();
  });

  it("bash's process substitution: --json >(cat > FILE) gets the report through the pipe", async () => {
    const d = freshDir();
    const out = join(d, 'via-pipe.json');
    const cmd = `"${process.execPath}" "${BIN}" report "${saved}" --quiet --json >(cat > "${out}"); echo "exit $?"; wait`;
    const r = await new Promise<{ stdout: string; stderr: string }>((resolve) => {
      const child = spawn('bash', ['-c', cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('close', () => {
        clearTimeout(timer);
        resolve({ stdout, stderr });
      });
    });
    expect(r.stdout, r.stderr).toContain('exit 0');
    for (let i = 0; i < 100 && !(existsSync(out) && readFileSync(out, 'utf8').endsWith('}\n')); i++) await new Promise((res) => setTimeout(res, 20));
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ tool: { name: 'dnsbench' } });
  });

  it('a descriptor that holds a regular file, or none, is refused before the run', async () => {
    const d = freshDir();
    const cmd = `exec 3> "${d}/f"; "${process.execPath}" "${BIN}" report "${saved}" --json /dev/fd/3; echo "exit $?"; "${process.execPath}" "${BIN}" report "${saved}" --json /dev/fd/777; echo "exit $?"`;
    const r = spawnSync('bash', ['-c', cmd], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stdout).toBe('exit 2\nexit 2\n');
    expect(r.stderr).toMatch(/--json \/dev\/fd\/3: descriptor 3 is a regular file; dnsbench writes through a descriptor only to a pipe or a device/);
    expect(r.stderr).toMatch(/--json \/dev\/fd\/777: descriptor 777 is not open/);
    expect(readFileSync(join(d, 'f'), 'utf8')).toBe('');
  });

  // A private /dev (tmpfs) with its own null, full and stdout link: the names users type, without
  // any risk to the machine's /dev if the code were wrong.
  it.skipIf(!canUnshare)('in a private /dev: --json /dev/stdout goes to stdout, /dev/null and /dev/full keep their nodes', () => {
    const script = [
      'set -e',
      'mount -t tmpfs dnsbench-test /dev',
      'mknod /dev/null c 1 3; mknod /dev/full c 1 7; chmod 666 /dev/null /dev/full',
      'ln -s /proc/self/fd /dev/fd; ln -s /proc/self/fd/1 /dev/stdout; ln -s /proc/self/fd/2 /dev/stderr',
      `"${process.execPath}" "${BIN}" report "${saved}" --quiet --json /dev/stdout > "${base}/stdout.json"`,
      `"${process.execPath}" "${BIN}" report "${saved}" --quiet --json /dev/null --html /dev/null`,
      `set +e; "${process.execPath}" "${BIN}" report "${saved}" --quiet --json /dev/full 2> "${base}/full.err"; echo "full exit $?"; set -e`,
      'stat -c "%n %F %t:%T" /dev/null /dev/full /dev/stdout',
      'ls -A /dev | tr "\\n" " "',
    ].join('\n');
    const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(base, 'stdout.json'), 'utf8'))).toMatchObject({ tool: { name: 'dnsbench' } });
    expect(r.stdout).toContain('full exit 3');
    expect(readFileSync(join(base, 'full.err'), 'utf8')).toMatch(/^dnsbench: cannot write \/dev\/full: no space left on device \(ENOSPC\)\n$/);
    expect(r.stdout).toContain('/dev/null character special file 1:3');
    expect(r.stdout).toContain('/dev/full character special file 1:7');
    expect(r.stdout).toContain('/dev/stdout symbolic link');
    // Nothing was created beside them (no temp files, no probe files left).
    expect(r.stdout.trim().split('\n').at(-1)!.trim().split(' ').sort()).toEqual(['fd', 'full', 'null', 'stderr', 'stdout']);
  });
});

describe('symbolic links and temp files: a planted link cannot redirect a write', () => {
  it('a symbolic link at the output path is refused before the run (exit 2), its target untouched', async () => {
    const d = freshDir();
    writeFileSync(join(d, 'victim'), 'precious\n');
    symlinkSync(join(d, 'victim'), join(d, 'r.json'));
    symlinkSync('/dev/null', join(d, 'null-link'));
    for (const [flag, file] of [['--json', 'r.json'], ['--html', 'r.json'], ['--csv', 'null-link']] as const) {
      const r = await runCli(['report', saved, flag, join(d, file)]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(oneLine(r.stderr)).toMatch(new RegExp(`^dnsbench: ${flag} .*${file}: is a symbolic link \\(to .*\\); give the real path`));
    }
    expect(readFileSync(join(d, 'victim'), 'utf8')).toBe('precious\n');
    expect(lstatSync(join(d, 'r.json')).isSymbolicLink()).toBe(true);
  });

  it('a link planted after the check is not followed: the write fails and the target is untouched', () => {
    const d = freshDir();
    writeFileSync(join(d, 'victim'), 'precious\n');
    checkOutputPath('--json', join(d, 'r.json'));
    symlinkSync(join(d, 'victim'), join(d, 'r.json')); // the attacker is fast
    const tx = new OutputTransaction();
    expect(() => tx.stage(join(d, 'r.json'), '{}')).toThrow(OutputError);
    expect(readFileSync(join(d, 'victim'), 'utf8')).toBe('precious\n');
    expect(readdirSync(d).sort()).toEqual(['r.json', 'victim']);
  });

  it('temp files have unguessable names, are new regular files, and vanish on abort', () => {
    const d = freshDir();
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const tx = new OutputTransaction();
      tx.stage(join(d, 'r.json'), '{"a":1}');
      const tmp = readdirSync(d).filter((f) => f !== 'r.json');
      expect(tmp).toHaveLength(1);
      expect(tmp[0]).toMatch(/^\.r\.json\.dnsbench-[0-9a-f]{16}\.tmp$/);
      expect(tmp[0]).not.toContain(String(process.pid));
      const st = lstatSync(join(d, tmp[0]!));
      expect(st.isFile() && st.nlink === 1).toBe(true);
      seen.add(tmp[0]!);
      if (i < 2) tx.abort();
      else tx.commit();
    }
    expect(seen.size).toBe(3);
    expect(readdirSync(d)).toEqual(['r.json']);
    expect(readFileSync(join(d, 'r.json'), 'utf8')).toBe('{"a":1}');
  });

  it('replacing a file keeps its permission bits (a private report stays private)', async () => {
    const d = freshDir();
    writeFileSync(join(d, 'r.json'), 'old');
    chmodSync(join(d, 'r.json'), 0o600);
    const r = await runCli(['report', saved, '--quiet', '--json', join(d, 'r.json')]);
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(join(d, 'r.json')).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(d, 'r.json'), 'utf8'))).toMatchObject({ tool: { name: 'dnsbench' } });
  });

  // A file another user planted in a shared sticky directory used to hand its 0666 mode and its
  // owner to root's new report, so that user could edit the report (a --baseline) afterwards.
  it.skipIf(!isRoot)('as root, a file planted by another user in a shared directory passes on neither its mode nor its owner', async () => {
    const d = freshDir();
    chmodSync(d, 0o1777); // like /tmp: root's directory, anyone may create files
    const planted = join(d, 'r.json');
    writeFileSync(planted, 'planted');
    spawnSync('chown', ['65534:65534', planted]);
    chmodSync(planted, 0o666);
    expect(statSync(planted).uid).toBe(65534);
    const r = await runCli(['report', saved, '--quiet', '--json', planted]);
    expect(r.code, r.stderr).toBe(0);
    const st = statSync(planted);
    expect(st.uid).toBe(0);
    // The default mode of a new file (the child inherits this umask), not the planted 0666.
    const umask = process.umask();
    expect(st.mode & 0o777).toBe(0o666 & ~umask);
    if ((umask & 0o002) !== 0) expect(st.mode & 0o002).toBe(0);
    expect(JSON.parse(readFileSync(planted, 'utf8'))).toMatchObject({ tool: { name: 'dnsbench' } });
  });

  it.skipIf(!isRoot)("as root, in a user's own directory, the user's file keeps its owner and mode", async () => {
    const d = freshDir();
    spawnSync('chown', ['65534:65534', d]);
    const own = join(d, 'r.json');
    writeFileSync(own, 'theirs');
    spawnSync('chown', ['65534:65534', own]);
    chmodSync(own, 0o640);
    const r = await runCli(['report', saved, '--quiet', '--json', own]);
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(own).uid).toBe(65534);
    expect(statSync(own).mode & 0o777).toBe(0o640);
  });
});

describe('pre-flight: an output that cannot be written stops the command before any traffic (exit 2)', () => {
  let responder: Responder;
  beforeAll(async () => {
    responder = await runServe({ address: '127.0.0.1', port: 0, faults: {} }, () => {});
  });
  afterAll(() => responder.close());
  const q = join(ROOT, 'querysets/demo.txt');

  it.skipIf(!isRoot)('a directory nobody may write, as an unprivileged user: every flag names itself and the path', async () => {
    const d = freshDir();
    chmodSync(base, 0o755); // root's; the child runs as nobody, who may look but not write
    chmodSync(d, 0o755);
    for (const flag of ['--json', '--html', '--csv', '--junit', '--markdown']) {
      const r = spawnSync(process.execPath, [BIN, '-s', `127.0.0.1:${responder.port}`, '-d', q, '-n', '1', flag, join(d, 'out')], {
        encoding: 'utf8', uid: 65534, gid: 65534, timeout: 30_000,
      });
      expect(r.status, `${flag}: ${r.stderr}`).toBe(2);
      expect(r.stdout).toBe('');
      expect(oneLine(r.stderr)).toMatch(new RegExp(`^dnsbench: ${flag} .*out: cannot create a file in directory ".*": permission denied \\(EACCES\\)$`));
    }
    expect(responder.stats().received).toBe(0);
    expect(readdirSync(d)).toEqual([]);
  });

  it.skipIf(!canUnshare)('a read-only mount, as root: exit 2 naming the flag, nothing sent', () => {
    const d = freshDir();
    const script = `set -e; mount --bind "${d}" "${d}"; mount -o remount,bind,ro "${d}"; ` +
      `"${process.execPath}" "${BIN}" -s 127.0.0.1:${responder.port} -d "${q}" -n 1 --json "${base}/ok.json" --markdown "${d}/summary.md"`;
    const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/^dnsbench: --markdown .*summary\.md: cannot create a file in directory ".*": read-only file system \(EROFS\)$/);
    expect(responder.stats().received).toBe(0);
    expect(existsSync(join(base, 'ok.json'))).toBe(false);
  });

  it('a path ending in "/" names a directory: refused, no file made or replaced', async () => {
    const d = freshDir();
    writeFileSync(join(d, 'old.json'), 'kept');
    // Spelled by hand: path.join would normalize 'reports/.' away.
    for (const [flag, path] of [['--json', `${d}/reports/`], ['--csv', `${d}/old.json/`], ['--markdown', `${d}/reports/.`]] as const) {
      const r = await runCli(['report', saved, flag, path]);
      expect(r.code, r.stderr).toBe(2);
      expect(oneLine(r.stderr)).toMatch(new RegExp(`^dnsbench: ${flag} .*: ends in "/", which names a directory; expected a file name$`));
    }
    const m = await runCli(['merge', saved, saved, '--force', '-o', `${d}/merged/`]);
    expect(m.code).toBe(2);
    expect(readdirSync(d)).toEqual(['old.json']);
    expect(readFileSync(join(d, 'old.json'), 'utf8')).toBe('kept');
  });

  it('merge -o into a missing directory: exit 2 before reading anything', async () => {
    const r = await runCli(['merge', saved, saved, '-o', join(base, 'no/such/dir/m.json')]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/^dnsbench: -o\/--output .*m\.json: directory ".*no\/such\/dir" does not exist$/);
  });

  it.skipIf(!isRoot)('a live run with --junit to a full device: exit 3, and its --json is not written either', async () => {
    const d = freshDir();
    mknod(join(d, 'full'), 1, 7);
    const r = await runCli(['-s', `127.0.0.1:${responder.port}`, '-d', q, '-n', '1', '--quiet', '--json', join(d, 'r.json'), '--html', join(d, 'r.html'), '--junit', join(d, 'full')]);
    expect(r.code).toBe(3);
    expect(oneLine(r.stderr)).toMatch(/cannot write .*full: no space left on device \(ENOSPC\); no other output file was written either$/);
    expect(readdirSync(d)).toEqual(['full']);
  });
});

describe('character devices other than /dev/null, /dev/full and terminals are refused, never opened', () => {
  // 1:8 is /dev/random's number: harmless if the code were wrong (a write adds entropy), and it
  // stands for /dev/mem (1:1), /dev/kmsg (1:11), /dev/sg*, /dev/watchdog, which as root a mistyped
  // or planted path would have written a report into.
  it.skipIf(!isRoot)('--json on a 1:8 node: exit 2 before the run, naming the device; 1:3 (null) and 1:7 (full) still pass the check', async () => {
    const d = freshDir();
    const odd = join(d, 'odd-device');
    expect(spawnSync('mknod', [odd, 'c', '1', '8']).status).toBe(0);
    const r = await runCli(['report', saved, '--json', odd]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toBe(`dnsbench: --json ${odd}: is a character device (1:8) other than /dev/null, /dev/full or a terminal; dnsbench writes no report into a device (as root that could be memory, the kernel log or hardware)\n`);
    expect(() => checkOutputPath('--csv', odd)).toThrow(/--csv .*: is a character device \(1:8\)/);
    for (const [name, minor] of [['null-like', '3'], ['full-like', '7']] as const) {
      expect(spawnSync('mknod', [join(d, name), 'c', '1', minor]).status).toBe(0);
      expect(() => checkOutputPath('--json', join(d, name))).not.toThrow();
    }
  });

  it.skipIf(!isRoot)('a transaction refuses it too (a node swapped in after the check), and writes nothing else', () => {
    const d = freshDir();
    const odd = join(d, 'odd-device');
    expect(spawnSync('mknod', [odd, 'c', '1', '8']).status).toBe(0);
    const tx = new OutputTransaction();
    tx.stage(join(d, 'a.json'), '{}');
    expect(() => tx.stage(odd, 'x')).toThrow(OutputError);
    expect(readdirSync(d).sort()).toEqual(['odd-device']);
  });
});
