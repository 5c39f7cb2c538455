/**
 * Secret scanning (Trivy's `--scanners secret`): the public API of scan/secret.
 *
 * - scanSecrets(path, content, opts): findings in one file (built-in rules unless opts.scanner).
 * - loadSecretConfig(path) / parseSecretConfig(text, file) → scannerFromConfig(config): trivy-secret.yaml.
 * - collectSecrets(target, opts): every file of an image (per layer, cached) or a directory tree.
 * - secretAnalyzer(scanner, opts) + applySecretLayers(layers): to run secret scanning in the same
 *   pass as the package analyzers (pass it in InventoryOptions.analyzers and read onLayers).
 */
export { secretAnalyzer, skippedPath } from './analyzer.js';
export type { SecretAnalyzerOptions } from './analyzer.js';
export { builtinAllowRules } from './builtin-allow-rules.js';
export { builtinRules } from './builtin-rules.js';
export { applySecretLayers, collectSecrets } from './collect.js';
export type { CollectOptions, SecretCollection, SecretTarget } from './collect.js';
export {
  loadSecretConfig,
  parseSecretConfig,
  scannerFromConfig,
  scannerSpec,
  throwIfConfigErrors,
} from './config.js';
export type { ConfigLoad, SecretConfig } from './config.js';
export type { AllowRuleSpec, RuleSpec } from './rule.js';
export {
  DEFAULT_MAX_FILE_SIZE,
  DEFAULT_MAX_FINDINGS_PER_FILE,
  SCANNER_VERSION,
  compileScanner,
  defaultScanner,
  isBinary,
  scanFile,
  scanSecrets,
} from './scanner.js';
export type { FileScan, ScanOptions, SecretScanner, SkipReason } from './scanner.js';
