/**
 * Maven POM reading and offline resolution, following Trivy's pom parser
 * (pkg/dependency/parser/java/pom) for what can be known from the files in
 * the scanned tree: the project itself (root), its modules (workspace), and
 * its direct dependencies with versions resolved from properties, parents
 * and dependencyManagement.
 *
 * Not done, on purpose: Trivy fetches parents, imported BOMs and the POMs of
 * every dependency from the local Maven repository (~/.m2) and Maven Central
 * to resolve transitive dependencies. An analyzer here sees only the scanned
 * artifact and never reaches the network, so transitive (indirect)
 * dependencies are not listed, and versions that only an imported BOM or an
 * unavailable parent would give stay empty (as Trivy's own offline mode
 * leaves them).
 */
import type * as FastXml from 'fast-xml-parser';
import { lazy } from '../../../core/lazy.js';

const xml = lazy<typeof FastXml>('fast-xml-parser');
import type { Package } from '@palisade/api';
import type { ParseFailure } from './file-analyzer.js';
import { mavenPackageId } from './java.js';
import type { XmlNode } from './xml-load.js';
import { isXmlNode, loadXml, xmlChild, xmlChildren } from './xml-load.js';

export interface PomDependency {
  groupId: string;
  artifactId: string;
  version: string;
  scope: string;
  optional: boolean;
  exclusions: { groupId: string; artifactId: string }[];
  /** Lines of `<dependency>` and `</dependency>` in the file that declares it. */
  startLine?: number;
  endLine?: number;
}

export interface PomParent {
  groupId: string;
  artifactId: string;
  version: string;
  relativePath: string;
}

export interface PomModel {
  groupId: string;
  artifactId: string;
  version: string;
  parent?: PomParent;
  properties: Map<string, string>;
  licenses: string[];
  modules: string[];
  dependencyManagement: PomDependency[];
  dependencies: PomDependency[];
}

export type PomParseResult = { ok: true; model: PomModel } | ParseFailure;

const ARRAY_TAGS = new Set(['dependency', 'module', 'license', 'exclusion']);

function xmlParser(): FastXml.XMLParser {
  return new (xml().XMLParser)({
    ignoreAttributes: true,
    removeNSPrefix: true,
    parseTagValue: false,
    trimValues: true,
    captureMetaData: true,
    isArray: (name) => ARRAY_TAGS.has(name),
  });
}

/** Text content of an element ('' for absent, empty or structured elements). */
export function xmlText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (isXmlNode(v)) {
    const t = v['#text'];
    if (typeof t === 'string' || typeof t === 'number') return String(t).trim();
  }
  return '';
}

/** Line number (1-based) of each character offset, by binary search over line starts. */
export function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/**
 * Parses XML text after validating it (fast-xml-parser alone accepts broken
 * markup). Returns the document object, or a message and line.
 */
function parseXmlDocument(text: string): { ok: true; doc: XmlNode; meta: symbol } | ParseFailure {
  const loaded = loadXml(text, xmlParser());
  if (!loaded.ok) return loaded;
  return { ok: true, doc: loaded.doc, meta: xml().XMLParser.getMetaDataSymbol() as symbol };
}

function readDependencies(
  container: unknown,
  meta: symbol,
  lineOf: ((offset: number) => number) | undefined,
): PomDependency[] {
  const out: PomDependency[] = [];
  for (const d of xmlChildren(xmlChild(container, 'dependencies'), 'dependency')) {
    if (!isXmlNode(d)) continue;
    const dep: PomDependency = {
      groupId: xmlText(d['groupId']),
      artifactId: xmlText(d['artifactId']),
      version: xmlText(d['version']),
      scope: xmlText(d['scope']),
      optional: ['true', '1'].includes(xmlText(d['optional'])),
      exclusions: xmlChildren(xmlChild(d, 'exclusions'), 'exclusion')
        .filter(isXmlNode)
        .map((e) => ({ groupId: xmlText(e['groupId']), artifactId: xmlText(e['artifactId']) })),
    };
    const m = (d as Record<symbol, unknown>)[meta];
    if (lineOf && isXmlNode(m) && typeof m['startIndex'] === 'number' && typeof m['endIndex'] === 'number') {
      dep.startLine = lineOf(m['startIndex']);
      dep.endLine = lineOf(m['endIndex']);
    }
    out.push(dep);
  }
  return out;
}

