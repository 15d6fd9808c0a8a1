// Secrets never reach output or reports: the TSIG secret of -y [alg:]name:secret is replaced.
const SECRET_FLAGS = new Set(['-y', '--tsig']);

export function redactTsig(value: string): string {
  const i = value.lastIndexOf(':');
  return i < 0 ? '<redacted>' : `${value.slice(0, i)}:<redacted>`;
}

export function redactArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (SECRET_FLAGS.has(a) && i + 1 < argv.length) {
      out.push(a, redactTsig(argv[++i]!));
    } else if (a.startsWith('--tsig=')) {
      out.push(`--tsig=${redactTsig(a.slice(7))}`);
    } else if (a.startsWith('-y') && a.length > 2) {
      out.push(`-y${redactTsig(a.slice(2))}`);
    } else out.push(a);
  }
  return out;
}
