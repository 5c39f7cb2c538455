/**
 * Every known divergence from an upstream fixture's expectation, written once, with its reason.
 * Grouped by analyzer; the key names the case by its path under ../shared/data/scan (the case
 * key of lang-conformance.ts: `#<case>` is added only where one fixture has several cases).
 *
 * Used by the per-analyzer tests (each runs its own slice) and by the aggregate suite
 * test/inventory-fixtures.test.ts. A listed case is still run: it must still differ (a listed
 * case that agrees fails the suite, so the list cannot go stale) and it is not counted in the
 * pass rate. Almost all of these are places where osv-scanner's expectation differs from
 * Trivy's behaviour, which Palisade follows.
 */

const OSV = 'osv-scanner-lockfile/fixtures';
const TRIVY_POM = 'trivy-fixtures/pkg/dependency/parser/java/pom/testdata';

export const FIXTURE_DIVERGENCES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'lang/npm-lock': {
    [`${OSV}/npm/alias.v1.json`]:
      'v1 aliases: Trivy keeps the alias as the name and `npm:<real>@<version>` as the version',
    [`${OSV}/npm/commits.v1.json`]:
      'lockfileVersion 2 with only a v1 `dependencies` tree: Trivy reads just `packages` for v2+, so finds nothing',
    [`${OSV}/npm/files.v1.json`]:
      'file: dependencies: Trivy keeps `file:…` as the version where osv-scanner empties it',
    [`${OSV}/npm/commits.v2.json`]:
      'the same name@version at two install paths is one package with two locations in Trivy, two in osv-scanner',
    [`${OSV}/npm/files.v2.json`]:
      'entries outside node_modules that no link points to (deps/etag) are skipped by Trivy',
  },
  'lang/yarn-lock': {
    [`${OSV}/yarn/commits.v1.lock`]: 'git, github and https URL entries: Trivy skips every protocol but npm:',
    [`${OSV}/yarn/commits.v2.lock`]:
      'git/github entries: Trivy skips them (only npm: and protocol-less entries are packages)',
    [`${OSV}/yarn/files.v1.lock`]: 'file: entries: Trivy skips them',
    [`${OSV}/yarn/files.v2.lock`]: 'file: entries: Trivy skips them',
    [`${OSV}/yarn/with-aliases.v1.lock`]:
      'aliases: Trivy names the package by its alias (the lockfile key), osv-scanner by the real name',
    [`${OSV}/yarn/with-aliases.v2.lock`]:
      'aliases: Trivy names the package by its alias (the lockfile key), osv-scanner by the real name; workspace: entries are skipped',
    [`${OSV}/yarn/with-build-string.v1.lock`]:
      'an https URL entry (domino@https://…git#…): Trivy skips unknown protocols with a warning',
    [`${OSV}/yarn/with-build-string.v2.lock`]:
      'an https URL entry is skipped (unknown protocol) and the workspace: root entry too, as in Trivy',
    [`${OSV}/yarn/with-prerelease.v2.lock`]:
      'the workspace: root entry (0.0.0-use.local) is not a package in Trivy',
    [`${OSV}/yarn/with-quotes.v2.lock`]:
      'quoted keys (`"version": 2.0.0`) do not match Trivy\'s version pattern, so Trivy reports these entries without a version',
  },
  'lang/pnpm-lock': {
    [`${OSV}/pnpm/exotic.yaml`]:
      'keys that are not name/version (github.com/kevva/is-positive, /foo/bar): Trivy keeps them with an empty version',
    [`${OSV}/pnpm/files.yaml`]:
      'a file: entry without a name: Trivy takes the name from the key and leaves the version empty',
    [`${OSV}/pnpm/invalid-package-path.yaml`]:
      'osv-scanner rejects the whole file for one malformed key; Trivy keeps the readable packages',
    [`${OSV}/pnpm/tarball.yaml`]:
      'the only package is `dev: true`: Trivy leaves dev packages out of v5/v6 lockfiles',
  },
  'lang/pipenv-lock': {
    [`${OSV}/pipenv/multiple-packages.json`]:
      'the develop section: osv-scanner lists it (dev group), Trivy reads only default',
    [`${OSV}/pipenv/one-package-dev.json`]:
      'the develop section: osv-scanner lists it (dev group), Trivy reads only default',
    [`${OSV}/pipenv/two-packages.json`]:
      'the develop section: osv-scanner lists it (dev group), Trivy reads only default',
    [`${OSV}/pipenv/no-version.json`]:
      'an entry without a version (a git or path dependency): Trivy keeps it with an empty version',
  },
  'lang/pip-requirements': {
    [`${OSV}/pip/file-format-example.txt`]:
      'unpinned and ranged requirements: osv-scanner lists them (0.0.0 or the range bound), Trivy only `==` pins',
    [`${OSV}/pip/one-package-unconstrained.txt`]:
      'an unpinned requirement has no known version: Trivy leaves it out',
    [`${OSV}/pip/multiple-packages-mixed.txt`]: 'unpinned requirements are left out by Trivy',
    [`${OSV}/pip/non-normalized-names.txt`]:
      'osv-scanner normalizes names (PEP 503); Trivy keeps them as written',
    [`${OSV}/pip/with-multiple-r-options.txt`]: '-r includes: Trivy does not follow them',
    [`${OSV}/pip/with-bad-r-option.txt`]:
      "-r includes: Trivy does not follow them (and keeps the file's own pins)",
    [`${OSV}/pip/duplicate-r-dev.txt`]: '-r includes: Trivy does not follow them',
    [`${OSV}/pip/cyclic-r-complex-1.txt`]: '-r includes: Trivy does not follow them',
    [`${OSV}/pip/with-per-requirement-options.txt`]:
      'osv-scanner lower-cases names and keeps ranges; Trivy keeps `==` pins as written',
    [`${OSV}/pip/line-continuation.txt`]:
      'Trivy reads line by line (a backslash is deleted, not a continuation), so split pins differ',
  },
  'lang/gomod': {
    [`${OSV}/go/two-packages.mod`]:
      'osv-scanner adds stdlib at the `go` directive version; Trivy reports stdlib from go.mod only at comprehensive priority',
    [`${OSV}/go/indirect-packages.mod`]:
      'osv-scanner adds stdlib at the `go` directive version; Trivy reports stdlib from go.mod only at comprehensive priority',
    [`${OSV}/go/replace-different.mod`]:
      'the same module required twice: osv-scanner keeps both requirements, Trivy (a map by module path) keeps the last one, so only its replacement applies',
    [`${OSV}/go/replace-mixed.mod`]:
      'the same module required twice: osv-scanner keeps both, Trivy keeps the last one, so only its replacement applies',
    [`${OSV}/go/replace-local.mod`]:
      'a module replaced by a local directory: osv-scanner reports the directory, Trivy drops the module',
  },
  'lang/pom': {
    [`${OSV}/maven/interpolation.xml`]:
      'osv-scanner lists dependencyManagement entries (ranged-package, as the range lower bound); Trivy lists only <dependencies>',
    [`${OSV}/maven/with-dependency-management.xml`]:
      'osv-scanner lists the managed-only jsr305; Trivy lists only <dependencies>',
    [`${OSV}/maven/with-scope.xml`]:
      'osv-scanner keeps test-scoped junit (depGroups test); Trivy skips scopes other than compile and runtime',
    // Trivy's pom parser tests (expectations written out in pom.test.ts): what needs a POM from
    // a Maven repository, which an offline scan of the tree does not have.
    [`${TRIVY_POM}/hard-requirement/pom.xml`]:
      'example-nested:3.3.4 (a repository POM) requires [1.2.3] of example-dependency, overriding the 1.2.4 the file declares; offline we keep 1.2.4',
    [`${TRIVY_POM}/import-dependency-management/pom.xml`]:
      'the version of example-api comes from an imported BOM in the repository; offline it stays empty',
    [`${TRIVY_POM}/import-dependency-management-multiple/pom.xml`]:
      'the version of example-api comes from imported BOMs in the repository; offline it stays empty',
    [`${TRIVY_POM}/inherit-props/base/pom.xml`]:
      'the version of example-api comes from an imported BOM in the repository; offline it stays empty',
    [`${TRIVY_POM}/parent-remote-repository/pom.xml`]:
      'the parent (and with it the groupId of the project) is only in the repository: offline there is no root package',
    [`${TRIVY_POM}/no-parent-infinity-loop/pom.xml`]:
      'the license is inherited from a parent that is only in the repository',
  },
  'os/dpkg': {
    [`${OSV}/dpkg/malformed_status`]:
      'osv-scanner keeps `bash` with an empty version (no Version field) and `util-linux` from a paragraph ' +
      'with no Package field, and drops libc6 whose Status is `bad-status`. Trivy and Palisade need both ' +
      'Package and Version, and drop a package only when Status wants it removed (deinstall/purge) or says ' +
      'not-installed/config-files, so they report glibc (libc6) and nothing else.',
  },
  'os/apk': {
    [`${OSV}/apk/malformed_installed`]:
      'osv-scanner keeps `busybox` from a paragraph with no V: line (version ""); Trivy and Palisade drop ' +
      'packages without a version (Trivy: Package.Empty()).',
  },
};