/** Reads a POM. A document whose root element is not `<project>` gives an empty model, as Go's decoder would. */
export function parsePom(text: string): PomParseResult {
  const parsed = parseXmlDocument(text);
  if (!parsed.ok) return parsed;
  const project = parsed.doc['project'];
  const lineOf = lineIndex(text);
  const parentNode = xmlChild(project, 'parent');
  const properties = new Map<string, string>();
  const props = xmlChild(project, 'properties');
  if (isXmlNode(props)) {
    for (const [k, v] of Object.entries(props)) if (!k.startsWith('#')) properties.set(k, xmlText(v));
  }
  const model: PomModel = {
    groupId: xmlText(xmlChild(project, 'groupId')),
    artifactId: xmlText(xmlChild(project, 'artifactId')),
    version: xmlText(xmlChild(project, 'version')),
    properties,
    licenses: xmlChildren(xmlChild(project, 'licenses'), 'license')
      .map((l) => xmlText(xmlChild(l, 'name')))
      .filter((n) => n !== ''),
    modules: xmlChildren(xmlChild(project, 'modules'), 'module')
      .map(xmlText)
      .filter((m) => m !== ''),
    dependencyManagement: readDependencies(xmlChild(project, 'dependencyManagement'), parsed.meta, undefined),
    dependencies: readDependencies(project, parsed.meta, lineOf),
  };
  if (parentNode !== undefined) {
    model.parent = {
      groupId: xmlText(xmlChild(parentNode, 'groupId')),
      artifactId: xmlText(xmlChild(parentNode, 'artifactId')),
      version: xmlText(xmlChild(parentNode, 'version')),
      relativePath: xmlText(xmlChild(parentNode, 'relativePath')),
    };
  }
  return { ok: true, model };
}

// ---- property interpolation ------------------------------------------------

const VAR_RE = /\$\{(\S+?)\}/g;
const MAX_EVAL_DEPTH = 32;

/**
 * Replaces `${name}` with property values, recursively. As in Trivy, an
 * unknown property becomes the empty string, and a property loop yields ''.
 * `env.*` is not read (an analyzer never looks at the scanner's environment),
 * which is what Trivy gives when the variable is unset.
 */
export function evaluateProperties(
  s: string,
  props: ReadonlyMap<string, string>,
  seen: readonly string[] = [],
): string {
  if (!s.includes('${')) return s.trim();
  if (seen.length > MAX_EVAL_DEPTH) return '';
  let looped = false;
  const out = s.replace(VAR_RE, (_m, name: string) => {
    if (name.startsWith('env.')) return '';
    const v = props.get(name);
    if (v === undefined) return '';
    if (seen.includes(name)) {
      looped = true;
      return '';
    }
    return evaluateProperties(v, props, [...seen, name]);
  });
  return looped ? '' : out.trim();
}

// ---- resolution ------------------------------------------------------------

export interface PomSource {
  /** The parsed POM at an artifact-relative path, or undefined when there is none (or it did not parse). */
  get(path: string): PomModel | undefined;
}

export interface PomNote {
  code: string;
  message: string;
  file: string;
}

/** Normalises `a/b/../c` to `a/c`; undefined when the path climbs above the root. */
export function joinPath(dir: string, rel: string): string | undefined {
  const parts: string[] = [];
  for (const seg of `${dir}/${rel}`.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else parts.push(seg);
  }
  return parts.join('/');
}

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/** A relative path to a POM or to a directory holding pom.xml (we cannot stat, so a `.xml` suffix means a file). */
function pomPathFor(currentPath: string, rel: string): string | undefined {
  const p = joinPath(dirOf(currentPath), rel);
  if (p === undefined) return undefined;
  return p.toLowerCase().endsWith('.xml') ? p : joinPath(p, 'pom.xml');
}

/** The effective model: the inheritance chain merged, child first, as Maven assembles it before interpolation. */
interface Effective {
  path: string;
  groupId: string;
  artifactId: string;
  version: string;
  licenses: string[];
  properties: Map<string, string>;
  /** (declaring file, dependency) pairs; the root file's own dependencies carry lines. */
  dependencies: { fromRoot: boolean; dep: PomDependency }[];
  dependencyManagement: PomDependency[];
  modules: string[];
}

const MAX_PARENT_CHAIN = 64;
const MAX_MODULES = 10_000;

export class PomResolver {
  readonly notes: PomNote[] = [];

  constructor(private readonly source: PomSource) {}

  private note(code: string, message: string, file: string): void {
    if (this.notes.length < 1000) this.notes.push({ code, message, file });
  }

