import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzerFile, testContext } from '../../../testing/shared-data.js';
import type { AnalyzerFile } from '../types.js';
import { cargoVersionMatches, parseCargoLock } from '../lib/rust-cargo.js';
import {
  analyzeNow,
  langFixtureSuite,
  textFile as text,
  trivyFixture,
} from '../../../testing/lang-conformance.js';
import { analyzer } from './cargo-lock.js';

const run = (files: AnalyzerFile[]) => analyzeNow(analyzer, files, 'cargo');

const DIR = 'pkg/dependency/parser/rust/cargo/testdata';

describe('lang/cargo-lock conformance', () => {
  // Trivy's fixtures are read without diagnostics (trivyClean in testing/lang-conformance.ts).
  it("agrees with Trivy's Cargo.lock parser tests", async () => {
    const report = await langFixtureSuite(analyzer, 'trivy');
    expect(report.total).toBe(3);
    expect(report.failures).toEqual([]);
  });

  // Locations and dependencies from Trivy's parser test (pkg/dependency/parser/rust/cargo/parse_test.go).
  const TRIVY_LOCATIONS: Record<string, Record<string, [number, number]>> = {
    'cargo_v3.lock': {
      'aho-corasick@0.7.20': [5, 12],
      'app@0.1.0': [14, 21],
      'libc@0.2.140': [23, 27],
      'memchr@1.0.2': [29, 36],
      'memchr@2.5.0': [38, 42],
      'regex@1.7.3': [44, 53],
      'regex-syntax@0.5.6': [55, 62],
      'regex-syntax@0.6.29': [64, 68],
      'ucd-util@0.1.10': [70, 74],
    },
    'cargo_mixed.lock': {
      'normal@0.1.0': [17, 22],
      'libc@0.2.54': [3, 6],
      'typemap@0.3.3': [55, 61],
      'url@1.7.2': [26, 34],
      'unsafe-any@0.4.2': [9, 12],
      'matches@0.1.8': [41, 44],
      'idna@0.1.5': [36, 39],
      'percent-encoding@1.0.1': [46, 49],
    },
    'cargo_normal.lock': {
      'normal@0.1.0': [8, 13],
      'libc@0.2.54': [3, 6],
      'typemap@0.3.3': [20, 26],
      'url@1.7.2': [43, 51],
      'unsafe-any@0.4.2': [15, 18],
      'matches@0.1.8': [33, 36],
      'idna@0.1.5': [28, 31],
      'percent-encoding@1.0.1': [38, 41],
    },
  };
  const TRIVY_DEPS: Record<string, Record<string, string[]>> = {
    'cargo_v3.lock': {
      'aho-corasick@0.7.20': ['memchr@2.5.0'],
      'app@0.1.0': ['memchr@1.0.2', 'regex-syntax@0.5.6', 'regex@1.7.3'],
      'memchr@1.0.2': ['libc@0.2.140'],
      'regex@1.7.3': ['aho-corasick@0.7.20', 'memchr@2.5.0', 'regex-syntax@0.6.29'],
      'regex-syntax@0.5.6': ['ucd-util@0.1.10'],
    },
    'cargo_normal.lock': {
      'normal@0.1.0': ['libc@0.2.54'],
      'typemap@0.3.3': ['unsafe-any@0.4.2'],
      'url@1.7.2': ['idna@0.1.5', 'matches@0.1.8', 'percent-encoding@1.0.1'],
    },
  };
  TRIVY_DEPS['cargo_mixed.lock'] = TRIVY_DEPS['cargo_normal.lock']!;

  it.each(Object.keys(TRIVY_LOCATIONS))('records line ranges and dependencies as Trivy does: %s', (name) => {
    const pkgs = parseCargoLock(readFileSync(trivyFixture(`${DIR}/${name}`), 'utf8'));
    const locs: Record<string, [number, number]> = {};
    for (const p of pkgs) locs[p.id!] = [p.locations![0]!.startLine, p.locations![0]!.endLine];
    expect(locs).toEqual(TRIVY_LOCATIONS[name]);
    const deps: Record<string, string[]> = {};
    for (const p of pkgs) if (p.dependsOn) deps[p.id!] = p.dependsOn;
    expect(deps).toEqual(TRIVY_DEPS[name]);
  });

  it("agrees with osv-scanner's Cargo.lock tests", async () => {
    const report = await langFixtureSuite(analyzer, 'osv-scanner');
    expect(report.total).toBe(6);
    expect(report.failures).toEqual([]);
  });

  // Trivy's TestMatchVersion (pkg/fanal/analyzer/language/rust/cargo/cargo_test.go).
  it.each([
    ['0.0.4', '0.0.3', false],
    ['1.2.4', '1.2.3', true],
    ['1.5.0', '^1.2', true],
    ['1.3.4', '~ 1.2', false],
    ['1.2.4', '~ 1.2.3', true],
    ['2.5.0', '< 2.5.0', false],
    ['2.5.0', '>= 2.5, < 2.5.1', true],
    ['2.5.0', '= 2.5', true],
    ['2.5.0', '*', true],
    ['2.5.0', '2.5.*', true],
  ] as const)('matches Cargo requirements as Trivy does: %s against %s', (version, constraint, want) => {
    expect(cargoVersionMatches(version, constraint)).toBe(want);
  });
});

