/**
 * `handleAdmission(review, deps)`: one AdmissionReview v1 in, one AdmissionReview v1 out. Pure: it
 * reads only its arguments (the policy set, namespace labels, a clock) and does no I/O, so the
 * HTTPS server is a thin adapter and tests call it directly.
 *
 * Semantics follow Kyverno's admission webhooks:
 * - mutate: the group's mutate rules run in policy order, each policy seeing the previous one's
 *   result; the difference is answered as a base64 JSONPatch.
 * - validate: a policy blocks the request when one of its rules fails with failure action Enforce,
 *   or errors while the policy's failurePolicy is Fail. The denial message is Kyverno's:
 *   `resource Kind/ns/name was blocked due to the following policies` followed by a YAML map
 *   policy → rule → message. Audit failures let the request in with a warning
 *   `policy <name>.<rule>: <message>` (unless the policy sets `emitWarning: false`).
 * - every request answers before its deadline: when evaluation has not finished, the answer
 *   follows the failurePolicy of the path (Fail: denied, saying so; Ignore: allowed, with a warning).
 */
import type { EngineRequest, EngineResponse } from '../../policy/engine/index.js';
import type { PolicyEngine } from '../../policy/engine/index.js';
import { goYamlNestedMap } from './goyaml.js';
import { createPatch } from './jsonpatch.js';
import {
  failureActionFor,
  policyKey,
  type Endpoint,
  type FailurePolicy,
  type PolicyGroup,
  type WebhookPolicySet,
} from './policyset.js';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface AdmissionRequest {
  uid: string;
  kind?: { group?: string; version?: string; kind?: string };
  resource?: { group?: string; version?: string; resource?: string };
  subResource?: string;
  name?: string;
  namespace?: string;
  operation: string;
  userInfo?: { username?: string; uid?: string; groups?: string[] };
  object?: Obj | null;
  oldObject?: Obj | null;
  dryRun?: boolean;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { status?: 'Failure'; message?: string; code?: number; reason?: string };
  patchType?: 'JSONPatch';
  patch?: string;
  warnings?: string[];
}

