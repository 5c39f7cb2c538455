/**
 * Image references as Kyverno reads them (pkg/utils/image): the default
 * registry is prefixed when the first path component is not a host, the tag
 * defaults to "latest" when there is neither tag nor digest, and the string
 * form is "registry/path:tag" or "registry/path@digest".
 */

export interface ImageInfo {
  registry: string;
  name: string;
  path: string;
  tag: string;
  digest: string;
  reference: string;
  referenceWithTag: string;
}

export interface ImageOptions {
  defaultRegistry?: string;
  enableDefaultRegistryMutation?: boolean;
}

export class ImageReferenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageReferenceError';
  }
}

const MAX_REFERENCE = 4096;
// distribution/reference grammar (simplified to the parts that matter for validity).
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const REFERENCE_RE = new RegExp(
  `^(${DOMAIN})/(${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::([\\w][\\w.-]{0,127}))?(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$`,
);

function addDefaultRegistry(name: string, registry: string): string {
  const i = name.indexOf('/');
  if (i === -1) return `${registry}/${name}`;
  const first = name.slice(0, i);
  if (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)
    return `${registry}/${name}`;
  return name;
}

export function imageToString(i: Pick<ImageInfo, 'registry' | 'path' | 'tag' | 'digest'>): string {
  const image = i.registry !== '' ? `${i.registry}/${i.path}` : i.path;
  return i.digest !== '' ? `${image}@${i.digest}` : `${image}:${i.tag}`;
}

export function parseImageReference(image: string, opts: ImageOptions = {}): ImageInfo {
  const defaultRegistry = opts.defaultRegistry ?? 'docker.io';
  const mutate = opts.enableDefaultRegistryMutation ?? true;
  if (image.length > MAX_REFERENCE)
    throw new ImageReferenceError(`bad image: reference too long (${image.length} characters)`);
  const full = addDefaultRegistry(image, defaultRegistry);
  const m = REFERENCE_RE.exec(full);
  if (!m) {
    throw new ImageReferenceError(
      `bad image: ${full}, defaultRegistry: ${defaultRegistry}, enableDefaultRegistryMutation: ${mutate}: invalid reference format`,
    );
  }
  let registry = m[1] ?? '';
  const path = m[2] ?? '';
  let tag = m[3] ?? '';
  const digest = m[4] ?? '';
  if (tag === '' && digest === '') tag = 'latest';
  if (full !== image && !mutate) registry = '';
  const name = path.slice(path.lastIndexOf('/') + 1);
  const info = { registry, name, path, tag, digest };
  const referenceWithTag = (registry !== '' ? `${registry}/${path}` : path) + (tag !== '' ? `:${tag}` : '');
  return { ...info, reference: imageToString(info), referenceWithTag };
}
