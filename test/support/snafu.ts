// A small TypeScript port of what a real dnsperf wrapper reads from dnsperf's stdout: the
// cloud-bulldozer benchmark-wrapper ("snafu") dnsperf plugin, whose ttp template
// (snafu/benchmarks/dnsperf/dnsperf-template.xml) picks out the `Version` line, the
// "[Status] Started at:" date (parsed with Python's dateutil), "Stopping after N seconds", the
// `-v` lines (`> RCODE name type latency`, `> T name type` with the timeout as latency), the `-S`
// lines and the statistics lines. Used to prove that a wrapper written for dnsperf works on
// dnsbench's output unchanged. Where the wrapper is lenient (ttp matches runs of spaces, dateutil
// takes almost any date), this port is strict: the date must be C's ctime() format exactly.

export interface RttSample {
  response_state: string;
  fqdn: string;
  qtype: string;
  rtt_s: number;
}

export interface ThroughputSample {
  timestamp: Date;
  throughput: number;
}

export interface DnsperfStdout {
  dnsperf_version: string;
  start_time: Date;
  /** From "[Status] Stopping after X seconds"; null for "N runs through file". */
  runtime_length: number | null;
  rtt_samples: RttSample[];
  throughput_ts: ThroughputSample[];
  queries_sent: number;
  queries_completed: number;
  run_time: number;
  throughput_mean: number;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const CTIME = /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ( [1-9]|[12]\d|3[01]) ([01]\d|2[0-3]):([0-5]\d):([0-5]\d) (\d{4})$/;

/** C's ctime() text (local time, as dateutil reads a naive date) -> Date; throws on anything else. */
export function parseCtime(text: string): Date {
  const m = CTIME.exec(text);
  if (!m) throw new Error(`not a ctime() date: ${JSON.stringify(text)}`);
  const d = new Date(Number(m[7]), MONTHS.indexOf(m[2]!), Number(m[3]!.trim()), Number(m[4]), Number(m[5]), Number(m[6]));
  if (d.getDate() !== Number(m[3]!.trim())) throw new Error(`no such day: ${text}`);
  if (DAYS[d.getDay()] !== m[1]) throw new Error(`${text}: ${m[1]} is the wrong weekday (it is a ${DAYS[d.getDay()]})`);
  return d;
}

const FLOAT = String.raw`(\d+(?:\.\d+)?)`;

function need(stdout: string, re: RegExp, what: string): RegExpExecArray {
  const m = re.exec(stdout);
  if (!m) throw new Error(`dnsperf wrapper: no ${what} in the output`);
  return m;
}

/** Parse dnsperf's stdout as the wrapper does; throws naming the first piece it cannot find. */
export function parseDnsperfStdout(stdout: string, timeoutSec: number): DnsperfStdout {
  const version = need(stdout, /^Version (\S+)$/m, 'Version line')[1]!;
  const start = parseCtime(need(stdout, /^\[Status\] Started at: (.*)$/m, '"[Status] Started at:" line')[1]!);
  const stopping = /^\[Status\] Stopping after (\S+) seconds/m.exec(stdout);
  const rtt: RttSample[] = [];
  const tput: ThroughputSample[] = [];
  for (const line of stdout.split('\n')) {
    const v = /^> (\S+) (\S+) (\S+)(?: (\d+\.\d+))?$/.exec(line);
    if (v) rtt.push({ response_state: v[1]!, fqdn: v[2]!, qtype: v[3]!, rtt_s: v[4] === undefined ? timeoutSec : Number(v[4]) });
    const s = /^(\d+\.\d{6}): (\d+\.\d{6})$/.exec(line);
    if (s) tput.push({ timestamp: new Date(Number(s[1]) * 1000), throughput: Number(s[2]) });
  }
  return {
    dnsperf_version: version,
    start_time: start,
    runtime_length: stopping ? Number(stopping[1]) : null,
    rtt_samples: rtt,
    throughput_ts: tput,
    queries_sent: Number(need(stdout, /^ +Queries sent: +(\d+)$/m, '"Queries sent:" line')[1]),
    queries_completed: Number(need(stdout, new RegExp(String.raw`^ +Queries completed: +(\d+) \(${FLOAT}%\)$`, 'm'), '"Queries completed:" line')[1]),
    run_time: Number(need(stdout, new RegExp(String.raw`^ +Run time \(s\): +${FLOAT}$`, 'm'), '"Run time (s):" line')[1]),
    throughput_mean: Number(need(stdout, new RegExp(String.raw`^ +Queries per second: +${FLOAT}$`, 'm'), '"Queries per second:" line')[1]),
  };
}
