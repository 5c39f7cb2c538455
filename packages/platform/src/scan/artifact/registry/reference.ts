/**
 * Image references, parsed as Docker parses them (distribution/reference's
 * ParseNormalizedNamed): a first path component is a registry only when it
 * contains `.` or `:`, is `localhost`, or has upper-case letters; otherwise
 * the image is on Docker Hub (`docker.io`), where single-component names
 * live under `library/`. A reference without tag or digest means `:latest`.
 */
import { PalisadeError } from '../../../core/errors.js';

export const DOCKER_HUB = 'docker.io';
/** The host Docker actually talks to for `docker.io`. */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
const LEGACY_DOCKER_HUB = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';
const NAME_TOTAL_LENGTH_MAX = 255;

// The grammar of distribution/reference (regexp.go), written out here.
const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
const ipv6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainAndPort = `(?:${domainName}|${ipv6})(?::[0-9]+)?`;
const tagPat = '[\\w][\\w.-]{0,127}';
const digestPat = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const REFERENCE_RE = new RegExp(
  `^((?:${domainAndPort}/)?${remoteName})(?::(${tagPat}))?(?:@(${digestPat}))?$`,
);
const DOMAIN_RE = new RegExp(`^${domainAndPort}$`);
const ANCHORED_IDENTIFIER_RE = /^[a-f0-9]{64}$/;

export interface ImageReference {
  /** Registry as Docker names it (`docker.io` for Docker Hub, `localhost:5000`, `ghcr.io`). */
  readonly domain: string;
  /** Repository path inside the registry (`library/alpine`). */
  readonly path: string;
  /** Tag; `latest` when the reference named neither tag nor digest. */
  readonly tag?: string;
  /** True when the tag was not written but implied (`alpine` → `alpine:latest`). */
  readonly tagImplied: boolean;
  /** Digest (`sha256:…`) when the reference pins one. */
  readonly digest?: string;
  /** `domain/path`, fully qualified (`docker.io/library/alpine`). */
  readonly name: string;
  /**
   * The repository as Trivy prints it in RepoTags/RepoDigests: Docker Hub
   * names without `docker.io/` and `library/`, others `domain/path`.
   */
  readonly familiarName: string;
  /** Host (and port) to send API requests to: `registry-1.docker.io` for Docker Hub. */
  readonly apiHost: string;
}

function invalid(ref: string, why?: string): PalisadeError {
  return new PalisadeError(
    'E_USAGE',
    why
      ? `invalid reference format: ${why}: ${JSON.stringify(ref)}`
      : `invalid reference format: ${JSON.stringify(ref)}`,
    { hint: 'an image reference looks like [registry[:port]/]repository[:tag][@sha256:digest]' },
  );
}

function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const i = name.indexOf('/');
  let domain: string;
  let remainder: string;
  const first = i === -1 ? '' : name.slice(0, i);
  if (i === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DOCKER_HUB;
    remainder = name;
  } else {
    domain = first;
    remainder = name.slice(i + 1);
  }
  if (domain === LEGACY_DOCKER_HUB) domain = DOCKER_HUB;
  if (domain === DOCKER_HUB && !remainder.includes('/')) remainder = OFFICIAL_PREFIX + remainder;
  return { domain, remainder };
}

/** Parses a user-written image reference; throws E_USAGE when it is malformed. */
export function parseReference(ref: string): ImageReference {
  if (ref.length === 0 || ref.length > 4096) throw invalid(ref);
  if (ANCHORED_IDENTIFIER_RE.test(ref)) {
    throw invalid(ref, 'cannot specify 64-byte hexadecimal strings as a repository name');
  }
  const { domain, remainder } = splitDockerDomain(ref);
  const tagSep = remainder.indexOf(':');
  const repoPart = tagSep > -1 ? remainder.slice(0, tagSep) : remainder;
  if (repoPart.toLowerCase() !== repoPart) throw invalid(ref, 'repository name must be lowercase');

  const m = REFERENCE_RE.exec(`${domain}/${remainder}`);
  if (!m) throw invalid(ref);
  const name = m[1] as string;
  if (name.length > NAME_TOTAL_LENGTH_MAX) {
    throw invalid(ref, `repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  const path = name.slice(domain.length + 1);
  if (!DOMAIN_RE.test(domain) || path.length === 0) throw invalid(ref);
  const explicitTag = m[2];
  const digest = m[3];
  const tagImplied = explicitTag === undefined && digest === undefined;
  const tag = explicitTag ?? (tagImplied ? 'latest' : undefined);

  const familiarName =
    domain === DOCKER_HUB
      ? path.startsWith(OFFICIAL_PREFIX)
        ? path.slice(OFFICIAL_PREFIX.length)
        : path
      : name;
  const out: ImageReference = {
    domain,
    path,
    tagImplied,
    name,
    familiarName,
    apiHost: domain === DOCKER_HUB ? DOCKER_HUB_API_HOST : domain,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
  return out;
}

/** The canonical string form: `docker.io/library/alpine:3.19@sha256:…`. */
export function formatReference(ref: ImageReference): string {
  let s = ref.name;
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** Host name without port or IPv6 brackets. */
export function hostnameOf(hostAndPort: string): string {
  if (hostAndPort.startsWith('[')) {
    const end = hostAndPort.indexOf(']');
    return end > 0 ? hostAndPort.slice(1, end) : hostAndPort;
  }
  const colon = hostAndPort.indexOf(':');
  return colon >= 0 ? hostAndPort.slice(0, colon) : hostAndPort;
}

/** Loopback registries are spoken to over plain HTTP, as Docker does. */
export function isLoopbackHost(hostAndPort: string): boolean {
  const h = hostnameOf(hostAndPort).toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127(?:\.\d{1,3}){3}$/.test(h);
}
