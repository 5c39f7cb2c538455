/**
 * Platforms (`os/arch[/variant]`) and the choice of one manifest from an
 * image index, following containerd's normalization: x86_64 → amd64,
 * aarch64 → arm64 (variant v8 implied), armhf → arm/v7, armel → arm/v6,
 * plain `arm` means arm/v7. An arm/vN request also accepts lower arm
 * variants (an arm/v7 machine runs v6 and v5 code), preferring the highest.
 */
import { PalisadeError } from '../../../core/errors.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

/** Parses `os/arch[/variant]`; throws E_USAGE for anything else. */
export function parsePlatform(s: string): Platform {
  const parts = s.trim().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[A-Za-z0-9_.-]+$/.test(p))) {
    throw new PalisadeError('E_USAGE', `invalid platform ${JSON.stringify(s)}`, {
      hint: 'a platform looks like linux/amd64, linux/arm64 or linux/arm/v7',
    });
  }
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

/** containerd's platforms.Normalize. */
export function normalizePlatform(p: Platform): Platform {
  let os = p.os.toLowerCase();
  if (os === 'macos') os = 'darwin';
  let arch = p.architecture.toLowerCase();
  let variant = (p.variant ?? '').toLowerCase();
  switch (arch) {
    case 'i386':
      arch = '386';
      variant = '';
      break;
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      arch = 'amd64';
      if (variant === 'v1') variant = '';
      break;
    case 'aarch64':
    case 'arm64':
      arch = 'arm64';
      if (variant === '8' || variant === 'v8') variant = '';
      break;
    case 'armhf':
      arch = 'arm';
      variant = 'v7';
      break;
    case 'armel':
      arch = 'arm';
      variant = 'v6';
      break;
    case 'arm':
      if (variant === '') variant = 'v7';
      else if (/^[5-8]$/.test(variant)) variant = `v${variant}`;
      break;
  }
  return variant === '' ? { os, architecture: arch } : { os, architecture: arch, variant };
}

export function formatPlatform(p: Platform): string {
  return p.variant ? `${p.os}/${p.architecture}/${p.variant}` : `${p.os}/${p.architecture}`;
}

/** Platform of an index entry, or undefined when it has none. */
export function descriptorPlatform(platform: unknown): Platform | undefined {
  if (typeof platform !== 'object' || platform === null) return undefined;
  const o = platform as Record<string, unknown>;
  const os = o['os'];
  const architecture = o['architecture'];
  if (typeof os !== 'string' || typeof architecture !== 'string') return undefined;
  const variant = o['variant'];
  return typeof variant === 'string' && variant !== '' ? { os, architecture, variant } : { os, architecture };
}

function armLevel(variant: string | undefined): number {
  const m = /^v(\d)$/.exec(variant ?? '');
  return m ? Number(m[1]) : 0;
}

/**
 * Picks the entry for `want` among `entries` (an index's manifests).
 * `explicitVariant` is whether the user wrote a variant: without one, any
 * variant of the architecture is acceptable, the normalized default first.
 */
export function selectPlatform<T>(
  entries: readonly T[],
  platformOf: (entry: T) => Platform | undefined,
  want: Platform,
): T | undefined {
  const w = normalizePlatform(want);
  const explicitVariant = want.variant !== undefined && want.variant !== '';
  let best: T | undefined;
  let bestScore = -1;
  for (const entry of entries) {
    const raw = platformOf(entry);
    if (!raw) continue;
    const p = normalizePlatform(raw);
    if (p.os !== w.os || p.architecture !== w.architecture) continue;
    let score: number;
    if ((p.variant ?? '') === (w.variant ?? '')) {
      score = 100;
    } else if (
      w.architecture === 'arm' &&
      armLevel(p.variant) > 0 &&
      armLevel(p.variant) < armLevel(w.variant)
    ) {
      score = armLevel(p.variant);
    } else if (!explicitVariant && w.architecture !== 'arm') {
      score = 1;
    } else {
      continue;
    }
    if (score > bestScore) {
      best = entry;
      bestScore = score;
    }
  }
  return best;
}
