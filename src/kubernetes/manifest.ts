// The Kubernetes objects of a segmented run over N generator pods: a ConfigMap with the query file
// (and a --tls-ca certificate), a Secret with the -y TSIG key, and an Indexed Job whose pod i runs
// segment i+1 of N, all starting at one --start-at time. Pure: a plan in, objects and YAML out.
// Types are the API's own (kubernetes-models), so a misspelt field fails to compile; the test
// validates the objects against the API schema.
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IIoK8sApiCoreV1PodAffinityTerm } from 'kubernetes-models/v1/PodAffinityTerm';
import type { IIoK8sApiCoreV1Volume } from 'kubernetes-models/v1/Volume';
import type { IIoK8sApiCoreV1VolumeMount } from 'kubernetes-models/v1/VolumeMount';
import type { IIoK8sApiCoreV1EnvVar } from 'kubernetes-models/v1/EnvVar';
import type * as Yaml from 'yaml';
import { lazyRequire } from '../util/lazy-require.js';
import { escapeKubernetesExpansion, shellQuote } from './shell.js';

const yaml = lazyRequire<typeof Yaml>('yaml');

/** Where the ConfigMap is mounted in the pods. */
export const CONFIG_DIR = '/etc/dnsbench';
/** Where a --queries-volume claim is mounted (read-only). */
export const VOLUME_DIR = '/queries';
/** ConfigMap key of the --tls-ca certificate. */
export const TLS_CA_KEY = 'tls-ca.pem';
/** The pods' user and group: the conventional "nonroot" id of distroless images. */
export const NONROOT_ID = 65532;
/** Secret key holding the whole -y value, and the variable the pod reads it from. */
export const TSIG_KEY = 'tsig';
export const TSIG_ENV = 'DNSBENCH_TSIG';

export type QuerySource =
  /** The file travels in the ConfigMap under `key`. */
  | { kind: 'configmap'; key: string; bytes: Uint8Array }
  /** The file is `path` (relative) on the PersistentVolumeClaim `claim`. */
  | { kind: 'volume'; claim: string; path: string };

export interface ManifestPlan {
  /** Job name; the ConfigMap and Secret are `<name>-queries` and `<name>-tsig`. */
  name: string;
  /** null: the objects carry no namespace (kubectl's current one applies). */
  namespace: string | null;
  image: string;
  /** N: pods, completions and segments. */
  generators: number;
  /** --start-at of every pod, epoch ms. */
  startAtMs: number;
  /** CPU cores per pod (requests = limits), and the pod's -T. */
  cpus: number;
  /** Memory per pod (requests = limits), a Kubernetes quantity such as "1Gi". */
  memory: string;
  /** Pod anti-affinity: spread the generators over nodes, preferably or strictly. */
  spread: 'preferred' | 'required';
  /** Run flags for every pod, already without -d, -y, --tls-ca, -T (set from the fields here). */
  runArgs: readonly string[];
  queries: QuerySource;
  /** --tls-ca certificate (PEM), carried in the ConfigMap. */
  tlsCa: Uint8Array | null;
  /** -y [alg:]name:secret, carried in a Secret and read from the environment. */
  tsig: string | null;
  /** Job deadline in seconds (start delay + run + margin), or null when the run length is unknown. */
  activeDeadlineSeconds: number | null;
}

export type ManifestObject = IConfigMap | ISecret | IJob;

const labels = (name: string): Record<string, string> => ({
  'app.kubernetes.io/name': 'dnsbench',
  'app.kubernetes.io/instance': name,
});

/** The file's path inside the pod. */
export function podQueryPath(q: QuerySource): string {
  return q.kind === 'configmap' ? `${CONFIG_DIR}/${q.key}` : `${VOLUME_DIR}/${q.path}`;
}

/**
 * The pod's `sh -c` script: `exec dnsbench RUN-FLAGS -d FILE -T CPUS [--tls-ca ...] [-y "$DNSBENCH_TSIG"]
 * --segment $((JOB_COMPLETION_INDEX + 1))/N --start-at T --json -`, every given argument
 * shell-quoted, and the whole escaped for Kubernetes' own $(VAR) expansion.
 */
