import type { ScanReport } from '@palisade/api';
import { describe, expect, it } from 'vitest';
import { PalisadeError } from '../core/errors.js';
import { SCAN_FORMATS, writeScanReport } from './scan-format.js';

const empty: ScanReport = {
  schemaVersion: 1,
  createdAt: '2024-01-01T00:00:00Z',
  artifact: { name: 'x', type: 'filesystem' },
  results: [],
  diagnostics: [],
};

describe('writeScanReport', () => {
  it.each(SCAN_FORMATS)('writes an empty report as %s, ending in a newline', (format) => {
    expect(writeScanReport(empty, format).endsWith('\n')).toBe(true);
  });

  it('rejects an unknown format with E_USAGE and the list of formats', () => {
    let err: unknown;
    try {
      writeScanReport(empty, 'html');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PalisadeError);
    expect((err as PalisadeError).code).toBe('E_USAGE');
    expect((err as PalisadeError).hint).toContain('trivy-json');
  });
});
