/**
 * Kyverno's own CEL libraries (pkg/cel/libs) over supplied data: `resource.Get/List` from supplied
 * objects, `image.GetMetadata` from supplied image data, `globalContext.Get` from supplied entries,
 * `generator.Apply` collecting generated objects, `image("ref")` parsing, `json`/`yaml` decoding.
 * Libraries that need the network or a cluster (`http`, `x509` verification, `resource.Post`) raise
 * an evaluation error with a clear message instead of guessing.
 */
import type { Environment } from '@marcbachmann/cel-js';
import { parse as parseYaml } from 'yaml';
import { parseImageReference, type ImageInfo } from '../jmespath/image.js';
import { CelLibError } from './k8s.js';
import { fromCel, isRecord, toCel } from './values.js';

type Obj = Record<string, unknown>;

/** Data the Kyverno libraries read; everything is supplied (tests, or an adapter with a cluster). */
export interface CelData {
  /** Cluster objects `resource.Get/List` may return (a test's context resources). */
  readonly resources?: readonly Obj[];
  /** Image metadata by reference: `{ image, manifest?, config?, ... }` (a test's context images). */
  readonly images?: readonly Obj[];
  /** Global context entries by name (`globalContext.Get(name, projection)`). */
  readonly globalContext?: Readonly<Record<string, unknown>>;
}

function metaOf(o: Obj): Obj {
  return isRecord(o['metadata']) ? o['metadata'] : {};
}