export function podScript(plan: ManifestPlan): string {
  const args = [
    ...plan.runArgs,
    '-d', podQueryPath(plan.queries),
    '-T', String(plan.cpus),
    ...(plan.tlsCa ? ['--tls-ca', `${CONFIG_DIR}/${TLS_CA_KEY}`] : []),
  ].map(shellQuote);
  const script = [
    'exec dnsbench',
    ...args,
    ...(plan.tsig !== null ? ['-y', `"$${TSIG_ENV}"`] : []),
    // JOB_COMPLETION_INDEX (0-based) is set by the Job controller in every pod of an Indexed Job.
    '--segment', `"$((JOB_COMPLETION_INDEX + 1))/${plan.generators}"`,
    '--start-at', new Date(plan.startAtMs).toISOString(),
    '--json', '-',
  ].join(' ');
  return escapeKubernetesExpansion(script);
}

/**
 * Query files are stored as text only when every YAML reader reproduces them byte for byte from
 * a plain block scalar: printable UTF-8 without tabs, CRs, a BOM or trailing blanks. Anything
 * else goes in binaryData (base64), which is exact by construction.
 */
function storesAsText(bytes: Uint8Array): string | null {
  const text = Buffer.from(bytes).toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(Buffer.from(bytes))) return null; // not valid UTF-8
  // C1 controls and U+2028/9 too: NEL, LS and PS are line breaks to YAML 1.1 readers (go-yaml).
  if (/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/u.test(text) || /[ \u00a0]$/mu.test(text)) return null;
  return text;
}

/** The objects, in the order they must be created: ConfigMap, Secret, Job. */
export function buildManifest(plan: ManifestPlan): ManifestObject[] {
  const meta = (name: string) => ({ name, ...(plan.namespace !== null ? { namespace: plan.namespace } : {}), labels: labels(plan.name) });
  const objects: ManifestObject[] = [];
  const configName = `${plan.name}-queries`;
  const secretName = `${plan.name}-tsig`;

  const files: Array<[string, Uint8Array]> = [];
  if (plan.queries.kind === 'configmap') files.push([plan.queries.key, plan.queries.bytes]);
  if (plan.tlsCa) files.push([TLS_CA_KEY, plan.tlsCa]);
  if (files.length > 0) {
    const data: Record<string, string> = {};
    const binaryData: Record<string, string> = {};
    for (const [key, bytes] of files) {
      const text = storesAsText(bytes);
      if (text !== null) data[key] = text;
      else binaryData[key] = Buffer.from(bytes).toString('base64');
    }
    const cm: IConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta(configName),
      ...(Object.keys(data).length > 0 ? { data } : {}),
      ...(Object.keys(binaryData).length > 0 ? { binaryData } : {}),
    };
    objects.push(cm);
  }
  if (plan.tsig !== null) {
    const secret: ISecret = { apiVersion: 'v1', kind: 'Secret', metadata: meta(secretName), type: 'Opaque', stringData: { [TSIG_KEY]: plan.tsig } };
    objects.push(secret);
  }

  const volumes: IIoK8sApiCoreV1Volume[] = [];
  const mounts: IIoK8sApiCoreV1VolumeMount[] = [];
  if (files.length > 0) {
    volumes.push({ name: 'config', configMap: { name: configName } });
    mounts.push({ name: 'config', mountPath: CONFIG_DIR, readOnly: true });
  }
  if (plan.queries.kind === 'volume') {
    volumes.push({ name: 'queries', persistentVolumeClaim: { claimName: plan.queries.claim, readOnly: true } });
    mounts.push({ name: 'queries', mountPath: VOLUME_DIR, readOnly: true });
  }
  const env: IIoK8sApiCoreV1EnvVar[] =
    plan.tsig !== null ? [{ name: TSIG_ENV, valueFrom: { secretKeyRef: { name: secretName, key: TSIG_KEY } } }] : [];
  const term: IIoK8sApiCoreV1PodAffinityTerm = {
    labelSelector: { matchLabels: { 'app.kubernetes.io/instance': plan.name } },
    topologyKey: 'kubernetes.io/hostname',
  };
  // Requests equal to limits: the pod gets Guaranteed QoS, its CPUs are not shared (and with the
  // static CPU manager policy whole cores are its own), so every generator has the capacity
  // that a single-generator run measured.
  const resources = { cpu: String(plan.cpus), memory: plan.memory };

  const job: IJob = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta(plan.name),
    spec: {
      completionMode: 'Indexed',
      completions: plan.generators,
      parallelism: plan.generators,
      // A generator that fails is not retried: a late rerun would start after --start-at (and be
      // refused), and its segment is better reported missing by merge than sent twice.
      backoffLimit: 0,
      ...(plan.activeDeadlineSeconds !== null ? { activeDeadlineSeconds: plan.activeDeadlineSeconds } : {}),
      template: {
        metadata: { labels: labels(plan.name) },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          affinity: {
            podAntiAffinity:
              plan.spread === 'required'
                ? { requiredDuringSchedulingIgnoredDuringExecution: [term] }
                : { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term }] },
          },
          containers: [
            {
              name: 'dnsbench',
              image: plan.image,
              imagePullPolicy: 'IfNotPresent',
              command: ['sh', '-c', podScript(plan)],
              ...(env.length > 0 ? { env } : {}),
              resources: { requests: { ...resources }, limits: { ...resources } },
              ...(mounts.length > 0 ? { volumeMounts: mounts } : {}),
              // A numeric non-root user: the kubelet cannot check runAsNonRoot against an image's
              // named USER, and dnsbench needs no identity (it writes nothing, binds no low port).
              securityContext: {
                runAsNonRoot: true,
                runAsUser: NONROOT_ID,
                runAsGroup: NONROOT_ID,
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
            },
          ],
          ...(volumes.length > 0 ? { volumes } : {}),
        },
      },
    },
  };
  objects.push(job);
  return objects;
}

