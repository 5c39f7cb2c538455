/**
 * Java archive metadata as Trivy reads it (pkg/dependency/parser/java/jar):
 * META-INF/maven/<g>/<a>/pom.properties, the main section of
 * META-INF/MANIFEST.MF, and the `name-1.2.3.jar` file-name convention.
 * Also Maven version equality (for de-duplication, as Trivy's go-mvn-version).
 */

export interface MavenCoordinates {
  groupId: string;
  artifactId: string;
  version: string;
}

export function validCoordinates(c: MavenCoordinates): boolean {
  return c.groupId !== '' && c.artifactId !== '' && c.version !== '';
}

/** Trivy's package id for Maven-style packages (jar, pom, gradle): `name:version`, or the name alone without a version. */
export function mavenPackageId(name: string, version: string): string {
  return version === '' ? name : `${name}:${version}`;
}

/** pom.properties: `groupId=`, `artifactId=`, `version=` lines (trimmed; the last one wins, as Trivy). */
export function parsePomProperties(text: string): MavenCoordinates {
  const out: MavenCoordinates = { groupId: '', artifactId: '', version: '' };
  for (const raw of text.split(/\r\n|\n|\r/)) {
    const line = raw.trim();
    if (line.startsWith('groupId=')) out.groupId = line.slice('groupId='.length);
    else if (line.startsWith('artifactId=')) out.artifactId = line.slice('artifactId='.length);
    else if (line.startsWith('version=')) out.version = line.slice('version='.length);
  }
  return out;
}

/** The main-section attributes of a MANIFEST.MF that identify an artifact. */
export interface Manifest {
  implementationVersion: string;
  implementationTitle: string;
  implementationVendor: string;
  implementationVendorId: string;
  specificationTitle: string;
  specificationVersion: string;
  specificationVendor: string;
  bundleName: string;
  bundleVersion: string;
  bundleSymbolicName: string;
  /** Raw `Plugin-License-Name[-N]` lines (Jenkins plugins). */
  pluginLicenseLines: string[];
}

const MANIFEST_FIELDS: readonly (readonly [string, keyof Omit<Manifest, 'pluginLicenseLines'>])[] = [
  ['Implementation-Version:', 'implementationVersion'],
  ['Implementation-Title:', 'implementationTitle'],
  ['Implementation-Vendor:', 'implementationVendor'],
  ['Implementation-Vendor-Id:', 'implementationVendorId'],
  ['Specification-Version:', 'specificationVersion'],
  ['Specification-Title:', 'specificationTitle'],
  ['Specification-Vendor:', 'specificationVendor'],
  ['Bundle-Version:', 'bundleVersion'],
  ['Bundle-Name:', 'bundleName'],
  ['Bundle-SymbolicName:', 'bundleSymbolicName'],
];

export function emptyManifest(): Manifest {
  return {
    implementationVersion: '',
    implementationTitle: '',
    implementationVendor: '',
    implementationVendorId: '',
    specificationTitle: '',
    specificationVersion: '',
    specificationVendor: '',
    bundleName: '',
    bundleVersion: '',
    bundleSymbolicName: '',
    pluginLicenseLines: [],
  };
}

/**
 * Reads the main section (up to the first empty line) of a manifest. Lines end
 * with CRLF, LF or a lone CR; a line starting with one space continues the
 * previous one (joined without the space, as java.util.jar.Manifest does).
 */
export function parseManifest(text: string): Manifest {
  const m = emptyManifest();
  let attr = '';
  const flush = (): void => {
    addAttribute(m, attr);
    attr = '';
  };
  for (const line of text.split(/\r\n|\n|\r/)) {
    if (line === '') break;
    if (line.startsWith(' ')) {
      attr += line.slice(1);
      continue;
    }
    flush();
    attr = line;
  }
  flush();
  return m;
}

function addAttribute(m: Manifest, line: string): void {
  // Skip variables (e.g. `Bundle-Name: %bundleName`) and attributes without a value.
  const fields = line.split(/\s+/).filter((f) => f !== '');
  if (fields.length <= 1 || (fields[1] ?? '').startsWith('%')) return;
  for (const [prefix, key] of MANIFEST_FIELDS) {
    if (line.startsWith(prefix)) {
      m[key] = line.slice(prefix.length);
      return;
    }
  }
  if (line.startsWith('Plugin-License-Name')) m.pluginLicenseLines.push(line);
}

