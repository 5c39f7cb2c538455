/**
 * Runs analyzers over the entries of one layer (or one directory tree). The
 * artifact stage calls offer() for each entry as it streams by; only entries
 * some analyzer requires are read. 'file' analyzers run as each file arrives,
 * 'group' analyzers once at finish() with every file they asked for.
 */
import type { Diagnostic } from '../../core/diagnostics.js';
import { Diagnostics } from '../../core/diagnostics.js';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { mergeOS } from './lib/os-merge.js';
import type { EntryVisitor, LayerEntry } from '../artifact/types.js';
import type { AnalysisResult, Analyzer, AnalyzerContext, AnalyzerFile } from './types.js';
import { DEFAULT_MAX_FILE_SIZE } from './types.js';

export interface AnalyzerOutput {
  result: AnalysisResult;
  diagnostics: Diagnostic[];
}

export interface LayerAnalysisResult {
  /** Per analyzer name. Every analyzer that was asked gets an entry, empty if nothing matched. */
  outputs: Map<string, AnalyzerOutput>;
  /** Paths removed by whiteouts in this layer. */
  whiteouts: string[];
  /** Directories made opaque in this layer. */
  opaqueDirs: string[];
}

export interface RunOptions {
  logger: Logger;
  scratchDir: string;
  signal?: AbortSignal;
  layer?: string;
  /** Upper bound on bytes held for group analyzers in one layer. */
  maxGroupBytes?: number;
}

interface State {
  analyzer: Analyzer;
  diagnostics: Diagnostics;
  results: AnalysisResult[];
  group: AnalyzerFile[];
}

export class LayerAnalysis {
  private readonly states: State[];
  private readonly whiteouts: string[] = [];
  private readonly opaqueDirs: string[] = [];
  private groupBytes = 0;
  private readonly maxGroupBytes: number;

  constructor(
    analyzers: readonly Analyzer[],
    private readonly opts: RunOptions,
  ) {
    this.states = analyzers.map((analyzer) => ({
      analyzer,
      diagnostics: new Diagnostics(),
      results: [],
      group: [],
    }));
    this.maxGroupBytes = opts.maxGroupBytes ?? 1024 * 1024 * 1024;
  }

  private context(state: State): AnalyzerContext {
    const ctx: AnalyzerContext = {
      diagnostics: state.diagnostics,
      logger: this.opts.logger.child({ analyzer: state.analyzer.name }),
      scratchDir: this.opts.scratchDir,
    };
    if (this.opts.signal) ctx.signal = this.opts.signal;
    if (this.opts.layer) ctx.layer = this.opts.layer;
    return ctx;
  }

  private location(path: string): { file: string; layer?: string } {
    return this.opts.layer ? { file: path, layer: this.opts.layer } : { file: path };
  }

  /** The visitor to hand to walkTar() or the directory walker. */
  readonly visit: EntryVisitor = async (entry: LayerEntry, read: () => Promise<Buffer>): Promise<void> => {
    if (entry.type === 'whiteout') {
      this.whiteouts.push(entry.path);
      return;
    }
    if (entry.type === 'opaque') {
      this.opaqueDirs.push(entry.path);
      return;
    }
    if (entry.type !== 'file') return;
    const info = { size: entry.size, mode: entry.mode };
    const wanting: State[] = [];
    for (const s of this.states) {
      if (!s.analyzer.required(entry.path, info)) continue;
      const max = s.analyzer.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
      if (entry.size > max) {
        s.diagnostics.warn(
          'FILE_TOO_LARGE',
          `skipped: ${entry.size} bytes is more than the analyzer's limit of ${max}`,
          this.location(entry.path),
        );
        continue;
      }
      wanting.push(s);
    }
    if (wanting.length === 0) return;
    const content = await read();
    const file: AnalyzerFile = { path: entry.path, size: content.length, mode: entry.mode, content };
    for (const s of wanting) {
      if (s.analyzer.mode === 'group') {
        this.groupBytes += content.length;
        if (this.groupBytes > this.maxGroupBytes) {
          s.diagnostics.warn(
            'GROUP_LIMIT',
            'skipped: too many bytes held for grouped analysis',
            this.location(entry.path),
          );
          continue;
        }
        s.group.push(file);
      } else {
        await this.runOne(s, [file]);
      }
    }
  };

  private async runOne(s: State, files: AnalyzerFile[]): Promise<void> {
    try {
      s.results.push(await s.analyzer.analyze(files, this.context(s)));
    } catch (err) {
      // Analyzers report malformed input as diagnostics; an exception is a bug, but one
      // broken analyzer must not lose the other results of the scan.
      s.diagnostics.error(
        'ANALYZER_FAILED',
        `${s.analyzer.name} failed: ${errorMessage(err)}`,
        this.location(files[0]?.path ?? ''),
      );
      this.opts.logger.debug({ err, analyzer: s.analyzer.name }, 'analyzer failed');
    }
  }

  async finish(): Promise<LayerAnalysisResult> {
    const outputs = new Map<string, AnalyzerOutput>();
    for (const s of this.states) {
      if (s.group.length > 0) {
        s.group.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
        await this.runOne(s, s.group);
        s.group = [];
      }
      outputs.set(s.analyzer.name, { result: mergeResults(s.results), diagnostics: s.diagnostics.items });
    }
    return { outputs, whiteouts: this.whiteouts, opaqueDirs: this.opaqueDirs };
  }
}

function mergeResults(results: AnalysisResult[]): AnalysisResult {
  const out: AnalysisResult = {};
  for (const r of results) {
    if (r.os) out.os = mergeOS(out.os, r.os);
    if (r.packageSets && r.packageSets.length > 0) (out.packageSets ??= []).push(...r.packageSets);
    if (r.secrets && r.secrets.length > 0) (out.secrets ??= []).push(...r.secrets);
  }
  return out;
}
