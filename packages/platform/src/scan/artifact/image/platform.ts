/**
 * Platforms (`os/arch[/variant]`) of multi-platform images, matched the way
 * containerd's platform matcher does for the common cases: architecture
 * aliases are normalized, and an arm64 image without a variant is `v8`, an
 * arm image without one `v7`.
 */
import { PalisadeError } from '../../../core/errors.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

const ARCH_ALIASES: Record<string, string> = {
  x86_64: 'amd64',
  'x86-64': 'amd64',
  aarch64: 'arm64',
  armhf: 'arm',
  armel: 'arm',
  i386: '386',
  i686: '386',
};

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

export function normalizeArch(arch: string): string {
  const a = arch.toLowerCase();
  return ARCH_ALIASES[a] ?? a;
}

function defaultVariant(arch: string): string | undefined {
  if (arch === 'arm64') return 'v8';
  if (arch === 'arm') return 'v7';
  return undefined;
}

/** The platform of this machine: `linux/<arch>` (images are Linux images whatever the host OS). */
export function hostPlatform(): Platform {
  return { os: 'linux', architecture: NODE_ARCH[process.arch] ?? process.arch };
}

/** Parses `os/arch[/variant]`; E_USAGE when malformed. */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) {
    throw new PalisadeError('E_USAGE', `invalid platform ${JSON.stringify(text)}`, {
      hint: 'a platform looks like linux/amd64 or linux/arm64/v8',
    });
  }
  const [os, arch, variant] = parts as [string, string, string | undefined];
  const p: Platform = { os: os.toLowerCase(), architecture: normalizeArch(arch) };
  if (variant !== undefined) p.variant = variant.toLowerCase();
  return p;
}

export function formatPlatform(p: Platform): string {
  return p.variant ? `${p.os}/${p.architecture}/${p.variant}` : `${p.os}/${p.architecture}`;
}

/** Reads an OCI descriptor's `platform` object; undefined when absent or malformed. */
export function descriptorPlatform(value: unknown): Platform | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v['os'] !== 'string' || typeof v['architecture'] !== 'string') return undefined;
  const p: Platform = { os: v['os'].toLowerCase(), architecture: normalizeArch(v['architecture']) };
  if (typeof v['variant'] === 'string' && v['variant'] !== '') p.variant = v['variant'].toLowerCase();
  return p;
}

/** Whether an image of platform `have` satisfies a request for `want` (a request without variant takes any). */
export function platformMatches(want: Platform, have: Platform): boolean {
  if (want.os !== have.os || want.architecture !== have.architecture) return false;
  if (want.variant === undefined) return true;
  const dv = defaultVariant(have.architecture);
  return (want.variant ?? dv) === (have.variant ?? dv);
}