/** Group, artifact and version from a manifest, with Trivy's precedence; empty fields when it cannot tell. */
export function manifestCoordinates(m: Manifest): MavenCoordinates {
  let groupId = '';
  if (m.implementationVendorId !== '') groupId = m.implementationVendorId;
  else if (m.bundleSymbolicName !== '') {
    // e.g. "com.fasterxml.jackson.core.jackson-databind" => "com.fasterxml.jackson.core"
    const i = m.bundleSymbolicName.lastIndexOf('.');
    groupId = i >= 0 ? m.bundleSymbolicName.slice(0, i) : m.bundleSymbolicName;
  } else if (m.implementationVendor !== '') groupId = m.implementationVendor;
  else if (m.specificationVendor !== '') groupId = m.specificationVendor;

  const artifactId = m.implementationTitle || m.specificationTitle || m.bundleName;
  const version = m.implementationVersion || m.specificationVersion || m.bundleVersion;
  if (groupId === '' || artifactId === '' || version === '')
    return { groupId: '', artifactId: '', version: '' };
  return { groupId: groupId.trim(), artifactId: artifactId.trim(), version: version.trim() };
}

/** Jenkins `Plugin-License-Name[-N]` values declared in the manifest. */
export function manifestLicenses(m: Manifest): string[] {
  const out: string[] = [];
  for (const line of m.pluginLicenseLines) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const key = line.slice(0, i);
    if (key !== 'Plugin-License-Name' && !key.startsWith('Plugin-License-Name-')) continue;
    const value = line.slice(i + 1).trim();
    if (value !== '') out.push(value);
  }
  return out;
}

// Trivy's jarFileRegEx; Go's RE2 and JS agree on this pattern (the `.` before `jar` matches any character).
const JAR_FILE_RE = /^([a-zA-Z0-9._-]*[^-*])-(\d\S*(?:-SNAPSHOT)?).jar$/;

/** `spring-core-5.3.4-SNAPSHOT.jar` => artifactId `spring-core`, version `5.3.4-SNAPSHOT`. */
export function parseJarFileName(path: string): { artifactId: string; version: string } | undefined {
  const i = path.lastIndexOf('/');
  const m = JAR_FILE_RE.exec(i < 0 ? path : path.slice(i + 1));
  if (!m?.[1] || !m[2]) return undefined;
  return { artifactId: m[1], version: m[2] };
}

// ---- Maven version equality -------------------------------------------------
// Maven's ComparableVersion parsing and normalisation, reduced to what equality
// needs: `2.17.0` equals `2.17`, `1.0-final` equals `1`, `1.0RC1` equals `1.0-rc-1`.

type Item = { t: 'i'; v: string } | { t: 's'; v: string } | { t: 'l'; items: Item[] };

const QUALIFIER_ALIASES: Record<string, string> = { ga: '', final: '', release: '', cr: 'rc' };

function stringItem(value: string, followedByDigit: boolean): Item {
  let v = value;
  if (followedByDigit && v.length === 1)
    v = v === 'a' ? 'alpha' : v === 'b' ? 'beta' : v === 'm' ? 'milestone' : v;
  return { t: 's', v: QUALIFIER_ALIASES[v] ?? v };
}

function parseItem(isDigit: boolean, s: string): Item {
  return isDigit ? { t: 'i', v: s.replace(/^0+(?=\d)/, '') } : stringItem(s, false);
}

function isNull(it: Item): boolean {
  return it.t === 'i' ? it.v === '0' : it.t === 's' ? it.v === '' : it.items.length === 0;
}

function normalize(list: Item[]): void {
  for (let i = list.length - 1; i >= 0; i--) {
    const last = list[i];
    if (last === undefined) break;
    if (isNull(last)) list.splice(i, 1);
    else if (last.t !== 'l') break;
  }
}

function parseMavenVersion(version: string): Item[] {
  const v = version.toLowerCase();
  const root: Item[] = [];
  let list = root;
  const stack: Item[][] = [root];
  let isDigit = false;
  let start = 0;
  const push = (l: Item[]): void => {
    const sub: Item = { t: 'l', items: [] };
    l.push(sub);
    list = sub.items;
    stack.push(list);
  };
  for (let i = 0; i < v.length; i++) {
    const c = v[i] ?? '';
    if (c === '.' || c === '-') {
      list.push(i === start ? { t: 'i', v: '0' } : parseItem(isDigit, v.slice(start, i)));
      start = i + 1;
      if (c === '-') push(list);
    } else if (c >= '0' && c <= '9') {
      if (!isDigit && i > start) {
        list.push(stringItem(v.slice(start, i), true));
        start = i;
        push(list);
      }
      isDigit = true;
    } else {
      if (isDigit && i > start) {
        list.push(parseItem(true, v.slice(start, i)));
        start = i;
        push(list);
      }
      isDigit = false;
    }
  }
  if (v.length > start) list.push(parseItem(isDigit, v.slice(start)));
  while (stack.length > 0) normalize(stack.pop() ?? []);
  return root;
}

function canonical(items: Item[]): string {
  return items.map((it) => (it.t === 'l' ? `(${canonical(it.items)})` : `${it.t}:${it.v}`)).join(',');
}

/** A key equal for versions Maven considers equal. */
export function mavenVersionKey(version: string): string {
  return canonical(parseMavenVersion(version));
}