  /** Finds the parent POM on disk as Trivy does: relativePath, then ../pom.xml; the artifactId must match. */
  private findParent(path: string, parent: PomParent): { path: string; model: PomModel } | undefined {
    const candidates: string[] = [];
    if (parent.relativePath !== '') candidates.push(parent.relativePath);
    candidates.push('../pom.xml');
    for (const rel of candidates) {
      const p = pomPathFor(path, rel);
      if (p === undefined || p === path) continue;
      const model = this.source.get(p);
      if (!model) continue;
      // Trivy compares artifactIds only (groupId and version may be inherited or be properties).
      if (evaluateProperties(model.artifactId, model.properties) !== parent.artifactId) continue;
      return { path: p, model };
    }
    return undefined;
  }

  /**
   * The effective model: the parent's effective model (found on disk) merged
   * under this POM's own values, child first, as Maven assembles a model before
   * interpolating it. Trivy merges the same way: properties of the parent
   * (including its project.* values) overridden by the child's, then the
   * child's project.* values; groupId, version and licenses inherited when
   * absent; dependencies and dependencyManagement child first, by name.
   */
  private effective(path: string, model: PomModel): Effective {
    let parentEff: Effective | undefined;
    const parent = model.parent;
    if (parent && (parent.groupId !== '' || parent.artifactId !== '' || parent.version !== '')) {
      const found = this.findParent(path, parent);
      if (found) parentEff = this.effectiveCached(found.path, found.model);
      else {
        this.note(
          'POM_PARENT_NOT_FOUND',
          `parent ${parent.groupId}:${parent.artifactId}:${parent.version} is not in the scanned tree; it is not fetched from a Maven repository (offline), so what it would define is unknown`,
          path,
        );
      }
    }

    const props = new Map<string, string>(parentEff?.properties ?? []);
    for (const [k, v] of model.properties) props.set(k, v);

    const groupId = evaluateProperties(model.groupId || parentEff?.groupId || '', props);
    const version = evaluateProperties(model.version || parentEff?.version || '', props);
    const artifactId = evaluateProperties(model.artifactId, props);
    const licenses = model.licenses.length > 0 ? model.licenses : (parentEff?.licenses ?? []);

    // project.* properties (and their deprecated unprefixed forms) from this POM's own fields, as Trivy lists them.
    const projectFields = new Map<string, string>([
      ['groupId', groupId],
      ['artifactId', model.artifactId],
      ['version', version],
    ]);
    if (parent) {
      projectFields.set('parent.groupId', parent.groupId);
      projectFields.set('parent.artifactId', parent.artifactId);
      projectFields.set('parent.version', parent.version);
      projectFields.set('parent.relativePath', parent.relativePath);
    }
    for (const [k, v] of model.properties) projectFields.set(k, v);
    for (const [k, v] of projectFields) {
      if (k.startsWith('project.')) continue;
      props.set(`project.${k}`, v);
      props.set(k, v);
    }

    const nameOf = (d: PomDependency): string =>
      `${evaluateProperties(d.groupId, props)}:${evaluateProperties(d.artifactId, props)}`;
    const dependencies: Effective['dependencies'] = [];
    const depNames = new Set<string>();
    for (const entry of [
      ...model.dependencies.map((dep) => ({ fromRoot: true, dep })),
      ...(parentEff?.dependencies ?? []).map(({ dep }) => ({ fromRoot: false, dep })),
    ]) {
      const name = nameOf(entry.dep);
      if (depNames.has(name)) continue;
      depNames.add(name);
      dependencies.push(entry);
    }
    const dependencyManagement: PomDependency[] = [];
    const dmNames = new Set<string>();
    for (const d of [...model.dependencyManagement, ...(parentEff?.dependencyManagement ?? [])]) {
      const name = nameOf(d);
      if (dmNames.has(name)) continue;
      dmNames.add(name);
      dependencyManagement.push(d);
    }

    return {
      path,
      groupId,
      artifactId,
      version,
      licenses,
      properties: props,
      dependencies,
      dependencyManagement,
      modules: model.modules,
    };
  }

  private readonly cache = new Map<string, Effective>();
  private readonly inProgress = new Set<string>();

  private effectiveCached(path: string, model: PomModel): Effective | undefined {
    const hit = this.cache.get(path);
    if (hit) return hit;
    if (this.inProgress.has(path) || this.inProgress.size > MAX_PARENT_CHAIN) return undefined;
    this.inProgress.add(path);
    try {
      const eff = this.effective(path, model);
      this.cache.set(path, eff);
      return eff;
    } finally {
      this.inProgress.delete(path);
    }
  }

