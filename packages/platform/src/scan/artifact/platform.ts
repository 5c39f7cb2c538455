/**
 * Platforms (`os/arch[/variant]`) and the choice of one manifest from an
 * image index, for local OCI layouts and registries alike, following
 * containerd's normalization: x86_64 → amd64, aarch64 → arm64 (variant v8
 * implied), armhf → arm/v7, armel → arm/v6, plain `arm` means arm/v7. An
 * arm/vN request also accepts lower arm variants (an arm/v7 machine runs v6
 * and v5 code), preferring the highest.
 */
import { PalisadeError } from '../../core/errors.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** The platform a registry image is pulled for when none is asked for. */
export const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

/** Node's process.arch → GOARCH. */
const NODE_ARCH: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
};

/** The platform of this machine: `linux/<arch>` (images are Linux images whatever the host OS). */
export function hostPlatform(): Platform {
  return { os: 'linux', architecture: NODE_ARCH[process.arch] ?? process.arch };
}

function makePlatform(os: string, architecture: string, variant: string): Platform {
  return variant === '' ? { os, architecture } : { os, architecture, variant };
}

/**
 * The names containerd's platforms.Normalize gives, without the variant
 * defaults it implies (arm64 → v8 dropped, amd64/v1 dropped, arm → v7): a
 * variant stays as written, so a request still tells whether it named one.
 */
function canonicalNames(p: Platform): Platform {
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
      arch = 'amd64';
      break;
    case 'aarch64':
      arch = 'arm64';
      break;
    case 'armhf':
      arch = 'arm';
      variant = 'v7';
      break;
    case 'armel':
      arch = 'arm';
      variant = 'v6';
      break;
  }
  return makePlatform(os, arch, variant);
}

/** containerd's platforms.Normalize. */
export function normalizePlatform(p: Platform): Platform {
  const c = canonicalNames(p);
  let variant = c.variant ?? '';
  switch (c.architecture) {
    case 'amd64':
      if (variant === 'v1') variant = '';
      break;
    case 'arm64':
      if (variant === '8' || variant === 'v8') variant = '';
      break;
    case 'arm':
      if (variant === '') variant = 'v7';
      else if (/^[5-8]$/.test(variant)) variant = `v${variant}`;
      break;
  }
  return makePlatform(c.os, c.architecture, variant);
}

/** Parses `os/arch[/variant]` (names lower-cased, architecture aliases resolved); E_USAGE when malformed. */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[A-Za-z0-9_.-]+$/.test(p))) {
    throw new PalisadeError('E_USAGE', `invalid platform ${JSON.stringify(text)}`, {
      hint: 'a platform looks like linux/amd64, linux/arm64 or linux/arm/v7',
    });
  }
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return canonicalNames(makePlatform(os, architecture, variant ?? ''));
}

export function formatPlatform(p: Platform): string {
  return p.variant ? `${p.os}/${p.architecture}/${p.variant}` : `${p.os}/${p.architecture}`;
}

/** Reads an OCI descriptor's `platform` object (names as parsePlatform gives them); undefined when absent or malformed. */
export function descriptorPlatform(value: unknown): Platform | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const os = v['os'];
  const architecture = v['architecture'];
  if (typeof os !== 'string' || typeof architecture !== 'string') return undefined;
  const variant = typeof v['variant'] === 'string' ? v['variant'] : '';
  return canonicalNames(makePlatform(os, architecture, variant));
}

function armLevel(variant: string | undefined): number {
  const m = /^v(\d)$/.exec(variant ?? '');
  return m ? Number(m[1]) : 0;
}

/**
 * Picks the entry for `want` among `entries` (an index's manifests). When
 * `want` names no variant, any variant of the architecture is acceptable,
 * the normalized default first; arm requests take lower arm variants.
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

/** Whether an image of platform `have` satisfies a request for `want`, as selectPlatform judges it. */
export function platformMatches(want: Platform, have: Platform): boolean {
  return selectPlatform([have], (p) => p, want) !== undefined;
}
