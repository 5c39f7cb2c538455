import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Package } from '@palisade/api';
import { describe, expect, it } from 'vitest';
import { divergencesOf } from '../../../testing/fixture-divergences.js';
import { analyzerFile } from '../../../testing/shared-data.js';
import type { AnalyzerFile } from '../types.js';
import {
  analyze,
  compareNameVersions,
  langFixtureSuite,
  runSuite,
  textFile as file,
  trivyFixture,
} from '../../../testing/lang-conformance.js';
import { analyzer } from './pom.js';

const run = (files: AnalyzerFile[]) => analyze(analyzer, files);

/** Every pom.xml under a host directory, with paths relative to it (a source tree as the fs artifact gives it). */
function tree(dir: string): AnalyzerFile[] {
  const out: AnalyzerFile[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (e === 'pom.xml') out.push(analyzerFile(p, relative(dir, p)));
    }
  };
  walk(dir);
  return out;
}

/** `id relationship [start-end] [licenses]`, the form the expectations below are written in. */
function describePkg(p: Package): string {
  let s = `${p.id} ${p.relationship}`;
  if (p.locations) s += ` ${p.locations.map((l) => `${l.startLine}-${l.endLine}`).join(',')}`;
  if (p.licenses) s += ` [${p.licenses.join(', ')}]`;
  return s;
}

const POM_DIR = 'pkg/dependency/parser/java/pom/testdata';

/**
 * Trivy's expectations for its pom parser tests (parse_test.go, TestPom_Parse),
 * for the fixtures whose content matches that test: root, workspace and direct
 * packages with their locations, and the root's licenses. Two systematic
 * differences are applied to every case rather than listed per case:
 * - Trivy's indirect packages (and licenses of dependencies) come from the
 *   POMs of dependencies in a Maven repository (the test's local ~/.m2, or
 *   Maven Central); we read only the scanned tree, offline, so we have none;
 * - they are therefore left out of the `trivy` lists below.
 * `deps` is the dependency graph Trivy expects between the packages kept.
 */