  /** Resolves direct dependencies: interpolation, dependencyManagement, scope and optional filtering. */
  private directDependencies(eff: Effective, withLines: boolean): Package[] {
    const props = eff.properties;
    const managed = new Map<string, PomDependency>();
    for (const m of eff.dependencyManagement) {
      const scope = evaluateProperties(m.scope, props);
      const name = `${evaluateProperties(m.groupId, props)}:${evaluateProperties(m.artifactId, props)}`;
      if (scope === 'import') {
        this.note(
          'POM_IMPORT_NOT_RESOLVED',
          `dependencyManagement imports ${name}:${evaluateProperties(m.version, props)}, which is not fetched from a Maven repository (offline); versions it manages stay unknown`,
          eff.path,
        );
        continue;
      }
      if (!managed.has(name)) managed.set(name, m);
    }
    const out: Package[] = [];
    for (const { fromRoot, dep } of eff.dependencies) {
      const groupId = evaluateProperties(dep.groupId, props);
      const artifactId = evaluateProperties(dep.artifactId, props);
      const name = `${groupId}:${artifactId}`;
      let version = evaluateProperties(dep.version, props);
      let scope = evaluateProperties(dep.scope, props);
      let optional = dep.optional;
      const m = managed.get(name);
      if (m) {
        if (version === '') version = evaluateProperties(m.version, props);
        if (scope === '') scope = evaluateProperties(m.scope, props);
        if (!optional) optional = m.optional;
      }
      if ((scope !== '' && scope !== 'compile' && scope !== 'runtime') || optional) continue;
      if (groupId === '' || artifactId === '') continue;
      version = requirementVersion(version);
      const pkg: Package = { id: mavenPackageId(name, version), name, version, relationship: 'direct' };
      if (withLines && fromRoot && dep.startLine !== undefined && dep.endLine !== undefined) {
        pkg.locations = [{ startLine: dep.startLine, endLine: dep.endLine }];
      }
      out.push(pkg);
    }
    return out;
  }

  /**
   * Packages of the project at `path`: itself (root), its modules (workspace;
   * nested modules are flattened under the root, as Trivy does) and the direct
   * dependencies of each. Empty when the POM is missing.
   */
  resolve(path: string): Package[] {
    const model = this.source.get(path);
    if (!model) return [];
    const out: Package[] = [];
    const root = this.projectPackages(path, model, 'root', out);
    const moduleIds: string[] = [];
    const visited = new Set([path]);
    const queue: { from: string; rel: string }[] = this.modulesOf(path, model).map((rel) => ({
      from: path,
      rel,
    }));
    while (queue.length > 0 && visited.size <= MAX_MODULES) {
      const { from, rel } = queue.shift() as { from: string; rel: string };
      const modPath = pomPathFor(from, rel);
      const modModel = modPath === undefined ? undefined : this.source.get(modPath);
      if (modPath === undefined || !modModel) {
        this.note('POM_MODULE_NOT_FOUND', `module ${rel} has no pom.xml in the scanned tree`, from);
        continue;
      }
      if (visited.has(modPath)) continue;
      visited.add(modPath);
      const mod = this.projectPackages(modPath, modModel, 'workspace', out);
      if (mod?.id) moduleIds.push(mod.id);
      for (const r of this.modulesOf(modPath, modModel)) queue.push({ from: modPath, rel: r });
    }
    if (root && moduleIds.length > 0)
      root.dependsOn = [...new Set([...(root.dependsOn ?? []), ...moduleIds])];
    return out;
  }

  private modulesOf(path: string, model: PomModel): string[] {
    return this.effectiveCached(path, model)?.modules ?? [];
  }

  /** The project's own package (undefined without a full groupId:artifactId:version) after pushing its direct dependencies. */
  private projectPackages(
    path: string,
    model: PomModel,
    relationship: 'root' | 'workspace',
    out: Package[],
  ): Package | undefined {
    const eff = this.effectiveCached(path, model);
    if (!eff) return undefined;
    const deps = this.directDependencies(eff, relationship === 'root');
    out.push(...deps);
    if (eff.groupId === '' || eff.artifactId === '' || eff.version === '') return undefined;
    const name = `${eff.groupId}:${eff.artifactId}`;
    const self: Package = { id: mavenPackageId(name, eff.version), name, version: eff.version, relationship };
    if (eff.licenses.length > 0) self.licenses = [...eff.licenses];
    const dependsOn = [...new Set(deps.map((d) => d.id ?? d.name))];
    if (dependsOn.length > 0) self.dependsOn = dependsOn;
    out.push(self);
    return self;
  }
}

/** Trivy's newVersion: `[1.2.3]` is a hard requirement for 1.2.3; any other range gives no version. */
export function requirementVersion(v: string): string {
  let s = v;
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  return /[,()[\]]/.test(s) ? '' : s;
}