/**
 * Deliberate differences from Trivy that no upstream fixture states, each checked by the named
 * test (listed here so the conformance report and docs/conformance/inventory.md show them).
 */
export const BEHAVIOUR_DIVERGENCES: Readonly<
  Record<string, readonly { what: string; reason: string; test: string }[]>
> = {
  'os/rpm': [
    {
      what: 'gpg-pubkey entries are left out of the inventory',
      reason:
        'Trivy lists them (id `gpg-pubkey@<keyid>-<date>.`, arch None) and skips them only when matching ' +
        'vulnerabilities (aquasecurity/trivy#4720); they are signing keys, not software',
      test: 'packages/platform/src/scan/analyzers/os/rpm.test.ts: leaves out gpg-pubkey entries; a database written by rpm itself',
    },
  ],
  'lang/jar': [
    {
      what: 'a jar without pom.properties or MANIFEST groupId is named from its file name, without a groupId',
      reason: 'Trivy asks its Java DB (by SHA-1) for the groupId; Palisade has no Java DB and scans offline',
      test: 'packages/platform/src/scan/analyzers/lang/jar.test.ts: falls back to the file name without a groupId',
    },
  ],
};

/** The divergences of one analyzer whose keys start with `prefix` (one upstream data set or folder). */
export function divergencesOf(analyzer: string, prefix = ''): Record<string, string> {
  const all = FIXTURE_DIVERGENCES[analyzer] ?? {};
  return Object.fromEntries(Object.entries(all).filter(([key]) => key.startsWith(prefix)));
}