const TRIVY_POM_CASES: { input: string; trivy: string[]; deps?: Record<string, string[]> }[] = [
  {
    input: 'happy/pom.xml',
    trivy: [
      'com.example:happy:1.0.0 root [BSD-3-Clause]',
      'org.example:example-api:1.7.30 direct 32-36',
      'org.example:example-runtime:1.0.0 direct 37-42',
    ],
    deps: {
      'com.example:happy:1.0.0': ['org.example:example-api:1.7.30', 'org.example:example-runtime:1.0.0'],
    },
  },
  // The parent (version ${revision}-${changelist}) is nowhere: no groupId, so no root package.
  { input: 'offline/pom.xml', trivy: ['org.example:example-offline:2.3.4 direct 17-21'] },
  {
    input: 'parent-properties/child/pom.xml',
    trivy: ['com.example:child:1.0.0 root [Apache 2.0]', 'org.example:example-api:1.7.30 direct 33-37'],
  },
  {
    input: 'project-version-from-parent/child/pom.xml',
    trivy: ['com.example:child:2.0.0 root', 'org.example:example-api:2.0.0 direct 18-22'],
  },
  {
    input: 'parent-dependencies/child/pom.xml',
    trivy: ['com.example:child:1.0.0-SNAPSHOT root [Apache 2.0]', 'org.example:example-api:1.7.30 direct'],
  },
  {
    input: 'parent-dependency-management/child/pom.xml',
    trivy: ['com.example:child:3.0.0 root [Apache 2.0]', 'org.example:example-api:1.7.30 direct 26-29'],
  },
  {
    input: 'transitive-parents/base/pom.xml',
    trivy: ['com.example:base:4.0.0 root [Apache 2.0]', 'org.example:example-child:2.0.0 direct 28-32'],
  },
  {
    input: 'parent-relative-path/pom.xml',
    trivy: ['com.example:child:1.0.0 root [Apache 2.0]', 'org.example:example-api:1.7.30 direct 26-30'],
  },
  {
    input: 'parent-version-is-property/child/pom.xml',
    trivy: ['com.example:child:1.0.0-SNAPSHOT root', 'org.example:example-api:1.1.1 direct 19-22'],
  },
  {
    input: 'parent-remote-repository/pom.xml',
    trivy: ['org.example:child:1.0.0 root [Apache 2.0]', 'org.example:example-api:1.7.30 direct 25-29'],
  },
  {
    input: 'soft-requirement/pom.xml',
    trivy: [
      'com.example:soft:1.0.0 root [Apache 2.0]',
      'org.example:example-api:1.7.30 direct 32-36',
      'org.example:example-dependency:1.2.3 direct 37-41',
    ],
  },
  {
    input: 'soft-requirement-with-transitive-dependencies/pom.xml',
    trivy: [
      'com.example:soft-transitive:1.0.0 root',
      'org.example:example-dependency:1.2.3 direct 13-17',
      'org.example:example-dependency2:2.3.4 direct 18-22',
    ],
  },
  {
    input: 'hard-requirement/pom.xml',
    trivy: [
      'com.example:hard:1.0.0 root [Apache 2.0]',
      'org.example:example-dependency:1.2.3 direct 33-37',
      'org.example:example-nested:3.3.4 direct 28-32',
    ],
  },
  {
    input: 'version-requirement/pom.xml',
    trivy: ['com.example:hard:1.0.0 root [Apache 2.0]', 'org.example:example-api direct 28-32'],
  },
  {
    input: 'import-dependency-management/pom.xml',
    trivy: ['com.example:import:2.0.0 root [Apache 2.0]', 'org.example:example-api:1.7.30 direct 34-37'],
  },
  {
    input: 'import-dependency-management-multiple/pom.xml',
    trivy: ['com.example:import:2.0.0 root [Apache 2.0]', 'org.example:example-api:1.7.30 direct 42-45'],
  },
  {
    input: 'inherit-props/base/pom.xml',
    trivy: ['com.example:test:0.0.1-SNAPSHOT root', 'org.example:example-api:2.0.0 direct 18-21'],
  },
  {
    input: 'exclusions/pom.xml',
    trivy: ['com.example:exclusions:3.0.0 root', 'org.example:example-nested:3.3.3 direct 14-28'],
  },
  {
    input: 'exclusions-in-child/pom.xml',
    trivy: ['com.example:example:1.0.0 root', 'org.example:example-exclusions:4.0.0 direct 10-14'],
  },
  {
    input: 'exclusions-parent-dependency-management/child/pom.xml',
    trivy: ['com.example:child:3.0.0 root [Apache 2.0]', 'org.example:example-exclusions:3.0.0 direct 26-35'],
  },
  {
    input: 'wildcard-exclusions/pom.xml',
    trivy: [
      'com.example:wildcard-exclusions:4.0.0 root',
      'org.example:example-dependency:1.2.3 direct 14-24',
      'org.example:example-dependency2:2.3.4 direct 25-35',
      'org.example:example-nested:3.3.3 direct 36-46',
    ],
  },
  {
    input: 'multi-module/pom.xml',
    trivy: [
      'com.example:aggregation:1.0.0 root [Apache 2.0]',
      'com.example:module:1.1.1 workspace [Apache 2.0]',
      'org.example:example-dependency:1.2.3 direct',
    ],
    deps: {
      'com.example:aggregation:1.0.0': ['com.example:module:1.1.1'],
      'com.example:module:1.1.1': ['org.example:example-dependency:1.2.3'],
    },
  },
  {
    input: 'nested-modules/pom.xml',
    trivy: [
      'com.example:root:1.0.0 root',
      'com.example:module1:1.0.0 workspace',
      'com.example:module2:2.0.0 workspace',
      'org.example:example-api:1.7.30 direct',
    ],
    deps: {
      'com.example:module2:2.0.0': ['org.example:example-api:1.7.30'],
      'com.example:root:1.0.0': ['com.example:module1:1.0.0', 'com.example:module2:2.0.0'],
    },
  },
  {
    input: 'modules-infinity-loop/pom.xml',
    trivy: [
      'org.example:root:1.0.0 root',
      'org.example:module-1:2.0.0 workspace',
      'org.example:module-2:3.0.0 workspace',
      'org.example:module-1:2.0.0 direct',
    ],
    deps: {
      'org.example:module-2:3.0.0': ['org.example:module-1:2.0.0'],
      'org.example:root:1.0.0': ['org.example:module-1:2.0.0', 'org.example:module-2:3.0.0'],
    },
  },
  {
    input: 'multi-module-soft-requirement/pom.xml',
    trivy: [
      'com.example:aggregation:1.0.0 root',
      'com.example:module1:1.1.1 workspace',
      'com.example:module2:1.1.1 workspace',
      'org.example:example-api:1.7.30 direct',
      'org.example:example-api:2.0.0 direct',
    ],
  },
  {
    input: 'root-pom-dep-management/pom.xml',
    trivy: [
      'com.example:root-pom-dep-management:1.0.0 root',
      'org.example:example-nested:3.3.3 direct 20-24',
    ],
  },
  {
    input: 'root-pom-dep-management-for-deps-with-project-props/pom.xml',
    trivy: [
      'com.example:root-pom-dep-management-for-deps-with-project-props:1.0.0 root',
      'org.example:example-dependency:1.7.30 direct 21-25',
    ],
  },
  {
    input: 'transitive-dependency-management/pom.xml',
    trivy: [
      'org.example:transitive-dependency-management:2.0.0 root',
      'org.example:example-dependency-management3:1.1.1 direct 14-18',
    ],
  },
  {
    input: 'not-found-parent/pom.xml',
    trivy: [
      'com.example:no-parent:1.0-SNAPSHOT root [Apache 2.0]',
      'org.example:example-api:1.7.30 direct 27-31',
    ],
  },
  {
    input: 'not-found-dependency/pom.xml',
    trivy: [
      'com.example:not-found-dependency:1.0.0 root [Apache 2.0]',
      'org.example:example-not-found:999 direct 21-25',
    ],
  },
  { input: 'not-found-module/pom.xml', trivy: ['com.example:aggregation:1.0.0 root [Apache 2.0]'] },
  {
    input: 'multiply-licenses/pom.xml',
    trivy: ['com.example:multiply-licenses:1.0.0 root [MIT, Apache 2.0]'],
  },
  {
    input: 'inherit-license/module/submodule/pom.xml',
    trivy: ['com.example.app:submodule:1.0.0 root [Apache-2.0]'],
  },
  {
    input: 'no-parent-infinity-loop/pom.xml',
    trivy: ['com.example:child:1.0.0 root [The Apache Software License, Version 2.0]'],
  },
  {
    input: 'dep-without-version/pom.xml',
    trivy: ['com.example:dep-without-version:1.0.0 root', 'org.example:example-api direct 19-22'],
  },
  {
    input: 'use-root-dep-management-in-parent/pom.xml',
    trivy: [
      'com.example:root-depManagement-in-parent:1.0.0 root',
      'org.example:example-dependency:2.0.0 direct 25-29',
    ],
  },
  {
    input: 'use-dep-management-from-child-in-parent/pom.xml',
    trivy: [
      'com.example:root-depManagement-in-parent:1.0.0 root',
      'org.example:example-dependency:2.0.0 direct 15-19',
    ],
  },
  {
    input: 'use-child-dep-management-in-parent/pom.xml',
    trivy: [
      'com.example:child-depManagement-in-parent:1.0.0 root',
      'org.example:example-api:1.0.1 direct',
      'org.example:example-api2:1.0.2 direct',
      'org.example:example-api3:4.0.3 direct',
    ],
  },
  {
    input: 'inherit-scopes-from-child-deps-and-their-parents/pom.xml',
    trivy: [
      'com.example:inherit-scopes-from-child-deps-and-their-parents:0.0.1 root',
      'org.example:example-nested-scope-compile:1.0.0 direct 16-21',
      'org.example:example-nested-scope-empty:1.0.0 direct 22-26',
      'org.example:example-nested-scope-runtime:1.0.0 direct 10-15',
    ],
  },
  {
    input: 'inherit-scopes-in-children-from-root/pom.xml',
    trivy: [
      'com.example:inherit-scopes-in-children-from-root:0.0.1 root',
      'org.example:example-nested-scope-compile:1.0.0 direct 51-56',
      'org.example:example-nested-scope-empty:1.0.0 direct 57-61',
      'org.example:example-nested-scope-runtime:1.0.0 direct 45-50',
    ],
  },
  {
    input: 'inherit-scopes-in-parents-from-root/pom.xml',
    trivy: [
      'com.example:inherit-scopes-in-parents-from-root:0.1.0 root',
      'org.example:example-nested-scope-compile:1.0.0 direct',
      'org.example:example-nested-scope-runtime:1.0.0 direct',
    ],
  },
  {
    input: 'with-spaces/pom.xml',
    trivy: ['com.example:root-pom-with-spaces:1.0.0 root', 'org.example:example-nested:3.3.3 direct 24-28'],
  },
  {
    input: 'snapshot/pom.xml',
    trivy: ['com.example:happy:1.0.0 root', 'org.example:example-dependency:1.2.3-SNAPSHOT direct 14-18'],
  },
  {
    input: 'snapshot/with-maven-metadata/pom.xml',
    trivy: ['com.example:happy:1.0.0 root', 'org.example:example-dependency:2.17.0-SNAPSHOT direct 14-18'],
  },
];

