/** Falco-compatible runtime engine: rules loader, filter compiler, field tables, sources, alert output. */
export { loadRules, DEFAULT_SOURCES } from './rules/loader.js';
export type { LoadedRules, RulesFile } from './rules/loader.js';
export type { FileLoadResult, LoadMessage } from './rules/result.js';
export { formatLoadMessage, ERROR_CODES, WARNING_CODES } from './rules/result.js';
export type { CompiledRule } from './rules/compiler.js';
export { Engine } from './engine.js';
export type { EngineOptions, Match } from './engine.js';
export { auditEvent, decodeAuditEvents, streamAuditEvents } from './sources/k8saudit.js';
export { decodeSyscallEvents } from './sources/json.js';
export type { DecodedEvents, DecodeProblem, AuditDecodeLimits, StreamedEvents } from './sources/k8saudit.js';
export { alertJson, alertText } from './output.js';
export type { AlertInput, AlertFormatOptions } from './output.js';
export { parseFilter } from './filter/parser.js';
export { compileFilter } from './filter/compile.js';
export { PRIORITIES, parsePriority } from './rules/types.js';
export type { Priority } from './rules/types.js';
export { ENGINE_VERSION } from './rules/collector.js';
