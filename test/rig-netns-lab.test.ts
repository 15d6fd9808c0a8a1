// The lab helper itself: namespaces joined by a bridge, no way out, unique names, and a destroy
// that leaves nothing behind (processes, grandchildren, namespaces) and never touches the root
// namespace's network configuration.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { createLab, listNamespaces, netnsSkip, pidAlive, skipReason, type Lab } from './support/netns.js';

const reason = skipReason('ip', 'dig');

/**
 * What a lab could leak into the root namespace: its link names (a veth or bridge created in the
 * wrong namespace would add one) and any address or route in 198.18.0.0/24. Only these, so a
 * helper changing something unrelated in parallel cannot fail this test.
 */
function rootNetState(): string {
  const ip = (...a: string[]): string => execFileSync('ip', a, { encoding: 'utf8' });
  const links = ip('-o', 'link', 'show')
    .split('\n')
    .map((l) => l.split(':')[1]?.trim() ?? '')
    .filter(Boolean)
    .sort();
  const lab = [ip('-o', 'addr', 'show'), ip('route', 'show')].join('\n').split('\n').filter((l) => l.includes('198.18.'));
  return [...links, '---', ...lab].join('\n');
}

describe.skipIf(netnsSkip(reason))('lab of network namespaces', () => {
  const labs: Lab[] = [];
  afterAll(async () => {
    await Promise.all(labs.map((l) => l.destroy().catch(() => undefined)));
  });

  it('joins hosts over the bridge, with no route out, and leaves the root namespace alone', async () => {
    const before = rootNetState();
    const lab = await createLab([
      { name: 'a', addr: '198.18.0.1' },
      { name: 'b', addr: '198.18.0.2', extraAddrs: ['198.18.0.3'] },
    ]);
    labs.push(lab);
    expect(listNamespaces(lab.id).sort()).toEqual([lab.ns('a'), lab.ns('b'), lab.bridgeNs].sort());
    expect(lab.id).toContain(String(process.pid));
    expect(await lab.addresses('b')).toEqual(['198.18.0.2', '198.18.0.3']);
    for (const h of ['a', 'b']) {
      const routes = (await lab.exec(h, ['ip', 'route', 'show'])).stdout;
      expect(routes).not.toMatch(/default/);
      expect(routes.trim()).toBe('198.18.0.0/24 dev eth0 proto kernel scope link src ' + lab.addr(h));
    }
    // a packet to anything outside the lab cannot leave: "Network is unreachable" at once
    const out = await lab.exec('a', ['dig', '+time=1', '+tries=1', '@192.0.2.53', 'example.test'], { allowFailure: true });
    expect(out.code).not.toBe(0);
    expect(out.stdout + out.stderr).toMatch(/network unreachable/);
    expect(rootNetState()).toBe(before);
  });

  it('takes a bridge port down and up (the host loses carrier)', async () => {
    const lab = labs[0]!;
    const state = async (): Promise<string> => (await lab.exec('a', ['ip', '-o', 'link', 'show', 'eth0'])).stdout;
    expect(await state()).toMatch(/state UP/);
    await lab.linkDown('a');
    expect(await state()).toMatch(/NO-CARRIER/);
    await lab.linkUp('a');
    // carrier returns asynchronously: bounded poll
    let up = false;
    for (let i = 0; i < 50 && !up; i++) {
      up = /state UP/.test(await state());
      if (!up) await new Promise((r) => setTimeout(r, 20));
    }
    expect(up).toBe(true);
    // the command a dnsbench --event would run, from inside another host's namespace (where
    // dnsbench itself runs): `ip -n` reaches the bridge namespace from there too
    expect(lab.linkCommand('a', 'down')).toBe(`ip -n ${lab.bridgeNs} link set p-a down`);
    await lab.exec('b', ['sh', '-c', lab.linkCommand('a', 'down')]);
    expect(await state()).toMatch(/NO-CARRIER/);
    await lab.linkUp('a');
  });

  it('destroy stops its processes and their children by pid, deletes every namespace, and is idempotent', async () => {
    const before = rootNetState();
    const lab = await createLab([{ name: 'x', addr: '198.18.0.9' }]);
    labs.push(lab);
    const p = lab.spawn('x', 'sleeper', ['sleep', '60']);
    // a grandchild that destroy only finds through `ip netns pids`
    const sh = lab.spawn('x', 'forker', ['sh', '-c', 'sleep 61 & echo $! > grandchild.pid; wait']);
    let grandchild = 0;
    for (let i = 0; i < 100 && grandchild === 0; i++) {
      try {
        grandchild = Number(execFileSync('cat', [`${lab.dir}/grandchild.pid`], { encoding: 'utf8' }).trim()) || 0;
      } catch {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    expect(grandchild).toBeGreaterThan(0);
    expect(p.running() && sh.running() && pidAlive(grandchild)).toBe(true);
    const dir = lab.dir;
    await lab.destroy();
    await lab.destroy();
    expect({ p: p.running(), sh: sh.running(), pid: pidAlive(p.pid), grandchild: pidAlive(grandchild) }).toEqual({ p: false, sh: false, pid: false, grandchild: false });
    expect(listNamespaces(lab.id)).toEqual([]);
    expect(existsSync(dir)).toBe(process.env.DNSBENCH_KEEP_RIG === '1');
    await expect(lab.exec('x', ['true'])).rejects.toThrow(/destroyed/);
    expect(rootNetState()).toBe(before);
  });

  it("the 'exit' fallback (destroySync) kills by pid and deletes the namespaces too", async () => {
    const lab = await createLab([{ name: 'y', addr: '198.18.0.10' }]);
    labs.push(lab);
    const p = lab.spawn('y', 'sleeper', ['sleep', '60']);
    lab.destroySync();
    await p.exited;
    expect(pidAlive(p.pid)).toBe(false);
    expect(listNamespaces(lab.id)).toEqual([]);
  });

  it('labs made at the same time get different names', async () => {
    const [l1, l2] = await Promise.all([createLab([{ name: 'h', addr: '198.18.0.1' }]), createLab([{ name: 'h', addr: '198.18.0.1' }])]);
    labs.push(l1, l2);
    expect(l1.ns('h')).not.toBe(l2.ns('h'));
    await Promise.all([l1.destroy(), l2.destroy()]);
    expect([...listNamespaces(l1.id), ...listNamespaces(l2.id)]).toEqual([]);
  });
});
