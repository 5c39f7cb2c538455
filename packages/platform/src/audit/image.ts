/** Image reference helpers for the image checks (KSV013, KSV034). */

/** A digest pins the image; otherwise a tag other than `latest` on the last path segment must be present. */
export function imageTagged(image: string): boolean {
  if (image.includes('@')) return true;
  const last = image.split('/').pop() ?? '';
  const parts = last.split(':');
  if (parts.length < 2) return false;
  return parts[parts.length - 1] !== 'latest';
}

const PUBLIC_REGISTRIES = [
  'docker.io',
  'ghcr.io',
  'quay.io',
  'gcr.io',
  'registry.k8s.io',
  'k8s.gcr.io',
  'public.ecr.aws',
  'mcr.microsoft.com',
  'registry.gitlab.com',
];

/** The registry of an image reference: the first segment when it looks like a host, else docker.io. */
export function registryOf(image: string): string {
  const i = image.indexOf('/');
  if (i < 0) return 'docker.io';
  const first = image.slice(0, i);
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : 'docker.io';
}

export function publicRegistry(image: string): boolean {
  const r = registryOf(image);
  return PUBLIC_REGISTRIES.includes(r) || r === 'index.docker.io' || r === 'registry-1.docker.io';
}