export interface AdmissionReviewOut {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

export interface AdmissionDeps {
  /** The current policy set (read once per request; a rebuild swaps it). */
  policies: () => WebhookPolicySet;
  /** Labels of a namespace, for namespaceSelector in policies; undefined when unknown. */
  namespaceLabels?: (name: string) => Readonly<Record<string, string>> | undefined;
  /** Milliseconds the answer must be ready in (the webhook's timeoutSeconds minus a margin). */
  deadlineMs: number;
  /**
   * Runs the engine; the default evaluates synchronously. Injected in tests (a hung evaluation) and
   * where evaluation may wait (API calls); it receives an AbortSignal that fires at the deadline.
   */
  evaluate?: (engine: PolicyEngine, req: EngineRequest, signal: AbortSignal) => Promise<EngineResponse[]>;
  /** Upper bound of warnings returned (the apiserver truncates beyond 4 KiB in total anyway). */
  maxWarnings?: number;
}

export interface AdmissionOutcome {
  /** HTTP status for the adapter: 200 with a review, or 400 for a request that is no AdmissionReview. */
  httpStatus: 200 | 400;
  /** The AdmissionReview to send back (200), or an error text (400). */
  body: AdmissionReviewOut | { error: string };
  /** Engine responses with at least one rule result (for PolicyReports); empty on timeout. */
  responses: EngineResponse[];
  dryRun: boolean;
  timedOut: boolean;
  /** The admission request as read (undefined for a 400). */
  request: AdmissionRequest | undefined;
}

/** Parses the endpoint path: `/validate/fail`, `/validate/ignore`, `/mutate/fail`, `/mutate/ignore`. */
export function parseEndpointPath(
  path: string,
): { endpoint: Endpoint; failurePolicy: FailurePolicy } | undefined {
  const m = /^\/(validate|mutate)\/(fail|ignore)\/?$/.exec(path.split('?')[0] ?? '');
  if (!m) return undefined;
  return {
    endpoint: m[1] as Endpoint,
    failurePolicy: m[2] === 'fail' ? 'Fail' : 'Ignore',
  };
}

function readRequest(review: unknown): AdmissionRequest | string {
  if (!isObj(review)) return 'body is not a JSON object';
  if (review['kind'] !== 'AdmissionReview') return 'kind is not AdmissionReview';
  if (review['apiVersion'] !== 'admission.k8s.io/v1') return 'apiVersion is not admission.k8s.io/v1';
  const r = review['request'];
  if (!isObj(r)) return 'request is missing';
  if (typeof r['uid'] !== 'string' || !r['uid']) return 'request.uid is missing';
  if (typeof r['operation'] !== 'string') return 'request.operation is missing';
  for (const f of ['object', 'oldObject'] as const)
    if (r[f] !== undefined && r[f] !== null && !isObj(r[f])) return `request.${f} is not an object`;
  return r as unknown as AdmissionRequest;
}

function reviewOf(response: AdmissionResponse): AdmissionReviewOut {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
}

/** `Kind/namespace/name` or `Kind/name`, as in Kyverno's blocked message. */
function resourceName(req: AdmissionRequest, obj: Obj | undefined): string {
  const kind = req.kind?.kind ?? (typeof obj?.['kind'] === 'string' ? obj['kind'] : '');
  const md = isObj(obj?.['metadata']) ? obj['metadata'] : {};
  const name = req.name || (typeof md['name'] === 'string' ? md['name'] : '');
  const ns = req.namespace ?? (typeof md['namespace'] === 'string' ? md['namespace'] : '');
  return ns ? `${kind}/${ns}/${name}` : `${kind}/${name}`;
}

/** Kyverno's denial text for the blocking responses. */
export function blockedMessage(resource: string, blocked: readonly EngineResponse[]): string {
  const failures: Record<string, Record<string, string>> = {};
  for (const er of [...blocked].sort((a, b) => a.policy.name.localeCompare(b.policy.name))) {
    const rules: Record<string, string> = {};
    for (const r of er.rules) if (r.status === 'fail' || r.status === 'error') rules[r.name] = r.message;
    if (Object.keys(rules).length) failures[er.policy.name] = rules;
  }
  const yaml = goYamlNestedMap(failures);
  return `\n\nresource ${resource} was blocked due to the following policies \n\n${yaml}`;
}

const defaultEvaluate = (engine: PolicyEngine, req: EngineRequest): Promise<EngineResponse[]> =>
  Promise.resolve(engine.evaluate(req));

/** The signal of the synchronous default evaluation: nothing can abort it, so it is shared. */
const NEVER_ABORTED = new AbortController().signal;

export async function handleAdmission(
  review: unknown,
  path: { endpoint: Endpoint; failurePolicy: FailurePolicy },
  deps: AdmissionDeps,
): Promise<AdmissionOutcome> {
  const req = readRequest(review);
  if (typeof req === 'string')
    return {
      httpStatus: 400,
      body: { error: req },
      responses: [],
      dryRun: false,
      timedOut: false,
      request: undefined,
    };
  const dryRun = req.dryRun === true;
  const set = deps.policies();
  const group: PolicyGroup = set.groups[`${path.endpoint}/${path.failurePolicy}`];
  const allow = (extra: Partial<AdmissionResponse> = {}): AdmissionOutcome => ({
    httpStatus: 200,
    body: reviewOf({ uid: req.uid, allowed: true, ...extra }),
    responses: [],
    dryRun,
    timedOut: false,
    request: req,
  });
  const object = isObj(req.object) ? req.object : undefined;
  const oldObject = isObj(req.oldObject) ? req.oldObject : undefined;
  const resource = req.operation === 'DELETE' ? (oldObject ?? object) : object;
  if (!resource || (!group.policies.length && !group.celPolicies.length)) return allow();
  // mutations never apply to DELETE (nothing is stored)
  if (path.endpoint === 'mutate' && req.operation === 'DELETE') return allow();

  const ns = req.namespace ?? '';
  const nsLabels: Record<string, Readonly<Record<string, string>>> = {};
  if (ns && deps.namespaceLabels) {
    const l = deps.namespaceLabels(ns);
    if (l) nsLabels[ns] = l;
  }
  if (req.kind?.kind === 'Namespace' && isObj(resource['metadata'])) {
    const md = resource['metadata'];
    if (typeof md['name'] === 'string')
      nsLabels[md['name']] = isObj(md['labels']) ? (md['labels'] as Record<string, string>) : {};
  }
  const engineReq = (res: Obj): EngineRequest => ({
    resource: res,
    ...(oldObject && req.operation !== 'DELETE' ? { oldResource: oldObject } : {}),
    operation: req.operation,
    ...(req.subResource ? { subresource: req.subResource } : {}),
    userInfo: {
      ...(req.userInfo?.username !== undefined ? { username: req.userInfo.username } : {}),
      ...(req.userInfo?.groups ? { groups: req.userInfo.groups } : {}),
      ...(req.userInfo?.uid !== undefined ? { uid: req.userInfo.uid } : {}),
    },
    namespaceLabels: nsLabels,
    variables: {
      'request.operation': req.operation,
      'request.namespace': ns,
      'request.name': req.name ?? '',
      'request.dryRun': dryRun,
    },
  });

  const evaluate = deps.evaluate ?? defaultEvaluate;
  // The default evaluation is synchronous: no timer could fire before it returns, so it gets no
  // deadline timer and no AbortController (each cost more per review than it could ever catch).
  const ac = deps.evaluate ? new AbortController() : undefined;
  const signal = ac?.signal ?? NEVER_ABORTED;
  const work = async (): Promise<{ responses: EngineResponse[]; patched: Obj }> => {
    if (path.endpoint === 'validate') {
      const responses = await evaluate(group.engine, engineReq(resource), signal);
      return { responses, patched: resource };
    }
    // mutate: policy by policy, each seeing the previous result
    let current = resource;
    const all: EngineResponse[] = [];
    for (const one of group.chain) {
      if (signal.aborted) break;
      const rs = await evaluate(one, engineReq(current), signal);
      for (const r of rs) {
        all.push(r);
        current = r.patchedResource;
      }
    }
    return { responses: all, patched: current };
  };
  const failed = (err: unknown): { error: string } => ({
    error: err instanceof Error ? err.message : String(err),
  });
  let result: { responses: EngineResponse[]; patched: Obj } | 'timeout' | { error: string };
  if (!ac) {
    result = await work().catch(failed);
  } else {
    let timer: NodeJS.Timeout | undefined;
    try {
      result = await Promise.race([
        work().catch(failed),
        new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), Math.max(0, deps.deadlineMs));
        }),
      ]);
    } finally {
      clearTimeout(timer);
      ac.abort();
    }
  }
  if (result === 'timeout' || 'error' in result) {
    const why =
      result === 'timeout'
        ? `evaluation did not finish within ${deps.deadlineMs} ms`
        : `evaluation failed: ${result.error}`;
    const timedOut = result === 'timeout';
    if (path.failurePolicy === 'Ignore') {
      return { ...allow({ warnings: [`palisade: ${why}; allowed (failurePolicy Ignore)`] }), timedOut };
    }
    return {
      httpStatus: 200,
      body: reviewOf({
        uid: req.uid,
        allowed: false,
        status: {
          status: 'Failure',
          code: 500,
          reason: 'InternalError',
          message: `palisade: ${why}; denied (failurePolicy Fail)`,
        },
      }),
      responses: [],
      dryRun,
      timedOut,
      request: req,
    };
  }

  const { responses, patched } = result;
  const maxWarnings = deps.maxWarnings ?? 50;
  if (path.endpoint === 'mutate') {
    const ops = createPatch(resource, patched);
    const blocked = responses.filter(
      (r) => path.failurePolicy === 'Fail' && r.rules.some((x) => x.status === 'error'),
    );
    if (blocked.length) {
      return {
        httpStatus: 200,
        body: reviewOf({
          uid: req.uid,
          allowed: false,
          status: { status: 'Failure', message: blockedMessage(resourceName(req, resource), blocked) },
        }),
        responses,
        dryRun,
        timedOut: false,
        request: req,
      };
    }
    return {
      ...allow(
        ops.length
          ? { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(ops)).toString('base64') }
          : {},
      ),
      responses,
    };
  }

  const blocked: EngineResponse[] = [];
  const warnings: string[] = [];
  for (const er of responses) {
    const policy = set.byKey.get(policyKey(er.policy));
    let blocks = false;
    for (const r of er.rules) {
      if (r.status === 'fail') {
        const action = policy ? failureActionFor(policy, r.name, ns) : er.validationFailureAction;
        if (action === 'Enforce') blocks = true;
        else if (policy?.spec['emitWarning'] !== false && warnings.length < maxWarnings)
          warnings.push(`policy ${er.policy.name}.${r.name}: ${r.message}`);
      } else if (r.status === 'error') {
        if (path.failurePolicy === 'Fail') blocks = true;
        else if (warnings.length < maxWarnings)
          warnings.push(`policy ${er.policy.name}.${r.name}: ${r.message}`);
      }
    }
    if (blocks) blocked.push(er);
  }
  if (blocked.length) {
    return {
      httpStatus: 200,
      body: reviewOf({
        uid: req.uid,
        allowed: false,
        status: { status: 'Failure', message: blockedMessage(resourceName(req, resource), blocked) },
        ...(warnings.length ? { warnings } : {}),
      }),
      responses,
      dryRun,
      timedOut: false,
      request: req,
    };
  }
  return { ...allow(warnings.length ? { warnings } : {}), responses };
}
