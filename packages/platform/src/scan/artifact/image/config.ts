/**
 * The image configuration (OCI image config / Docker image JSON): the parts the
 * artifact stage needs, validated, with errors that name the file.
 */
import { PalisadeError } from '../../../core/errors.js';
import { parseDigest } from '../digest.js';

export interface ImageConfigSummary {
  /** rootfs.diff_ids, in layer order. */
  diffIds: string[];
  os?: string;
  architecture?: string;
  variant?: string;
  created?: string;
}

/** Parses JSON that must be an object; E_MANIFEST naming `where` otherwise. */
export function parseJsonObject(bytes: Buffer, where: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8')) as unknown;
  } catch (err) {
    throw new PalisadeError('E_MANIFEST', `${where}: not valid JSON`, { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PalisadeError('E_MANIFEST', `${where}: expected a JSON object`);
  }
  return value as Record<string, unknown>;
}

export function parseImageConfig(config: Record<string, unknown>, where: string): ImageConfigSummary {
  const rootfs = config['rootfs'];
  if (typeof rootfs !== 'object' || rootfs === null) {
    throw new PalisadeError('E_MANIFEST', `${where}: image config has no rootfs`);
  }
  const r = rootfs as Record<string, unknown>;
  if (r['type'] !== undefined && r['type'] !== 'layers') {
    throw new PalisadeError(
      'E_MANIFEST',
      `${where}: rootfs type ${JSON.stringify(r['type'])} is not "layers"`,
    );
  }
  const ids = r['diff_ids'] ?? [];
  if (!Array.isArray(ids)) throw new PalisadeError('E_MANIFEST', `${where}: rootfs.diff_ids is not a list`);
  const diffIds: string[] = [];
  for (const [i, id] of ids.entries()) {
    if (typeof id !== 'string' || !parseDigest(id)) {
      throw new PalisadeError('E_MANIFEST', `${where}: rootfs.diff_ids[${i}] is not a valid digest`);
    }
    diffIds.push(id);
  }
  const out: ImageConfigSummary = { diffIds };
  const str = (k: string): string | undefined => (typeof config[k] === 'string' ? config[k] : undefined);
  const os = str('os');
  const architecture = str('architecture');
  const variant = str('variant');
  const created = str('created');
  if (os !== undefined) out.os = os;
  if (architecture !== undefined) out.architecture = architecture;
  if (variant !== undefined) out.variant = variant;
  if (created !== undefined) out.created = created;
  return out;
}
