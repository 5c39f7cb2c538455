/**
 * CycloneDX output validated against the official CycloneDX 1.6 JSON schema (shipped in the
 * @cyclonedx/cyclonedx-library package, used here only for its schema files) for real images and
 * for a lockfile tree, so what we write is what CycloneDX tools accept.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { nullLogger } from '../packages/platform/src/core/logger.js';
import { formatInventory } from '../packages/platform/src/report/index.js';
import { openImage } from '../packages/platform/src/scan/artifact/image/resolve.js';
import { inventoryDirectory, inventoryImage } from '../packages/platform/src/scan/inventory.js';
import { testImage } from '../packages/platform/src/testing/images.js';
import { sharedData } from '../packages/platform/src/testing/shared-data.js';

const require = createRequire(import.meta.url);
const schemaDir = join(dirname(require.resolve('@cyclonedx/cyclonedx-library/package.json')), 'res/schema');

function validator() {
  const load = (f: string) => {
    const s = JSON.parse(readFileSync(join(schemaDir, f), 'utf8')) as Record<string, unknown>;
    delete s['$id'];
    return s;
  };
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  addFormats.default(ajv);
  ajv.addSchema(load('spdx.SNAPSHOT.schema.json'), 'http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json');
  ajv.addSchema(
    load('jsf-0.82.SNAPSHOT.schema.json'),
    'http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json',
  );
  ajv.addSchema(load('bom-1.6.SNAPSHOT.schema.json'), 'http://cyclonedx.org/schema/bom-1.6.schema.json');
  const validate = ajv.getSchema('http://cyclonedx.org/schema/bom-1.6.schema.json');
  if (!validate) throw new Error('CycloneDX 1.6 schema did not compile');
  return (doc: unknown) => {
    const ok = validate(doc);
    return ok ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
  };
}

describe('CycloneDX 1.6 output is valid against the official schema', () => {
  const validate = validator();

  it('rejects an invalid document (the validator is live)', () => {
    expect(
      validate({ bomFormat: 'CycloneDX', specVersion: '1.6', components: [{ name: 'x' }] }).length,
    ).toBeGreaterThan(0);
  });

  for (const name of ['bookworm', 'alpine-whiteout'] as const) {
    it(`for the ${name} image`, async () => {
      const source = await openImage(testImage(name, 'docker-archive'), { logger: nullLogger });
      const report = await inventoryImage(source, { logger: nullLogger });
      await source.close();
      expect(validate(JSON.parse(formatInventory(report, 'cyclonedx')))).toEqual([]);
    });
  }

  it('for a source tree with npm, yarn, poetry and Cargo lockfiles (dependency graph included)', async () => {
    const report = await inventoryDirectory(
      sharedData('scan/trivy-fixtures/pkg/dependency/parser'),
      'fs',
      'parser-fixtures',
      {
        logger: nullLogger,
      },
    );
    expect(report.results.length).toBeGreaterThan(5);
    expect(validate(JSON.parse(formatInventory(report, 'cyclonedx')))).toEqual([]);
  });
});
