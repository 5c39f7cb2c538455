/**
 * The image target syntax:
 *   docker-archive:PATH[:TAG|:@N]   a `docker save` tar
 *   oci:DIR[:TAG]                   an OCI image layout directory
 *   oci-archive:PATH[:TAG]          an OCI image layout as a tar file
 *   PATH                            an existing path, detected: a directory with
 *                                   `oci-layout`, a tar with manifest.json
 *                                   (docker-archive) or with oci-layout (oci-archive)
 *   anything else                   a registry reference (opened by the registry client)
 * A path may itself contain `:`; the longest prefix that exists is the path.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { PalisadeError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import { openRegistryImage } from '../registry/index.js';
import type { ImageSource } from '../types.js';
import { openDockerArchive, openDockerArchiveStore } from './docker-archive.js';
import { openOciArchive, openOciLayout, openOciStore } from './oci-layout.js';
import type { LocalImageOptions } from './options.js';
import { openArchiveStore } from './archive.js';

export interface OpenImageOptions extends LocalImageOptions {
  /** Directory relative paths are resolved against (default: process.cwd()). */
  cwd?: string;
  logger?: Logger;
  /** Registry options, passed through to the registry client. */
  insecure?: boolean;
  username?: string;
  password?: string;
  /** Opens a registry reference; default: the registry client (openRegistryImage). Tests inject their own. */
  openRemote?: (ref: string, opts: OpenImageOptions) => Promise<ImageSource>;
}

export type Transport = 'docker-archive' | 'oci' | 'oci-archive';

export interface LocalTarget {
  transport: Transport | 'auto';
  /** Host path (as given, resolved against cwd when opening). */
  path: string;
  /** Tag (oci, oci-archive) or tag/@N (docker-archive). */
  selector?: string;
}

const TRANSPORTS: readonly Transport[] = ['docker-archive', 'oci-archive', 'oci'];

/** Splits `PATH[:SELECTOR]`, taking the longest prefix that exists as the path. */
export function splitPathSelector(
  rest: string,
  cwd: string,
): { path: string; selector?: string } | undefined {
  if (existsSync(resolvePath(cwd, rest))) return { path: rest };
  for (let i = rest.lastIndexOf(':'); i > 0; i = rest.lastIndexOf(':', i - 1)) {
    const path = rest.slice(0, i);
    if (existsSync(resolvePath(cwd, path))) return { path, selector: rest.slice(i + 1) };
  }
  return undefined;
}

/** Parses a target into a local one, or undefined for a registry reference. */
export function parseLocalTarget(ref: string, cwd: string): LocalTarget | undefined {
  for (const t of TRANSPORTS) {
    if (!ref.startsWith(`${t}:`)) continue;
    const rest = ref.slice(t.length + 1);
    if (rest === '') throw new PalisadeError('E_USAGE', `${t}: needs a path`, { hint: `${t}:PATH` });
    const split = splitPathSelector(rest, cwd);
    if (!split) throw new PalisadeError('E_NOT_FOUND', `${rest}: no such file or directory`);
    const target: LocalTarget = { transport: t, path: split.path };
    if (split.selector !== undefined && split.selector !== '') target.selector = split.selector;
    return target;
  }
  if (existsSync(resolvePath(cwd, ref))) return { transport: 'auto', path: ref };
  // Something that can only be a path (and is missing) is not sent to a registry.
  if (
    isAbsolute(ref) ||
    ref.startsWith('./') ||
    ref.startsWith('../') ||
    /\.(tar|tgz|tar\.gz|tar\.zst)$/.test(ref)
  ) {
    throw new PalisadeError('E_NOT_FOUND', `${ref}: no such file or directory`);
  }
  return undefined;
}

export async function openImage(ref: string, opts: OpenImageOptions = {}): Promise<ImageSource> {
  const cwd = opts.cwd ?? process.cwd();
  const target = parseLocalTarget(ref, cwd);
  if (!target) {
    if (opts.openRemote) return opts.openRemote(ref, opts);
    return openRegistryImage(ref, {
      platform: opts.platform,
      insecure: opts.insecure,
      username: opts.username,
      password: opts.password,
      signal: opts.signal,
      logger: opts.logger,
    });
  }
  const host = resolvePath(cwd, target.path);
  const local: LocalImageOptions = { name: opts.name ?? target.path };
  if (opts.platform !== undefined) local.platform = opts.platform;
  if (opts.maxLayers !== undefined) local.maxLayers = opts.maxLayers;
  if (opts.signal !== undefined) local.signal = opts.signal;
  if (opts.limits !== undefined) local.limits = opts.limits;
  if (opts.tempDir !== undefined) local.tempDir = opts.tempDir;
  const sel = target.selector === undefined ? {} : { tag: target.selector };

  switch (target.transport) {
    case 'docker-archive':
      return openDockerArchive(
        host,
        target.selector === undefined ? local : { ...local, ref: target.selector },
      );
    case 'oci':
      return openOciLayout(host, { ...local, ...sel });
    case 'oci-archive':
      return openOciArchive(host, { ...local, ...sel });
    case 'auto':
      return openDetected(host, target.path, local);
  }
}

async function openDetected(host: string, shown: string, opts: LocalImageOptions): Promise<ImageSource> {
  if (statSync(host).isDirectory()) {
    if (existsSync(resolvePath(host, 'oci-layout'))) return openOciLayout(host, opts);
    throw new PalisadeError(
      'E_UNSUPPORTED',
      `${shown}: a directory without oci-layout is not an image layout`,
      {
        hint: 'scan an unpacked root file system with `rootfs`, a source tree with `fs`',
      },
    );
  }
  const store = await openArchiveStore(host, { ...opts, name: opts.name ?? shown });
  if (store.has('manifest.json')) return openDockerArchiveStore(store, opts);
  if (store.has('oci-layout')) return openOciStore(store, opts);
  await store.close();
  throw new PalisadeError('E_UNSUPPORTED', `${shown}: neither a docker-archive nor an OCI archive`, {
    hint: 'expected a tar with manifest.json (docker save) or oci-layout (OCI image layout)',
  });
}