describe('lang/cargo-lock with Cargo.toml', () => {
  const LOCK = `version = 3

[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "helper",
 "memchr 2.5.0",
 "pretty_assertions",
 "serde",
]

[[package]]
name = "helper"
version = "0.2.0"
dependencies = [
 "memchr 1.0.2",
]

[[package]]
name = "memchr"
version = "1.0.2"

[[package]]
name = "memchr"
version = "2.5.0"

[[package]]
name = "pretty_assertions"
version = "1.4.0"
dependencies = [
 "yansi",
]

[[package]]
name = "serde"
version = "1.0.190"
dependencies = [
 "serde_derive",
]

[[package]]
name = "serde_derive"
version = "1.0.190"

[[package]]
name = "unrelated"
version = "9.9.9"

[[package]]
name = "yansi"
version = "0.5.1"
`;

  it('marks root, workspace members, direct and indirect dependencies, and drops dev dependencies', () => {
    const root = `[package]
name = "app"
version.workspace = true

[workspace]
members = ["crates/*"]

[workspace.package]
version = "0.1.0"

[workspace.dependencies]
serde = { version = "1.0", features = ["derive"] }

[dependencies]
serde = { workspace = true }
memchr = "2"
helper = { path = "crates/helper" }

[dev-dependencies]
pretty_assertions = "1"
`;
    const member = `[package]
name = "helper"
version = "0.2.0"

[target.'cfg(unix)'.dependencies]
memchr = "1"
`;
    const { sets, diagnostics } = run([
      text('proj/Cargo.lock', LOCK),
      text('proj/Cargo.toml', root),
      text('proj/crates/helper/Cargo.toml', member),
      text('elsewhere/Cargo.toml', '[package]\nname = "x"\n'),
    ]);
    expect(diagnostics).toEqual([]);
    expect(sets).toHaveLength(1);
    expect(sets[0]!.filePath).toBe('proj/Cargo.lock');
    expect(sets[0]!.packages.map((p) => [p.id, p.relationship, p.dependsOn ?? []])).toEqual([
      ['app@0.1.0', 'root', ['helper@0.2.0', 'memchr@2.5.0', 'serde@1.0.190']],
      ['helper@0.2.0', 'workspace', ['memchr@1.0.2']],
      ['memchr@1.0.2', 'direct', []],
      ['memchr@2.5.0', 'direct', []],
      ['serde@1.0.190', 'direct', ['serde_derive@1.0.190']],
      ['serde_derive@1.0.190', 'indirect', []],
    ]);
  });

  it('adds a virtual workspace root without a lock entry, depending on the members', () => {
    const root = `[workspace]\nmembers = ["helper", "missing"]\n`;
    const member = `[package]\nname = "helper"\nversion = "0.2.0"\n\n[dependencies]\nmemchr = "1.0"\n`;
    const { sets, diagnostics } = run([
      text('Cargo.lock', LOCK),
      text('Cargo.toml', root),
      text('helper/Cargo.toml', member),
    ]);
    // The member that has no Cargo.toml is reported, as Trivy logs it.
    expect(diagnostics).toEqual(['CARGO_TOML']);
    const pkgs = sets[0]!.packages;
    const virtualRoot = pkgs.find((p) => p.relationship === 'root')!;
    expect(virtualRoot.id).toMatch(/^[0-9a-f]{16}$/);
    expect(virtualRoot.dependsOn).toEqual(['helper@0.2.0']);
    expect(pkgs.filter((p) => p !== virtualRoot).map((p) => `${p.id} ${p.relationship}`)).toEqual([
      'helper@0.2.0 workspace',
      'memchr@1.0.2 direct',
    ]);
  });

  it('keeps every locked package when Cargo.toml is missing or unreadable', () => {
    const plain = run([text('Cargo.lock', LOCK)]);
    expect(plain.sets[0]!.packages).toHaveLength(9);
    expect(plain.sets[0]!.packages.every((p) => p.relationship === undefined)).toBe(true);
    const broken = run([text('Cargo.lock', LOCK), text('Cargo.toml', '[package\nname = ')]);
    expect(broken.diagnostics).toEqual(['CARGO_TOML_INVALID']);
    expect(broken.sets[0]!.packages).toHaveLength(9);
  });

  it('reports a malformed Cargo.lock as a diagnostic with its line and no packages', () => {
    const ctx = testContext();
    const res = analyzer.analyze(
      [analyzerFile(trivyFixture(`${DIR}/cargo_invalid.lock`), 'Cargo.lock')],
      ctx,
    );
    expect(res).toEqual({ packageSets: [] });
    expect(ctx.diagnostics.items).toHaveLength(1);
    expect(ctx.diagnostics.items[0]).toMatchObject({
      code: 'CARGO_LOCK_INVALID',
      location: { file: 'Cargo.lock' },
    });
    expect(ctx.diagnostics.items[0]!.location!.line).toBeGreaterThan(8);
  });

  it('bounds nesting in hostile TOML', () => {
    const deep = `x = ${'['.repeat(5000)}${']'.repeat(5000)}\n`;
    expect(run([text('Cargo.lock', deep)]).diagnostics).toEqual(['CARGO_LOCK_INVALID']);
  });

  it('applies to source trees and, as in Trivy, to images', () => {
    expect(analyzer.required('a/Cargo.lock', { size: 1, mode: 0o644 })).toBe(true);
    expect(analyzer.required('a/Cargo.toml', { size: 1, mode: 0o644 })).toBe(true);
    expect(analyzer.required('a/cargo.lock', { size: 1, mode: 0o644 })).toBe(false);
    expect([...analyzer.targets].sort()).toEqual(['fs', 'image', 'rootfs']);
  });
});
