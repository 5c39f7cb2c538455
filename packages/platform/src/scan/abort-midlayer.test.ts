/**
 * Aborting an image scan while a layer is being read (the operator stops mid-scan):
 * the scan rejects with E_ABORTED and nothing is left to throw later. A stream
 * error emitted with no listener would surface as an uncaught exception, so the
 * test collects those for a while after the rejection.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nullLogger } from '../core/logger.js';
import { openImage } from './artifact/image/resolve.js';
import { noLayerCache } from './cache/layer-cache.js';
import { inventoryImage } from './inventory.js';
import { testImage } from '../testing/images.js';

const uncaught: unknown[] = [];
const onUncaught = (err: unknown): void => {
  uncaught.push(err);
};

beforeEach(() => {
  uncaught.length = 0;
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
});
afterEach(() => {
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
});

describe('aborting an image scan mid-layer', () => {
  for (const form of ['docker-archive', 'oci'] as const) {
    for (const after of [1, 64 * 1024, 4 * 1024 * 1024]) {
      it(`${form}: after ${after} bytes, rejects with E_ABORTED and leaves no stray error`, async () => {
        const source = await openImage(`${form}:${testImage('bookworm', form)}`, {
          cwd: process.cwd(),
          platform: 'linux/amd64',
          logger: nullLogger,
          insecure: false,
        });
        const ac = new AbortController();
        let seen = 0;
        const err = await inventoryImage(source, {
          logger: nullLogger,
          cache: noLayerCache,
          signal: ac.signal,
          progress: {
            start: () => undefined,
            advance: (n: number) => {
              seen += n;
              if (seen >= after && !ac.signal.aborted) ac.abort();
            },
            done: () => undefined,
          },
        }).catch((e: unknown) => e);
        await source.close();
        expect((err as { code?: string }).code).toBe('E_ABORTED');
        await new Promise((r) => setTimeout(r, 300));
        expect(uncaught.map((e) => String(e))).toEqual([]);
      });
    }
  }
});