/** Plural resource name of a kind as Kubernetes' RESTMapper guesses it (lowercase + s/es/ies). */
export function pluralOf(kind: string): string {
  const k = kind.toLowerCase();
  if (/(s|x|z|ch|sh)$/.test(k)) return `${k}es`;
  if (/[^aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`;
  return `${k}s`;
}

function groupVersion(o: Obj): string {
  return typeof o['apiVersion'] === 'string' ? o['apiVersion'] : '';
}

export class ResourceLib {
  constructor(private readonly data: CelData) {}
  find(apiVersion: string, resource: string, namespace: string): Obj[] {
    return (this.data.resources ?? []).filter((o) => {
      const md = metaOf(o);
      const kind = typeof o['kind'] === 'string' ? o['kind'] : '';
      return (
        groupVersion(o) === apiVersion &&
        (pluralOf(kind) === resource.toLowerCase() || kind.toLowerCase() === resource.toLowerCase()) &&
        (namespace === '' || md['namespace'] === namespace || md['namespace'] === undefined)
      );
    });
  }
}
export class ImageDataLib {
  constructor(private readonly data: CelData) {}
  get(ref: string): Obj | undefined {
    return (this.data.images ?? []).find((i) => i['image'] === ref);
  }
}
export class GlobalContextLib {
  constructor(private readonly data: CelData) {}
  get(name: string): unknown {
    const g = this.data.globalContext ?? {};
    if (!Object.hasOwn(g, name)) return undefined;
    return g[name];
  }
}
export class GeneratorLib {
  readonly generated: Obj[] = [];
}
export class HttpLib {}
export class X509Lib {}
export class JsonLib {}
export class YamlLib {}
export class JsonPatchLib {}
export class KImage {
  constructor(readonly info: ImageInfo) {}
}

/** Per-evaluation bindings of the data-backed libraries. */
export function kyvernoBindings(data: CelData): Record<string, unknown> {
  return {
    resource: new ResourceLib(data),
    image: new ImageDataLib(data),
    imagedata: new ImageDataLib(data),
    globalContext: new GlobalContextLib(data),
    generator: new GeneratorLib(),
    http: new HttpLib(),
    x509: new X509Lib(),
  };
}

export function registerKyvernoLibraries(env: Environment): void {
  const fn = (sig: string, h: (...a: never[]) => unknown): void => {
    env.registerFunction(sig, h as (...a: unknown[]) => unknown);
  };
  env
    .registerType('kyverno.Resource', ResourceLib)
    .registerType('kyverno.ImageData', ImageDataLib)
    .registerType('kyverno.GlobalContext', GlobalContextLib)
    .registerType('kyverno.Generator', GeneratorLib)
    .registerType('kyverno.HTTP', HttpLib)
    .registerType('kyverno.X509', X509Lib)
    .registerType('kyverno.JSON', JsonLib)
    .registerType('kyverno.YAML', YamlLib)
    .registerType('kyverno.Image', KImage)
    .registerVariable('resource', 'kyverno.Resource')
    .registerVariable('image', 'kyverno.ImageData')
    .registerVariable('imagedata', 'kyverno.ImageData')
    .registerVariable('globalContext', 'kyverno.GlobalContext')
    .registerVariable('generator', 'kyverno.Generator')
    .registerVariable('http', 'kyverno.HTTP')
    .registerVariable('x509', 'kyverno.X509')
    .registerConstant('json', 'kyverno.JSON', new JsonLib())
    .registerConstant('yaml', 'kyverno.YAML', new YamlLib())
    .registerType('kyverno.JSONPatch', JsonPatchLib)
    .registerConstant('jsonpatch', 'kyverno.JSONPatch', new JsonPatchLib());
  // jsonpatch.escapeKey (Kubernetes MutatingAdmissionPolicy library)
  fn('kyverno.JSONPatch.escapeKey(string): string', (_: JsonPatchLib, k: string) =>
    k.replace(/~/g, '~0').replace(/\//g, '~1'),
  );
  // user library: parseServiceAccount("system:serviceaccount:ns:name")
  fn('parseServiceAccount(string): map', (s: string) => {
    const m = /^system:serviceaccount:([^:]*):([^:]*)$/.exec(s);
    return { namespace: m?.[1] ?? '', name: m?.[2] ?? '' };
  });

  // resource library
  fn(
    'kyverno.Resource.Get(string, string, string, string): map',
    (r: ResourceLib, av: string, res: string, ns: string, name: string) => {
      const hit = r.find(av, res, ns).find((o) => metaOf(o)['name'] === name);
      if (!hit)
        throw new CelLibError(
          `resource ${res} ${ns ? `${ns}/` : ''}${name} (${av}) not found in the supplied resources`,
        );
      return toCel(hit);
    },
  );
  fn(
    'kyverno.Resource.List(string, string, string): map',
    (r: ResourceLib, av: string, res: string, ns: string) => ({
      apiVersion: av,
      kind: 'List',
      items: r.find(av, res, ns).map((o) => toCel(o)),
    }),
  );
  fn('kyverno.Resource.Post(string, string, string, map): map', () => {
    throw new CelLibError(
      'resource.Post needs a cluster; Palisade evaluates policies over supplied data only',
    );
  });
  // image data library
  const getMeta = (l: ImageDataLib, ref: string): unknown => {
    const hit = l.get(ref);
    if (!hit)
      throw new CelLibError(`failed to fetch image metadata for ${ref}: not in the supplied image data`);
    return toCel(hit);
  };
  fn('kyverno.ImageData.GetMetadata(string): map', getMeta);
  fn('kyverno.ImageData.Get(string): map', getMeta);
  // global context
  fn(
    'kyverno.GlobalContext.Get(string, string): dyn',
    (g: GlobalContextLib, name: string, projection: string) => {
      const v = g.get(name);
      if (v === undefined) throw new CelLibError(`global context entry ${name} not supplied`);
      if (projection === '') return toCel(v);
      if (isRecord(v) && Object.hasOwn(v, projection)) return toCel(v[projection]);
      throw new CelLibError(`global context entry ${name} has no projection ${projection}`);
    },
  );
  // generator
  fn('kyverno.Generator.Apply(string, list): bool', (g: GeneratorLib, ns: string, list: unknown[]) => {
    for (const item of list) {
      const o = fromCel(item);
      if (!isRecord(o)) continue;
      const md = isRecord(o['metadata']) ? { ...o['metadata'] } : {};
      if (ns !== '') md['namespace'] = ns;
      g.generated.push({ ...o, metadata: md });
    }
    return true;
  });
  // network-backed libraries: explicit errors
  const noNet = (what: string) => (): never => {
    throw new CelLibError(`${what} needs network access; Palisade does not call it during policy evaluation`);
  };
  fn('kyverno.HTTP.Get(string): dyn', noNet('http.Get'));
  fn('kyverno.HTTP.Get(string, map): dyn', noNet('http.Get'));
  fn('kyverno.HTTP.Post(string, dyn, map): dyn', noNet('http.Post'));
  fn('kyverno.HTTP.Client(string): kyverno.HTTP', noNet('http.Client'));
  fn('kyverno.X509.decode(string): map', noNet('x509.decode'));
  // json / yaml
  fn('kyverno.JSON.unmarshal(string): dyn', (_: JsonLib, s: string) => {
    try {
      return toCel(JSON.parse(s));
    } catch (e) {
      throw new CelLibError(`json.unmarshal: ${e instanceof Error ? e.message : String(e)}`);
    }
  });
  fn('kyverno.YAML.parse(string): dyn', (_: YamlLib, s: string) => {
    try {
      return toCel(parseYaml(s, { maxAliasCount: 100 }) as unknown);
    } catch (e) {
      throw new CelLibError(`yaml.parse: ${e instanceof Error ? e.message : String(e)}`);
    }
  });
  // image references (pkg/cel/libs/image)
  const img = (s: string): KImage => {
    try {
      return new KImage(parseImageReference(s));
    } catch (e) {
      throw new CelLibError(e instanceof Error ? e.message : String(e));
    }
  };
  fn('parseImageReference(string): kyverno.Image', img);
  fn('isImage(string): bool', (s: string) => {
    try {
      parseImageReference(s);
      return true;
    } catch {
      return false;
    }
  });
  fn('kyverno.Image.registry(): string', (i: KImage) => i.info.registry);
  fn('kyverno.Image.repository(): string', (i: KImage) => i.info.path);
  fn('kyverno.Image.identifier(): string', (i: KImage) => i.info.digest || i.info.tag);
  fn('kyverno.Image.tag(): string', (i: KImage) => i.info.tag);
  fn('kyverno.Image.digest(): string', (i: KImage) => i.info.digest);
  fn('kyverno.Image.containsDigest(): bool', (i: KImage) => i.info.digest !== '');
}