/**
 * Characters a YAML reader may refuse or read as something else, in any scalar or comment: C0
 * controls but tab, LF and CR; DEL; the C1 controls (NEL, U+0085, is a line break in YAML 1.1, as
 * are U+2028 and U+2029, and go-yaml, which kubectl uses, folds them); U+FFFE, U+FFFF and unpaired
 * surrogates (YAML 1.2 5.1 c-printable). kubectl refused a manifest holding one ("control
 * characters are not allowed"): an ESC or DEL in --title, a -s label or a path.
 */
const NOT_YAML = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const HAS_NOT_YAML = new RegExp(NOT_YAML.source);

/** \xNN or \uNNNN: an escape in a double-quoted YAML scalar (YAML 1.1 and 1.2), and readable in a comment. */
function escapeChar(ch: string): string {
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * One comment line's text: a line break (an argument can hold one) would end the comment and start
 * YAML, so it becomes a space; a character of NOT_YAML is shown escaped.
 */
function commentText(c: string): string {
  return c.replace(/[\r\n\u0085\u2028\u2029]/g, ' ').replace(NOT_YAML, escapeChar);
}

/**
 * The objects as one multi-document YAML stream, after `# ` comment lines. Long lines are not
 * folded. A string holding a NOT_YAML character (the pod's script carries the arguments as typed)
 * is written double-quoted with that character escaped, so every reader gets it back exactly;
 * nothing else can hold one (query files with one go to binaryData, names are checked).
 */
export function renderManifest(objects: readonly ManifestObject[], comments: readonly string[] = []): string {
  const Y = yaml();
  const head = comments.map((c) => `# ${commentText(c)}\n`).join('');
  const body = objects.map((o) => {
    // No anchors and aliases (&a1/*a1) even for equal objects: plain YAML reads the same everywhere.
    const doc = new Y.Document(o, { aliasDuplicateObjects: false });
    let quoted = false;
    Y.visit(doc, {
      Scalar(_key, node) {
        if (typeof node.value === 'string' && HAS_NOT_YAML.test(node.value)) {
          node.type = 'QUOTE_DOUBLE';
          quoted = true;
        }
      },
    });
    const text = doc.toString({ lineWidth: 0 });
    // The library escapes C0 controls in double quotes but leaves DEL, C1 and the rest raw; they
    // can only be inside the scalars quoted above (keys are ours), where the escape means them.
    return `---\n${quoted ? text.replace(NOT_YAML, escapeChar) : text}`;
  });
  return head + body.join('');
}