/**
 * Cases where what Trivy reports (beyond indirect packages) needs a POM from a Maven repository:
 * in testing/fixture-divergences.ts, keyed by the fixture's path under ../shared/data/scan.
 */
const TRIVY_POM_KEY = `trivy-fixtures/${POM_DIR}/`;
const TRIVY_POM_DIVERGENCES = divergencesOf('lang/pom', TRIVY_POM_KEY);

describe('lang/pom', () => {
  it('applies to pom.xml in source trees only, as Trivy', () => {
    expect(analyzer.targets).toEqual(['fs']);
    expect(analyzer.mode).toBe('group');
    expect(analyzer.required('a/b/pom.xml', { size: 1, mode: 0o644 })).toBe(true);
    expect(analyzer.required('a/b/x.pom', { size: 1, mode: 0o644 })).toBe(false);
  });

  it("agrees with Trivy's pom parser tests, read offline", async () => {
    const root = trivyFixture(POM_DIR);
    const results = await Promise.all(
      TRIVY_POM_CASES.map(async (c) => {
        const dir = join(root, c.input.split('/')[0] ?? '');
        const { sets } = await run(tree(dir));
        const set = sets.find((s) => s.filePath === relative(dir, join(root, c.input)));
        return set?.packages ?? [];
      }),
    );
    const report = runSuite(
      'trivy pom (root, workspace and direct packages)',
      TRIVY_POM_CASES.map((c, i) => ({
        name: TRIVY_POM_KEY + c.input,
        run: () => {
          const got = results[i] ?? [];
          const problems = compareNameVersions(
            got.map((p) => ({ name: describePkg(p), version: '' })),
            c.trivy.map((t) => ({ name: t, version: '' })),
          );
          for (const [id, want] of Object.entries(c.deps ?? {})) {
            const have = got.find((p) => p.id === id && p.relationship !== 'direct')?.dependsOn ?? [];
            if ([...have].sort().join(',') !== [...want].sort().join(','))
              problems.push(`${id} dependsOn ${have.join(',')} ≠ ${want.join(',')}`);
          }
          return problems;
        },
      })),
      TRIVY_POM_DIVERGENCES,
    );
    expect(report.total).toBe(TRIVY_POM_CASES.length - Object.keys(TRIVY_POM_DIVERGENCES).length);
    expect(report.failures).toEqual([]);
  });

  it('reports what it cannot resolve offline as info diagnostics', async () => {
    const { diagnostics } = await run(tree(join(trivyFixture(POM_DIR), 'import-dependency-management')));
    expect(diagnostics.map((d) => [d.code, d.severity])).toEqual([['POM_IMPORT_NOT_RESOLVED', 'info']]);
    const offline = await run(tree(join(trivyFixture(POM_DIR), 'offline')));
    expect(offline.diagnostics.map((d) => d.code)).toEqual(['POM_PARENT_NOT_FOUND']);
  });

  // osv-scanner never reports the scanned project; Trivy reports it as the root package.
  it("agrees with osv-scanner's Maven tests on name@version (the project itself aside)", async () => {
    const report = await langFixtureSuite(analyzer, 'osv-scanner');
    expect([report.total, report.divergent.length]).toEqual([5, 3]);
    expect(report.failures).toEqual([]);
  });

  it('resolves properties, project.* values, parents on disk and dependencyManagement', async () => {
    const parent = `<project>
  <groupId>org.acme</groupId><artifactId>parent</artifactId><version>7</version>
  <properties><lib.version>2.0</lib.version><shared>from-parent</shared></properties>
  <dependencyManagement><dependencies>
    <dependency><groupId>org.lib</groupId><artifactId>managed</artifactId><version>\${lib.version}</version></dependency>
    <dependency><groupId>org.lib</groupId><artifactId>tests-only</artifactId><version>1</version><scope>test</scope></dependency>
  </dependencies></dependencyManagement>
  <dependencies><dependency><groupId>org.lib</groupId><artifactId>inherited</artifactId><version>\${shared}</version></dependency></dependencies>
  <licenses><license><name>ASL 2</name></license></licenses>
</project>`;
    const child = `<project>
  <parent><groupId>org.acme</groupId><artifactId>parent</artifactId><version>7</version></parent>
  <artifactId>app</artifactId>
  <properties><lib.version>2.1</lib.version><shared>from-child</shared><a>\${b}</a><b>\${a}</b></properties>
  <dependencies>
    <dependency><groupId>org.lib</groupId><artifactId>managed</artifactId></dependency>
    <dependency><groupId>org.lib</groupId><artifactId>tests-only</artifactId></dependency>
    <dependency><groupId>\${project.groupId}</groupId><artifactId>sibling</artifactId><version>\${project.version}</version></dependency>
    <dependency><groupId>org.lib</groupId><artifactId>opt</artifactId><version>1</version><optional>true</optional></dependency>
    <dependency><groupId>org.lib</groupId><artifactId>prov</artifactId><version>1</version><scope>provided</scope></dependency>
    <dependency><groupId>org.lib</groupId><artifactId>loop</artifactId><version>\${a}</version></dependency>
    <dependency><groupId>org.lib</groupId><artifactId>unknown</artifactId><version>\${nope}</version></dependency>
  </dependencies>
</project>`;
    const { sets } = await run([file('pom.xml', parent), file('app/pom.xml', child)]);
    const app = sets.find((s) => s.filePath === 'app/pom.xml');
    expect(app?.packages.map(describePkg)).toEqual([
      'org.acme:app:7 root [ASL 2]',
      'org.acme:sibling:7 direct 8-8',
      'org.lib:inherited:from-child direct',
      'org.lib:loop direct 11-11',
      'org.lib:managed:2.1 direct 6-6',
      'org.lib:unknown direct 12-12',
    ]);
  });

  it('marks maven-invoker-plugin integration test POMs as dev', async () => {
    const pom = '<project><groupId>g</groupId><artifactId>it</artifactId><version>1</version></project>';
    const { sets } = await run([file('src/it/example/pom.xml', pom), file('src/main/x/pom.xml', pom)]);
    expect(sets.map((s) => [s.filePath, s.packages.map((p) => p.dev ?? false)])).toEqual([
      ['src/it/example/pom.xml', [true]],
      ['src/main/x/pom.xml', [false]],
    ]);
  });

  it('reports malformed XML and keeps going with the other POMs', async () => {
    const good = '<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version></project>';
    const { sets, diagnostics } = await run([
      file('bad/pom.xml', '<project><dependencies><dependency></project>'),
      file('text/pom.xml', 'this is not xml'),
      file('good/pom.xml', good),
      file('deep/pom.xml', `${'<a>'.repeat(5000)}${'</a>'.repeat(5000)}`),
    ]);
    expect(sets.map((s) => s.filePath)).toEqual(['good/pom.xml']);
    expect(diagnostics.map((d) => [d.code, d.location?.file])).toEqual([
      ['POM_MALFORMED', 'bad/pom.xml'],
      ['POM_MALFORMED', 'text/pom.xml'],
      ['POM_MALFORMED', 'deep/pom.xml'],
    ]);
  });

  it('survives parent cycles and self-referencing modules', async () => {
    const a =
      '<project><parent><groupId>g</groupId><artifactId>b</artifactId><version>1</version><relativePath>../b/pom.xml</relativePath></parent><artifactId>a</artifactId><modules><module>../b</module><module>.</module></modules></project>';
    const b =
      '<project><parent><groupId>g</groupId><artifactId>a</artifactId><version>1</version><relativePath>../a/pom.xml</relativePath></parent><artifactId>b</artifactId><version>1</version><modules><module>../a</module></modules></project>';
    const c =
      '<project><groupId>g</groupId><artifactId>c</artifactId><version>1</version><modules><module>c</module><module>../c</module></modules></project>';
    const { sets } = await run([file('a/pom.xml', a), file('b/pom.xml', b), file('c/pom.xml', c)]);
    // a and b inherit from each other: the cycle is cut, and neither gets a groupId, so neither has a root package.
    expect(sets.map((s) => [s.filePath, s.packages.map(describePkg)])).toEqual([
      ['c/pom.xml', ['g:c:1 root']],
    ]);
  });
});
