/**
 * Built-in allow rules: paths whose files are never scanned for secrets.
 * IDs and meaning follow Trivy's builtin-allow-rules.go, so
 * `disable-allow-rules: [tests]` in a trivy-secret.yaml works the same. Paths
 * are matched as the scanner sees them: relative for directory targets
 * (`src/app.env`), with a leading `/` for image and rootfs files
 * (`/usr/share/doc/x`); the patterns accept both.
 */
import type { AllowRuleSpec } from './rule.js';

export const builtinAllowRules: readonly AllowRuleSpec[] = [
  { id: 'tests', description: 'Avoid test files and paths', path: '(?:^test|/test|-test|_test|\\.test)' },
  { id: 'examples', description: 'Avoid example files and paths', path: 'example' },
  { id: 'vendor', description: 'Vendor dirs', path: '/vendor/' },
  { id: 'usr-dirs', description: 'System dirs', path: '^/?usr/(?:share|include|lib)/' },
  { id: 'locale-dir', description: 'Locales directory contains locales file', path: '/locales?/' },
  { id: 'markdown', description: 'Markdown files', path: '\\.md$' },
  { id: 'node.js', description: 'Node container images', path: '^/?opt/yarn-v[\\d.]+/' },
  { id: 'golang', description: 'Go container images', path: '^/?usr/local/go/' },
  { id: 'python', description: 'Python container images', path: '^/?usr/local/lib/python[\\d.]+/' },
  { id: 'rubygems', description: 'Ruby container images', path: '^/?usr/lib/gems/' },
  { id: 'wordpress', description: 'Wordpress container images', path: '^/?usr/src/wordpress/' },
  { id: 'anaconda-log', description: 'Anaconda CI Logs in container images', path: '^/?var/log/anaconda/' },
];

/**
 * Paths the analyzer never hands to the scanner, before any rule runs (Trivy's
 * secret analyzer skip lists): lockfiles full of hashes, VCS and dependency
 * directories, and binary formats by extension.
 */
export const SKIP_FILES: ReadonlySet<string> = new Set([
  'go.mod',
  'go.sum',
  'package-lock.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'Pipfile.lock',
  'Gemfile.lock',
]);
export const SKIP_DIRS: ReadonlySet<string> = new Set(['.git', 'node_modules']);
export const SKIP_EXTENSIONS: ReadonlySet<string> = new Set([
  '.jpg',
  '.png',
  '.gif',
  '.doc',
  '.pdf',
  '.bin',
  '.svg',
  '.socket',
  '.deb',
  '.rpm',
  '.zip',
  '.gz',
  '.gzip',
  '.tar',
  '.pyc',
]);
